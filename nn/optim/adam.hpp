#pragma once
// Adam and AdamW (torch.optim.Adam / AdamW's updates, bias-corrected, with optional AMSGrad).
#include <utility>

#include "nabla/nn/optim/optimizer.hpp"

namespace nabla::optim {

struct AdamOptions {
  double lr = 1e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0.0;  // added to the gradient (L2)
  bool amsgrad = false;
};

struct AdamWOptions {
  double lr = 1e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 1e-2;  // decoupled: the parameter shrinks by lr·weight_decay
  bool amsgrad = false;
};

// The shared update; Adam adds weight decay to the gradient, AdamW applies it to the parameter.
class AdamBase : public Optimizer {
 protected:
  using Optimizer::Optimizer;
  void update(std::pair<double, double> betas, double eps, double l2_weight_decay, double decoupled_weight_decay,
              bool amsgrad);
};

class Adam : public AdamBase {
 public:
  Adam(std::vector<Tensor> params, const AdamOptions& options = {});
  void step() override;

  AdamOptions options;
};

class AdamW : public AdamBase {
 public:
  AdamW(std::vector<Tensor> params, const AdamWOptions& options = {});
  void step() override;

  AdamWOptions options;
};

}  // namespace nabla::optim
