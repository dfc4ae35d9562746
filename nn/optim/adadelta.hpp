#pragma once
/// @file
/// Adadelta (torch.optim.Adadelta's update: per-element step sizes from running averages of squared gradients and
/// squared updates, scaled by lr; L2 weight decay).
/// @ingroup optim
#include "nabla/nn/optim/optimizer.hpp"

namespace nabla::optim {
/// @addtogroup optim
/// @{

/// The options of optim::Adadelta, in PyTorch's order (each settable per parameter group).
struct AdadeltaOptions {
  Setting<double> lr = by_default(1.0);            ///< scales the update (1.0: Zeiler's original rule)
  Setting<double> rho = by_default(0.9);           ///< the running averages' decay, in [0, 1]
  Setting<double> eps = by_default(1e-6);          ///< added inside both square roots
  Setting<double> weight_decay = by_default(0.0);  ///< L2 penalty added to the gradient

  /// The settings as a tuple, for the shared group logic.
  auto settings() { return std::tie(lr, rho, eps, weight_decay); }
};

/// torch.optim.Adadelta (the optimizer of pytorch/examples' MNIST script).
class Adadelta : public OptimizerWith<AdadeltaOptions> {
 public:
  Adadelta(std::vector<Tensor> params, const AdadeltaOptions& options = {});  ///< one group of parameters
  /// parameter groups; settings a group leaves unset come from `defaults`
  Adadelta(std::vector<ParamGroup<AdadeltaOptions>> groups, const AdadeltaOptions& defaults = {});
  void step() override;

 private:
  void check_options() const;
};

/// @}
}  // namespace nabla::optim
