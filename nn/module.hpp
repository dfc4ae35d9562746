#pragma once
/// @file
/// nn::Module: the base of every layer and model. Like torch.nn.Module it registers parameters,
/// buffers and submodules under names, and derives named_parameters(), state_dict(), train()/eval(),
/// zero_grad() and the printed module tree from them.
///
/// A Module is a cheap handle, like a Tensor: copies share the registry and the parameter tensors.
/// That is what lets a model hold its layers as plain members and register them by value:
///
/// @code
///   struct Net : nn::Layer<Net> {
///     nn::Linear fc1{{.in_features = 4, .out_features = 8}};
///     Net() { register_module("fc1", fc1); }
///     Tensor forward(const Tensor& x) { return fc1(x); }
///   };
/// @endcode
/// @ingroup modules
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "nabla/core/ordered_dict.hpp"
#include "nabla/core/tensor.hpp"

namespace nabla::quantization {
/// @addtogroup modules
/// @{
class LayerQuantization;
/// @}
}  // namespace nabla::quantization

namespace nabla::nn {
/// @addtogroup modules
/// @{

/// torch.nn.Module: the base of every layer and model (see the file's description).
class Module {
 public:
  Module();
  virtual ~Module() = default;
  Module(const Module&) = default;             ///< a handle sharing the registry and the tensors
  Module& operator=(const Module&) = default;  ///< this handle now shares `other`'s registry and tensors

  /// Registration: returns the registered handle, so members can be written
  /// `weight = register_parameter("weight", ...)`. An undefined tensor (bias=false) is not registered.
  Tensor register_parameter(const std::string& name, Tensor tensor, bool requires_grad = true);
  /// Registers a buffer (state saved in state_dict, not trained: BatchNorm's running statistics).
  Tensor register_buffer(const std::string& name, Tensor tensor);
  /// A lazy module's parameter whose shape is not known yet (PyTorch's UninitializedParameter):
  /// parameters() and state_dict() list it as an undefined tensor until the module materialises it
  /// by registering the real one under the same name.
  void register_uninitialized_parameter(const std::string& name);
  /// Registers a submodule member under name; returns `module`, which shares its registry with the registered copy.
  template <class M>
  M& register_module(const std::string& name, M& module) {
    add_child(name, std::make_shared<M>(module));  // a copy sharing module's registry and tensors
    return module;
  }
  /// Registers a submodule held by pointer.
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }

  /// every parameter (also the submodules', with recurse), in registration order
  std::vector<Tensor> parameters(bool recurse = true) const;
  /// the parameters under dotted names ("conv1.weight"), as PyTorch names them
  StateDict named_parameters(bool recurse = true) const;
  StateDict named_buffers(bool recurse = true) const;           ///< the buffers under dotted names
  std::vector<std::shared_ptr<Module>> children() const;        ///< the direct submodules
  OrderedDict<std::shared_ptr<Module>> named_children() const;  ///< the direct submodules by name
  /// This module ("", with include_self) and every submodule, depth first, under dotted names ("features.0").
  /// The pointers observe: they are valid while this module lives.
  OrderedDict<Module*> named_modules(const std::string& prefix = "", bool include_self = true);
  std::vector<Module*> modules() { return named_modules().values(); }  ///< every module (this one first), depth first
  /// How many parameter elements (only those that require grad, with trainable_only): the model-size figure.
  int64_t num_parameters(bool trainable_only = false) const;
  /// Freezes (false) or unfreezes every parameter, e.g. a pretrained backbone's.
  Module& requires_grad_(bool requires_grad = true);

  /// training (true) or evaluation mode, for this module and its submodules (Dropout, BatchNorm change)
  void train(bool on = true);
  void eval() { train(false); }  ///< evaluation mode (train(false))
  bool is_training() const;      ///< whether in training mode
  /// clears the parameters' gradients (undefined, or zeros without set_to_none)
  void zero_grad(bool set_to_none = true);
  /// Calls fn on every submodule (depth first, children before their parent), then on this one.
  void apply(const std::function<void(Module&)>& fn);

  /// Parameters and buffers under dotted names: what save() writes and what PyTorch's state_dict() holds.
  StateDict state_dict() const;
  /// Copies the dict's tensors into this module's parameters and buffers. strict: every key must
  /// match; all missing, unexpected and mis-shaped keys are reported in one error. Lazy modules
  /// first create their parameters from the shapes in the dict.
  void load_state_dict(const StateDict& dict, bool strict = true);

  /// The class name printed in the module tree, e.g. "Linear"; defaults to the C++ class name.
  virtual std::string name() const;
  /// The part printed inside the parentheses, e.g. "in_features=3, out_features=2, bias=True".
  virtual std::string extra_repr() const { return ""; }

  /// What quantization::prepare and convert attach to a Conv or Linear layer (its observers, then its int8 weight
  /// and scales); null for others. Shared by the module's copies, as its tensors are.
  std::shared_ptr<quantization::LayerQuantization>& quantization_state() const;

 protected:
  /// Called by load_state_dict, before it checks shapes, on every module with an uninitialized
  /// parameter; `own` holds the dict's entries for this module's own parameters and buffers,
  /// without the prefix. Lazy modules materialise here.
  virtual void materialize_from(const StateDict& own) { (void)own; }

 private:
  void add_child(const std::string& name, std::shared_ptr<Module> child);
  void materialize_lazy(const StateDict& dict, const std::string& prefix);
  void collect(const std::string& prefix, bool recurse, bool buffers, StateDict& out) const;

  struct Registry;
  std::shared_ptr<Registry> registry_;
};

/// A number as Python's repr writes it (1e-05, 0.1, 2.0), for extra_repr.
using nabla::python_float;

/// Prints the module tree as PyTorch does.
std::ostream& operator<<(std::ostream& os, const Module& module);
std::string to_string(const Module& module);  ///< what operator<< prints

/// A Module whose call operator is its forward: `layer(x)` means `layer.forward(x)`. Base: a Module subclass
/// that several layers share (NormBase).
template <class Self, class Base = Module>
class Layer : public Base {
 public:
  using Base::Base;
  template <class... Args>
  /// Forward(args...).
  decltype(auto) operator()(Args&&... args) {
    return static_cast<Self&>(*this).forward(std::forward<Args>(args)...);
  }
};

/// @}
}  // namespace nabla::nn
