#pragma once
// The optimizer base: a list of parameters, per-parameter state tensors, the learning rate.
#include <vector>

#include "nabla/core/ordered_dict.hpp"
#include "nabla/core/tensor.hpp"

namespace nabla::optim {

class Optimizer {
 public:
  Optimizer(std::vector<Tensor> params, double lr, const char* name);
  virtual ~Optimizer() = default;

  // One update of every parameter that has a gradient.
  virtual void step() = 0;
  void zero_grad(bool set_to_none = true);

  double lr() const { return lr_; }
  void set_lr(double lr);  // takes effect at the next step
  const std::vector<Tensor>& params() const { return params_; }

  // "state.<i>.<name>" for each state tensor (the step count as "state.<i>.step"), plus
  // "param_groups.0.lr": savable with nabla::save next to the model's state_dict.
  StateDict state_dict() const;
  void load_state_dict(const StateDict& dict);

 protected:
  // The named state tensor of parameter i, created as zeros like the parameter on first use.
  Tensor& state(size_t i, const std::string& name);
  int64_t& step_count(size_t i) { return steps_[i]; }

 private:
  std::vector<Tensor> params_;
  std::vector<StateDict> state_;
  std::vector<int64_t> steps_;
  double lr_;
  const char* name_;
};

}  // namespace nabla::optim
