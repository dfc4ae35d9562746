#pragma once
// RMSprop (torch.optim.RMSprop's update: optional momentum, centered variant, L2 weight decay).
#include "nabla/nn/optim/optimizer.hpp"

namespace nabla::optim {

struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;  // smoothing of the squared-gradient average
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum = 0.0;
  bool centered = false;  // divide by the gradient's estimated variance, not its second moment
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
