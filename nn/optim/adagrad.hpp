#pragma once
/// @file
/// Adagrad (torch.optim.Adagrad's update: learning-rate decay, L2 weight decay, initial accumulator).
/// @ingroup optim
#include "nabla/nn/optim/optimizer.hpp"

namespace nabla::optim {
/// @addtogroup optim
/// @{

/// The options of optim::Adagrad, in PyTorch's order (each settable per parameter group).
struct AdagradOptions {
  Setting<double> lr = by_default(1e-2);                        ///< the learning rate
  Setting<double> lr_decay = by_default(0.0);                   ///< step k uses lr / (1 + (k - 1)·lr_decay)
  Setting<double> weight_decay = by_default(0.0);               ///< L2 penalty added to the gradient
  Setting<double> initial_accumulator_value = by_default(0.0);  ///< the accumulator's starting value
  Setting<double> eps = by_default(1e-10);                      ///< added to the denominator for numerical stability

  /// The settings as a tuple, for the shared group logic.
  auto settings() { return std::tie(lr, lr_decay, weight_decay, initial_accumulator_value, eps); }
};

/// torch.optim.Adagrad.
class Adagrad : public OptimizerWith<AdagradOptions> {
 public:
  Adagrad(std::vector<Tensor> params, const AdagradOptions& options = {});  ///< one group of parameters
  /// parameter groups; settings a group leaves unset come from `defaults`
  Adagrad(std::vector<ParamGroup<AdagradOptions>> groups, const AdagradOptions& defaults = {});
  void step() override;

 private:
  void check_options() const;
};

/// @}
}  // namespace nabla::optim
