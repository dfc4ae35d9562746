#pragma once
// The optimizer base: parameters in groups (each with its own options, e.g. no weight decay on norms and
// biases), per-parameter state tensors, and each group's learning rate, which schedulers change.
#include <optional>
#include <vector>

#include "nabla/core/ordered_dict.hpp"
#include "nabla/core/tensor.hpp"

namespace nabla::optim {

// A group of parameters and its options (the optimizer's defaults when not given), as one entry of
// PyTorch's param_groups: {.params = no_decay, .options = AdamWOptions{.lr = 1e-3, .weight_decay = 0}}.
template <class Options>
struct ParamGroup {
  std::vector<Tensor> params;
  std::optional<Options> options{};
};

class Optimizer {
 public:
  // params: the groups' parameters, group after group; group_sizes: how many each has; lrs: each group's.
  Optimizer(std::vector<Tensor> params, const std::vector<size_t>& group_sizes, const std::vector<double>& lrs,
            const char* name);
  virtual ~Optimizer() = default;

  // One update of every parameter that has a gradient.
  virtual void step() = 0;
  void zero_grad(bool set_to_none = true);

  size_t num_groups() const { return lrs_.size(); }
  double lr(size_t group = 0) const { return lrs_.at(group); }
  void set_lr(double lr);  // every group's; takes effect at the next step
  void set_lr(size_t group, double lr);
  const std::vector<Tensor>& params() const { return params_; }
  size_t group_of(size_t param) const { return group_of_[param]; }

  // The learning rate a group started from, as the first scheduler found it (PyTorch's "initial_lr").
  double initial_lr(size_t group);
  // The momentum of a group's updates (SGD's and RMSprop's momentum, Adam's beta1), for schedulers that cycle it;
  // std::nullopt for an optimizer without one.
  virtual std::optional<double> momentum(size_t group) const {
    (void)group;
    return std::nullopt;
  }
  virtual void set_momentum(size_t group, double value);

  // "state.<i>.<name>" for each state tensor (the step count as "state.<i>.step"), parameters numbered across
  // the groups as PyTorch does, plus "param_groups.<g>.lr": savable with nabla::save next to the model's.
  StateDict state_dict() const;
  void load_state_dict(const StateDict& dict);

 protected:
  // The named state tensor of parameter i, created filled with `initial` on first use.
  Tensor& state(size_t i, const std::string& name, double initial = 0.0);
  int64_t& step_count(size_t i) { return steps_[i]; }

  // The groups of a constructor's arguments, flattened for the base, and each group's options.
  template <class Options>
  struct Flat {
    std::vector<Tensor> params;
    std::vector<size_t> sizes;
    std::vector<double> lrs;
    std::vector<Options> options;
  };
  template <class Options>
  static Flat<Options> flatten(const std::vector<ParamGroup<Options>>& groups, const Options& defaults) {
    Flat<Options> flat;
    for (const auto& group : groups) {
      flat.params.insert(flat.params.end(), group.params.begin(), group.params.end());
      flat.sizes.push_back(group.params.size());
      flat.options.push_back(group.options.value_or(defaults));
      flat.lrs.push_back(flat.options.back().lr);
    }
    return flat;
  }

 private:
  std::vector<Tensor> params_;
  std::vector<size_t> group_of_;
  std::vector<StateDict> state_;
  std::vector<int64_t> steps_;
  std::vector<double> lrs_;
  std::vector<std::optional<double>> initial_lrs_;
  const char* name_;
};

// An optimizer whose groups hold Options: the constructors every optimizer has, and group_options(i), the
// options of parameter i's group.
template <class Options>
class OptimizerWith : public Optimizer {
 public:
  OptimizerWith(std::vector<ParamGroup<Options>> groups, const Options& defaults, const char* name)
      : OptimizerWith(flatten(groups, defaults), defaults, name) {}
  OptimizerWith(std::vector<Tensor> params, const Options& defaults, const char* name)
      : OptimizerWith(std::vector<ParamGroup<Options>>{{std::move(params), std::nullopt}}, defaults, name) {}

  Options options;  // the defaults

  std::optional<double> momentum(size_t group) const override {
    const Options& o = group_options_.at(group);
    if constexpr (requires { o.betas.first; })
      return o.betas.first;
    else if constexpr (requires { o.momentum; })
      return o.momentum;
    else
      return std::nullopt;
  }
  void set_momentum(size_t group, double value) override {
    Options& o = group_options_.at(group);
    if constexpr (requires { o.betas.first; })
      o.betas.first = value;
    else if constexpr (requires { o.momentum; })
      o.momentum = value;
    else
      Optimizer::set_momentum(group, value);
  }

 protected:
  const Options& group_options(size_t param) const { return group_options_[group_of(param)]; }
  const std::vector<Options>& all_group_options() const { return group_options_; }

 private:
  OptimizerWith(Flat<Options> flat, const Options& defaults, const char* name)
      : Optimizer(std::move(flat.params), flat.sizes, flat.lrs, name),
        options(defaults),
        group_options_(std::move(flat.options)) {}

  std::vector<Options> group_options_;
};

}  // namespace nabla::optim
