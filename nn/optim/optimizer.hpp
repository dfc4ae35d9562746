#pragma once
/// @file
/// The optimizer base: parameters in groups, each group owning its options (lr included, in double), as PyTorch's
/// param_groups: a group's options fill in only what they set, the rest comes from the optimizer's defaults, and
/// schedulers read and write the group's lr. Per-parameter state tensors live here too.
/// @ingroup optim
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "nabla/core/error.hpp"
#include "nabla/core/ordered_dict.hpp"
#include "nabla/core/tensor.hpp"

namespace nabla::optim {
/// @addtogroup optim
/// @{

/// One option's value, and whether it was set: `.lr = 0.1` in a designated initializer sets it; the options
/// structs' own defaults (`by_default(1e-3)`) do not. A parameter group's options take the optimizer's defaults
/// for every option they leave unset. Reads as the value it holds.
template <class T>
class Setting {
 public:
  constexpr Setting(T value) : value_(std::move(value)), set_(true) {}  ///< NOLINT: implicit, for `.lr = 0.1`
  template <class A, class B>
  requires std::is_constructible_v<T, A, B>
  constexpr Setting(A a, B b) : value_(a, b), set_(true) {}  ///< `.betas = {0.9, 0.999}`
  /// A setting a group leaves to the optimizer's defaults.
  static constexpr Setting unset(T value) {
    Setting s(std::move(value));
    s.set_ = false;
    return s;
  }

  constexpr operator const T&() const { return value_; }     ///< NOLINT: reads as the value
  constexpr const T& value() const { return value_; }        ///< the value
  constexpr const T* operator->() const { return &value_; }  ///< members of the value
  constexpr bool is_set() const { return set_; }             ///< whether it was given (else a default)

 private:
  T value_;
  bool set_;
};

/// An options struct's default for one option: used unless the user sets it (or, in a group, the defaults do).
template <class T>
constexpr Setting<T> by_default(T value) {
  return Setting<T>::unset(std::move(value));
}

/// `group`'s options with each one it leaves unset taken from `defaults`. Options structs list their settings in
/// settings().
template <class Options>
Options fill_in(Options group, Options defaults) {
  std::apply(
      [&](auto&... mine) {
        std::apply([&](auto&... theirs) { ((mine = mine.is_set() ? mine : theirs), ...); }, defaults.settings());
      },
      group.settings());
  return group;
}

/// A group of parameters and the options it sets, as one entry of PyTorch's param_groups:
/// {.params = no_decay, .options = AdamWOptions{.weight_decay = 0}} (its lr is the optimizer's).
template <class Options>
struct ParamGroup {
  std::vector<Tensor> params;        ///< the group's parameters
  std::optional<Options> options{};  ///< the group's own settings (unset ones: the optimizer's defaults)
};

/// The base of the optimizers (torch.optim.Optimizer): parameters in groups, zero_grad, step, learning rates and a
/// state_dict compatible with checkpoints.
class Optimizer {
 public:
  /// params: the groups' parameters, group after group; group_sizes: how many each has.
  Optimizer(std::vector<Tensor> params, const std::vector<size_t>& group_sizes, const char* name);
  virtual ~Optimizer() = default;

  /// One update of every parameter that has a gradient.
  virtual void step() = 0;
  /// clears every parameter's gradient (undefined, or zeros without set_to_none)
  void zero_grad(bool set_to_none = true);

  size_t num_groups() const { return initial_lrs_.size(); }  ///< the number of parameter groups
  /// A group's learning rate: its options' lr, the one place it lives.
  virtual double lr(size_t group = 0) const = 0;
  void set_lr(double lr);                                        ///< every group's; takes effect at the next step
  void set_lr(size_t group, double lr);                          ///< sets one group's learning rate
  const std::vector<Tensor>& params() const { return params_; }  ///< every parameter, in group order
  /// the group a parameter (its index in params()) belongs to
  size_t group_of(size_t param) const { return group_of_[param]; }

  /// The learning rate a group started from, as the first scheduler found it (PyTorch's "initial_lr").
  double initial_lr(size_t group);
  /// The momentum of a group's updates (SGD's and RMSprop's momentum, Adam's beta1), for schedulers that cycle it;
  /// std::nullopt for an optimizer without one.
  virtual std::optional<double> momentum(size_t group) const {
    (void)group;
    return std::nullopt;
  }
  /// sets one group's momentum (or beta1); a nabla::Error for an optimizer without one
  virtual void set_momentum(size_t group, double value);

  /// "state.<i>.<name>" for each state tensor (the step count as "state.<i>.step"), parameters numbered across
  /// the groups as PyTorch does, plus "param_groups.<g>.lr" (float64): savable with nabla::save next to the model's.
  StateDict state_dict() const;
  /// Restores a state_dict() (step counts and buffers); a nabla::Error naming the mismatched key or shape.
  void load_state_dict(const StateDict& dict);

 protected:
  /// The named state tensor of parameter i, created filled with `initial` on first use.
  Tensor& state(size_t i, const std::string& name, double initial = 0.0);
  int64_t& step_count(size_t i) { return steps_[i]; }  ///< parameter i's step count
  void check_group(size_t group) const;                ///< a nabla::Error for a group index out of range
  /// Checks an lr is given and finite (a scheduler may drive it below zero, as PyTorch's may).
  void check_lr(double lr) const;
  virtual void write_lr(size_t group, double lr) = 0;  ///< stores a group's learning rate

  /// The groups' parameters, flattened for the base.
  template <class Options>
  static std::vector<Tensor> all_params(const std::vector<ParamGroup<Options>>& groups) {
    std::vector<Tensor> params;
    for (const auto& group : groups) params.insert(params.end(), group.params.begin(), group.params.end());
    return params;
  }
  template <class Options>
  /// The groups' parameter counts.
  static std::vector<size_t> sizes(const std::vector<ParamGroup<Options>>& groups) {
    std::vector<size_t> sizes;
    for (const auto& group : groups) sizes.push_back(group.params.size());
    return sizes;
  }

  const char* name_;  ///< the optimizer's name in errors

 private:
  std::vector<Tensor> params_;
  std::vector<size_t> group_of_;
  std::vector<StateDict> state_;
  std::vector<int64_t> steps_;
  std::vector<std::optional<double>> initial_lrs_;
};

/// An optimizer whose groups hold Options: the constructors every optimizer has, each group's options (public, as
/// PyTorch's param_groups: writing group_options(g).weight_decay takes effect at the next step), and options_of(i),
/// the options of parameter i's group.
template <class Options>
class OptimizerWith : public Optimizer {
 public:
  /// Parameter groups with their own settings; unset settings come from `defaults`; `name` names the optimizer in
  /// errors.
  OptimizerWith(std::vector<ParamGroup<Options>> groups, const Options& defaults, const char* name)
      : Optimizer(all_params(groups), sizes(groups), name), defaults_(defaults) {
    for (const auto& group : groups)
      group_options_.push_back(group.options ? fill_in(*group.options, defaults) : defaults);
    for (const Options& o : group_options_) {
      check_lr(o.lr);
      NABLA_CHECK(o.lr >= 0.0, name, ": Invalid learning rate: ", o.lr.value(), " (set .lr to a non-negative number)");
    }
  }
  /// One group of parameters with `defaults`.
  OptimizerWith(std::vector<Tensor> params, const Options& defaults, const char* name)
      : OptimizerWith(std::vector<ParamGroup<Options>>{{std::move(params), std::nullopt}}, defaults, name) {}

  /// The options groups start from (PyTorch's `defaults`); read-only: a group's own options are what steps use.
  const Options& defaults() const { return defaults_; }
  /// A group's settings.
  Options& group_options(size_t group) {
    check_group(group);
    return group_options_[group];
  }
  /// A group's settings.
  const Options& group_options(size_t group) const {
    check_group(group);
    return group_options_[group];
  }

  double lr(size_t group = 0) const override { return group_options(group).lr; }  ///< a group's learning rate

  /// A group's momentum (SGD, RMSprop) or beta1 (Adam), if the optimizer has one.
  std::optional<double> momentum(size_t group) const override {
    const Options& o = group_options(group);
    if constexpr (requires { o.betas->first; })
      return o.betas->first;
    else if constexpr (requires { o.momentum; })
      return o.momentum;
    else
      return std::nullopt;
  }
  /// Sets a group's momentum or beta1 (OneCycleLR's cycle_momentum).
  void set_momentum(size_t group, double value) override {
    Options& o = group_options(group);
    if constexpr (requires { o.betas->first; })
      o.betas = {value, o.betas->second};
    else if constexpr (requires { o.momentum; })
      o.momentum = value;
    else
      Optimizer::set_momentum(group, value);
  }

 protected:
  /// the settings of a parameter's group
  const Options& options_of(size_t param) const { return group_options_[group_of(param)]; }
  const std::vector<Options>& all_group_options() const { return group_options_; }  ///< every group's settings
  /// stores a group's learning rate
  void write_lr(size_t group, double lr) override { group_options_[group].lr = lr; }

 private:
  Options defaults_;
  std::vector<Options> group_options_;
};

/// @}
}  // namespace nabla::optim
