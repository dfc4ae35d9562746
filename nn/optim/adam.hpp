#pragma once
/// @file
/// Adam and AdamW (torch.optim.Adam / AdamW's updates, bias-corrected, with optional AMSGrad).
/// @ingroup optim
#include <utility>

#include "nabla/nn/optim/optimizer.hpp"

namespace nabla::optim {
/// @addtogroup optim
/// @{

/// The options of optim::Adam, in PyTorch's order (each settable per parameter group).
struct AdamOptions {
  Setting<double> lr = by_default(1e-3);  ///< the learning rate
  /// the running averages' coefficients (gradient, squared gradient)
  Setting<std::pair<double, double>> betas = by_default(std::pair{0.9, 0.999});
  Setting<double> eps = by_default(1e-8);          ///< added to the denominator for numerical stability
  Setting<double> weight_decay = by_default(0.0);  ///< added to the gradient (L2)
  Setting<bool> amsgrad = by_default(false);  ///< the AMSGrad variant (the maximum of the squared-gradient averages)

  /// The settings as a tuple, for the shared group logic.
  auto settings() { return std::tie(lr, betas, eps, weight_decay, amsgrad); }
};

/// The options of optim::AdamW (decoupled weight decay; default 0.01).
struct AdamWOptions {
  Setting<double> lr = by_default(1e-3);                                         ///< the learning rate
  Setting<std::pair<double, double>> betas = by_default(std::pair{0.9, 0.999});  ///< the running averages' coefficients
  Setting<double> eps = by_default(1e-8);           ///< added to the denominator for numerical stability
  Setting<double> weight_decay = by_default(1e-2);  ///< decoupled: the parameter shrinks by lr·weight_decay
  Setting<bool> amsgrad = by_default(false);        ///< the AMSGrad variant

  /// The settings as a tuple, for the shared group logic.
  auto settings() { return std::tie(lr, betas, eps, weight_decay, amsgrad); }
};

/// The shared update; Adam adds weight decay to the gradient, AdamW applies it to the parameter.
template <class Options>
class AdamBase : public OptimizerWith<Options> {
 public:
  using OptimizerWith<Options>::OptimizerWith;
  void step() override;  ///< one Adam(W) update of every parameter with a gradient
};

/// torch.optim.Adam (PyTorch's single-tensor algorithm: the same numbers).
class Adam : public AdamBase<AdamOptions> {
 public:
  Adam(std::vector<Tensor> params, const AdamOptions& options = {});  ///< one group of parameters
  /// parameter groups; settings a group leaves unset come from `defaults`
  Adam(std::vector<ParamGroup<AdamOptions>> groups, const AdamOptions& defaults = {});
};

/// torch.optim.AdamW.
class AdamW : public AdamBase<AdamWOptions> {
 public:
  AdamW(std::vector<Tensor> params, const AdamWOptions& options = {});  ///< one group of parameters
  /// parameter groups; settings a group leaves unset come from `defaults`
  AdamW(std::vector<ParamGroup<AdamWOptions>> groups, const AdamWOptions& defaults = {});
};

/// @}
}  // namespace nabla::optim
