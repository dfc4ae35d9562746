#pragma once
/// @file
/// Stochastic gradient descent with momentum, dampening, weight decay and Nesterov momentum
/// (torch.optim.SGD's update).
/// @ingroup optim
#include <limits>

#include "nabla/nn/optim/optimizer.hpp"

namespace nabla::optim {
/// @addtogroup optim
/// @{

/// The options of optim::SGD, in PyTorch's order: lr is required (each settable per parameter group).
struct SGDOptions {
  Setting<double> lr = by_default(std::numeric_limits<double>::quiet_NaN());  ///< required, as in PyTorch
  Setting<double> momentum = by_default(0.0);                                 ///< momentum factor
  Setting<double> dampening = by_default(0.0);                                ///< dampening of the momentum
  Setting<double> weight_decay = by_default(0.0);                             ///< L2 penalty added to the gradient
  Setting<bool> nesterov = by_default(false);                                 ///< Nesterov momentum

  /// The settings as a tuple, for the shared group logic.
  auto settings() { return std::tie(lr, momentum, dampening, weight_decay, nesterov); }
};

/// torch.optim.SGD.
class SGD : public OptimizerWith<SGDOptions> {
 public:
  SGD(std::vector<Tensor> params, const SGDOptions& options);  ///< one group of parameters; options.lr is required
  /// parameter groups; settings a group leaves unset come from `defaults`
  SGD(std::vector<ParamGroup<SGDOptions>> groups, const SGDOptions& defaults);
  void step() override;

 private:
  void check_options() const;
};

/// @}
}  // namespace nabla::optim
