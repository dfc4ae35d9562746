#pragma once
// Adagrad (torch.optim.Adagrad's update: learning-rate decay, L2 weight decay, initial accumulator).
#include "nabla/nn/optim/optimizer.hpp"

namespace nabla::optim {

struct AdagradOptions {
  double lr = 1e-2;
  double lr_decay = 0.0;  // step k uses lr / (1 + (k - 1)·lr_decay)
  double weight_decay = 0.0;
  double initial_accumulator_value = 0.0;
  double eps = 1e-10;
};

class Adagrad : public OptimizerWith<AdagradOptions> {
 public:
  Adagrad(std::vector<Tensor> params, const AdagradOptions& options = {});
  Adagrad(std::vector<ParamGroup<AdagradOptions>> groups, const AdagradOptions& defaults = {});
  void step() override;

 private:
  void check_options() const;
};

}  // namespace nabla::optim
