#include "nabla/nn/lazy_conv.hpp"

#include "nabla/core/error.hpp"
#include "nabla/core/random.hpp"
#include "nn/conv_repr.h"

namespace nabla::nn {

template <class Concrete>
LazyConv<Concrete>::LazyConv(const Options& opts) : options(opts) {
  const std::string layer = "Lazy" + std::string(Traits::transposed ? "ConvTranspose" : "Conv") +
                            std::to_string(Traits::dims) + "d";
  const auto kernel = expand_dims(options.kernel_size.values, Traits::dims, "kernel_size", layer);
  who_ = detail::describe(layer, "?", options.out_channels, kernel);
  NABLA_CHECK(options.groups > 0, who_, ": groups must be a positive integer, got groups=", options.groups);
  // in_channels = groups stands in for the unknown value: it passes the in % groups check, which
  // materialize() repeats with the real one.
  params_ = Concrete::checked_params(Traits::complete(options, options.groups), who_);
  this->register_uninitialized_parameter("weight");
  if (options.bias) this->register_uninitialized_parameter("bias");
}

template <class Concrete>
void LazyConv<Concrete>::materialize(int64_t in_channels, const std::string& source) {
  NABLA_CHECK(in_channels % options.groups == 0, who_, ": in_channels must be divisible by groups, but ", source,
              " gives in_channels=", in_channels, " for groups=", options.groups);
  Concrete& layer = state_->layer.emplace(Traits::complete(options, in_channels));
  this->register_parameter("weight", layer.weight);
  if (options.bias) this->register_parameter("bias", layer.bias);
}

template <class Concrete>
bool LazyConv<Concrete>::has_uninitialized_params() const {
  for (const Tensor& p : this->parameters(false))
    if (!p.defined()) return true;
  return false;
}

template <class Concrete>
Concrete& LazyConv<Concrete>::ready_for(const Tensor& input) {
  if (!state_->layer) {
    constexpr int64_t dims = Traits::dims;
    NABLA_CHECK(input.defined() && (input.dim() == dims + 1 || input.dim() == dims + 2), who_, ": Expected ",
                dims + 1, "D (unbatched) or ", dims + 2, "D (batched) input to ", name(), ", but got input of size: ",
                input.defined() ? shape_str(input.shape()) : "(undefined)");
    materialize(input.size(input.dim() - dims - 1), "the input of shape " + shape_str(input.shape()));
  }
  NABLA_CHECK(state_->load_gap.empty(), who_, ": ", state_->load_gap);
  return *state_->layer;
}

template <class Concrete>
Tensor LazyConv<Concrete>::forward(const Tensor& input) {
  return ready_for(input).forward(input);
}

template <class Concrete>
Tensor LazyConv<Concrete>::forward(const Tensor& input,
                                   const std::vector<int64_t>& output_size) requires(LazyTraits<Concrete>::transposed) {
  // clang 14 instantiates this for the convolutions too (the explicit instantiations below), despite the
  // requires-clause; the branch keeps that instantiation compiling. It is never callable for them.
  if constexpr (LazyTraits<Concrete>::transposed)
    return ready_for(input).forward(input, output_size);
  else
    return forward(input);
}

// Called by load_state_dict while a parameter is uninitialized. What the dict lacks stays
// uninitialized, and forward refuses to run rather than use a random value where a loaded one was
// expected (PyTorch's partly-initialised modules, pytorch#73009).
template <class Concrete>
void LazyConv<Concrete>::materialize_from(const StateDict& own) {
  if (!state_->layer) {
    const Tensor* weight = own.find("weight");
    if (!weight) {
      if (!own.keys().empty())
        state_->load_gap = "the loaded state_dict has no 'weight' for this layer, so its in_channels is unknown and "
                           "its parameters are not loaded; load a state_dict that holds its weight";
      return;
    }
    constexpr int64_t dims = Traits::dims;
    NABLA_CHECK(weight->dim() == dims + 2, who_, ": can't take in_channels from a loaded weight of shape ",
                shape_str(weight->shape()), ": expected ", dims + 2, " dims");
    // conv weight: (out, in/groups, k...); transposed: (in, out/groups, k...).
    const int64_t in_channels = Traits::transposed ? weight->size(0) : weight->size(1) * options.groups;
    // The load overwrites the initial values, so drawing them must not move the random stream
    // (PyTorch's materialisation from a state_dict draws nothing).
    const RngState rng = get_rng_state();
    materialize(in_channels, "the loaded weight of shape " + shape_str(weight->shape()));
    set_rng_state(rng);
    if (options.bias && !own.contains("bias")) this->register_uninitialized_parameter("bias");
  } else if (own.contains("bias")) {
    this->register_parameter("bias", state_->layer->bias);  // completes an earlier partial load
  }
  state_->load_gap = has_uninitialized_params() ? "its 'bias' was not in the loaded state_dict and is still "
                                                  "uninitialized; load a state_dict that holds it"
                                                : "";
}

template <class Concrete>
Concrete& LazyConv<Concrete>::materialized() const {
  NABLA_CHECK(state_->layer.has_value(), who_, ": has not materialised yet; run a forward pass (or load a state_dict) "
              "first, so it knows in_channels");
  return *state_->layer;
}

template <class Concrete>
std::string LazyConv<Concrete>::name() const {
  return state_->layer ? state_->layer->name() : who_.substr(0, who_.find('('));
}

template <class Concrete>
std::string LazyConv<Concrete>::extra_repr() const {
  if (state_->layer) return state_->layer->extra_repr();
  return detail::conv_repr("<uninitialized>", options.out_channels, params_,
                           expand_dims(options.kernel_size.values, Traits::dims, "kernel_size", who_), options.bias,
                           options.padding_mode);
}

template class LazyConv<Conv1d>;
template class LazyConv<Conv2d>;
template class LazyConv<Conv3d>;
template class LazyConv<ConvTranspose1d>;
template class LazyConv<ConvTranspose2d>;
template class LazyConv<ConvTranspose3d>;

}  // namespace nabla::nn
