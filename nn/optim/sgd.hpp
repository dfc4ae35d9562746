#pragma once
// Stochastic gradient descent with momentum, dampening, weight decay and Nesterov momentum
// (torch.optim.SGD's update).
#include <limits>

#include "nabla/nn/optim/optimizer.hpp"

namespace nabla::optim {

struct SGDOptions {
  double lr = std::numeric_limits<double>::quiet_NaN();  // required, as in PyTorch
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, const SGDOptions& options);
  void step() override;

  SGDOptions options;
};

}  // namespace nabla::optim
