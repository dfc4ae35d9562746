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
template <class Options>
class AdamBase : public OptimizerWith<Options> {
 public:
  using OptimizerWith<Options>::OptimizerWith;
  void step() override;
};

class Adam : public AdamBase<AdamOptions> {
 public:
  Adam(std::vector<Tensor> params, const AdamOptions& options = {});
  Adam(std::vector<ParamGroup<AdamOptions>> groups, const AdamOptions& defaults = {});
};

class AdamW : public AdamBase<AdamWOptions> {
 public:
  AdamW(std::vector<Tensor> params, const AdamWOptions& options = {});
  AdamW(std::vector<ParamGroup<AdamWOptions>> groups, const AdamWOptions& defaults = {});
};

}  // namespace nabla::optim
