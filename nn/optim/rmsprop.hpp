#pragma once
/// @file
/// RMSprop (torch.optim.RMSprop's update: optional momentum, centered variant, L2 weight decay).
#include "nabla/nn/optim/optimizer.hpp"

namespace nabla::optim {

struct RMSpropOptions {
  Setting<double> lr = by_default(1e-2);
  Setting<double> alpha = by_default(0.99);  ///< smoothing of the squared-gradient average
  Setting<double> eps = by_default(1e-8);
  Setting<double> weight_decay = by_default(0.0);
  Setting<double> momentum = by_default(0.0);
  Setting<bool> centered = by_default(false);  ///< divide by the gradient's estimated variance, not its second moment

  auto settings() { return std::tie(lr, alpha, eps, weight_decay, momentum, centered); }
};

class RMSprop : public OptimizerWith<RMSpropOptions> {
 public:
  RMSprop(std::vector<Tensor> params, const RMSpropOptions& options = {});
  RMSprop(std::vector<ParamGroup<RMSpropOptions>> groups, const RMSpropOptions& defaults = {});
  void step() override;

 private:
  void check_options() const;
};

}  // namespace nabla::optim
