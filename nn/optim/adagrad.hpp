#pragma once
/// @file
/// Adagrad (torch.optim.Adagrad's update: learning-rate decay, L2 weight decay, initial accumulator).
#include "nabla/nn/optim/optimizer.hpp"

namespace nabla::optim {

struct AdagradOptions {
  Setting<double> lr = by_default(1e-2);
  Setting<double> lr_decay = by_default(0.0);  ///< step k uses lr / (1 + (k - 1)·lr_decay)
  Setting<double> weight_decay = by_default(0.0);
  Setting<double> initial_accumulator_value = by_default(0.0);
  Setting<double> eps = by_default(1e-10);

  auto settings() { return std::tie(lr, lr_decay, weight_decay, initial_accumulator_value, eps); }
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
