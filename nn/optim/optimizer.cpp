#include "nabla/nn/optim/optimizer.hpp"

#include <cmath>

#include "nabla/autograd/grad_mode.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"

namespace nabla::optim {

Optimizer::Optimizer(std::vector<Tensor> params, const std::vector<size_t>& group_sizes, const char* name)
    : name_(name),
      params_(std::move(params)),
      state_(params_.size()),
      steps_(params_.size(), 0),
      initial_lrs_(group_sizes.size()) {
  NABLA_CHECK(!params_.empty(), name_, ": optimizer got an empty parameter list");
  for (size_t g = 0; g < group_sizes.size(); ++g) {
    NABLA_CHECK(group_sizes[g] > 0, name_, ": parameter group ", g, " has no parameters");
    group_of_.insert(group_of_.end(), group_sizes[g], g);
  }
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    NABLA_CHECK(p.defined(), name_, ": parameter ", i, " is uninitialized (a lazy module that has not materialised its "
                "parameters yet): run a forward pass on an example input before building the optimizer");
    NABLA_CHECK(p.is_leaf() && p.requires_grad(), name_, ": can't optimize a non-leaf Tensor or one that does not "
                "require grad (parameter ", i, " of shape ", shape_str(p.shape()), ")");
    NABLA_CHECK(p.is_contiguous(), name_, ": parameter ", i, " of shape ", shape_str(p.shape()), " is not contiguous");
    for (size_t j = 0; j < i; ++j)
      NABLA_CHECK(!p.is_same(params_[j]), name_, ": some parameters appear in more than one parameter group");
  }
}

void Optimizer::set_lr(double lr) {
  for (size_t g = 0; g < num_groups(); ++g) set_lr(g, lr);
}

void Optimizer::check_group(size_t group) const {
  NABLA_CHECK(group < num_groups(), name_, ": no parameter group ", group, " (there are ", num_groups(), ")");
}

void Optimizer::check_lr(double lr) const {
  NABLA_CHECK(!std::isnan(lr), name_, ": lr is required (set .lr)");
  NABLA_CHECK(std::isfinite(lr), name_, ": Invalid learning rate: ", lr, " (set .lr to a finite number)");
}

void Optimizer::set_lr(size_t group, double lr) {
  check_group(group);
  check_lr(lr);
  write_lr(group, lr);
}

double Optimizer::initial_lr(size_t group) {
  check_group(group);
  if (!initial_lrs_[group]) initial_lrs_[group] = lr(group);
  return *initial_lrs_[group];
}

void Optimizer::set_momentum(size_t group, double value) {
  (void)group;
  (void)value;
  throw Error(std::string(name_) + ": optimizer has no momentum (nor betas) to cycle; use cycle_momentum = false");
}

void Optimizer::zero_grad(bool set_to_none) {
  NoGradGuard no_grad;
  for (auto& p : params_) {
    if (!p.grad().defined()) continue;
    if (set_to_none) p.set_grad({});
    else p.grad().zero_();
  }
}

Tensor& Optimizer::state(size_t i, const std::string& name, double initial) {
  if (Tensor* existing = state_[i].find(name)) return *existing;
  return state_[i].insert(name, full_like(params_[i], initial));
}

StateDict Optimizer::state_dict() const {
  StateDict out;
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string prefix = "state." + std::to_string(i) + ".";
    if (steps_[i] > 0) out.insert(prefix + "step", scalar_tensor(static_cast<double>(steps_[i]), kInt64));
    for (const auto& [name, tensor] : state_[i]) out.insert(prefix + name, tensor);
  }
  for (size_t g = 0; g < num_groups(); ++g)
    out.insert("param_groups." + std::to_string(g) + ".lr", scalar_tensor(lr(g), kFloat64));
  return out;
}

void Optimizer::load_state_dict(const StateDict& dict) {
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string prefix = "state." + std::to_string(i) + ".";
    state_[i] = StateDict();
    steps_[i] = 0;
    for (const auto& [key, tensor] : dict) {
      if (key.rfind(prefix, 0) != 0) continue;
      const std::string name = key.substr(prefix.size());
      if (name == "step") {
        steps_[i] = tensor.item<int64_t>();
        continue;
      }
      NABLA_CHECK(tensor.shape() == params_[i].shape(), name_, ".load_state_dict: ", key, " has shape ",
                  shape_str(tensor.shape()), " but parameter ", i, " has shape ", shape_str(params_[i].shape()));
      state_[i].insert(name, tensor.to(kFloat32).clone());
    }
  }
  // float64 since the lr moved into the group's options; older checkpoints hold it as float32
  for (size_t g = 0; g < num_groups(); ++g)
    if (const Tensor* lr = dict.find("param_groups." + std::to_string(g) + ".lr")) set_lr(g, lr->item<double>());
}

}  // namespace nabla::optim
