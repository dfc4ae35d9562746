#pragma once
/// @file
/// Adam and AdamW (torch.optim.Adam / AdamW's updates, bias-corrected, with optional AMSGrad).
#include <utility>

#include "nabla/nn/optim/optimizer.hpp"

namespace nabla::optim {

struct AdamOptions {
  Setting<double> lr = by_default(1e-3);
  Setting<std::pair<double, double>> betas = by_default(std::pair{0.9, 0.999});
  Setting<double> eps = by_default(1e-8);
  Setting<double> weight_decay = by_default(0.0);  ///< added to the gradient (L2)
  Setting<bool> amsgrad = by_default(false);

  auto settings() { return std::tie(lr, betas, eps, weight_decay, amsgrad); }
};

struct AdamWOptions {
  Setting<double> lr = by_default(1e-3);
  Setting<std::pair<double, double>> betas = by_default(std::pair{0.9, 0.999});
  Setting<double> eps = by_default(1e-8);
  Setting<double> weight_decay = by_default(1e-2);  ///< decoupled: the parameter shrinks by lr·weight_decay
  Setting<bool> amsgrad = by_default(false);

  auto settings() { return std::tie(lr, betas, eps, weight_decay, amsgrad); }
};

/// The shared update; Adam adds weight decay to the gradient, AdamW applies it to the parameter.
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
