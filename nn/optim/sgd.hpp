#pragma once
/// @file
/// Stochastic gradient descent with momentum, dampening, weight decay and Nesterov momentum
/// (torch.optim.SGD's update).
#include <limits>

#include "nabla/nn/optim/optimizer.hpp"

namespace nabla::optim {

struct SGDOptions {
  Setting<double> lr = by_default(std::numeric_limits<double>::quiet_NaN());  ///< required, as in PyTorch
  Setting<double> momentum = by_default(0.0);
  Setting<double> dampening = by_default(0.0);
  Setting<double> weight_decay = by_default(0.0);
  Setting<bool> nesterov = by_default(false);

  auto settings() { return std::tie(lr, momentum, dampening, weight_decay, nesterov); }
};

class SGD : public OptimizerWith<SGDOptions> {
 public:
  SGD(std::vector<Tensor> params, const SGDOptions& options);
  SGD(std::vector<ParamGroup<SGDOptions>> groups, const SGDOptions& defaults);
  void step() override;

 private:
  void check_options() const;
};

}  // namespace nabla::optim
