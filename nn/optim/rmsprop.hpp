#pragma once
/// @file
/// RMSprop (torch.optim.RMSprop's update: optional momentum, centered variant, L2 weight decay).
/// @ingroup optim
#include "nabla/nn/optim/optimizer.hpp"

namespace nabla::optim {
/// @addtogroup optim
/// @{

/// The options of optim::RMSprop, in PyTorch's order (each settable per parameter group).
struct RMSpropOptions {
  Setting<double> lr = by_default(1e-2);           ///< the learning rate
  Setting<double> alpha = by_default(0.99);        ///< smoothing of the squared-gradient average
  Setting<double> eps = by_default(1e-8);          ///< added to the denominator for numerical stability
  Setting<double> weight_decay = by_default(0.0);  ///< L2 penalty added to the gradient
  Setting<double> momentum = by_default(0.0);      ///< momentum factor
  Setting<bool> centered = by_default(false);  ///< divide by the gradient's estimated variance, not its second moment

  /// The settings as a tuple, for the shared group logic.
  auto settings() { return std::tie(lr, alpha, eps, weight_decay, momentum, centered); }
};

/// torch.optim.RMSprop.
class RMSprop : public OptimizerWith<RMSpropOptions> {
 public:
  RMSprop(std::vector<Tensor> params, const RMSpropOptions& options = {});  ///< one group of parameters
  /// parameter groups; settings a group leaves unset come from `defaults`
  RMSprop(std::vector<ParamGroup<RMSpropOptions>> groups, const RMSpropOptions& defaults = {});
  void step() override;

 private:
  void check_options() const;
};

/// @}
}  // namespace nabla::optim
