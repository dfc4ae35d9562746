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

class SGD : public OptimizerWith<SGDOptions> {
 public:
  SGD(std::vector<Tensor> params, const SGDOptions& options);
  SGD(std::vector<ParamGroup<SGDOptions>> groups, const SGDOptions& defaults);
  void step() override;

 private:
  void check_options() const;
};

}  // namespace nabla::optim
