#pragma once
/// @file
/// LazyConv1d/2d/3d and LazyConvTranspose1d/2d/3d: the conv layers without in_channels, which the
/// first input supplies ((N, C, ...) or unbatched (C, ...)), as torch.nn.LazyConv*d.
///
/// @code
///   nn::LazyConv2d conv({.out_channels = 16, .kernel_size = 3, .padding = 1});
///   auto y = conv(x);            // x (8, 3, 32, 32): now a Conv2d(3, 16, ...), initialised as one
///   optim::SGD sgd(conv.parameters(), {.lr = 0.1});   // after the first forward, not before
/// @endcode
///
/// On materialisation the concrete layer (ConvNd/ConvTransposeNd) is built with the same options,
/// so it draws its initial values exactly as the eager layer would from the same RNG state; from
/// then on this module prints, saves and loads as that layer. load_state_dict on an unmaterialised
/// module takes in_channels from the loaded weight's shape. Copies of a lazy module share its state,
/// like every Module, so a copy registered in a parent materialises with it.
/// @ingroup layers_conv
#include <memory>
#include <optional>
#include <string>

#include "nabla/nn/conv.hpp"

namespace nabla::nn {
/// @addtogroup layers_conv
/// @{

/// ConvOptions without in_channels.
template <size_t D>
struct LazyConvOptions {
  int64_t out_channels = kRequired;    ///< C_out (required)
  Dims<D> kernel_size = kRequired;     ///< the kernel's size (required)
  Dims<D> stride = 1;                  ///< the kernel's step
  Padding<D> padding = 0;              ///< numbers, "valid" or "same"
  Dims<D> dilation = 1;                ///< the spacing between kernel elements
  int64_t groups = 1;                  ///< blocked connections (in_channels, once known, must divide by it)
  bool bias = true;                    ///< a learnable bias
  std::string padding_mode = "zeros";  ///< "zeros", "reflect", "replicate" or "circular"
  bool winograd = false;               ///< oneDNN's Winograd algorithm (see ConvOptions::winograd)
};

/// ConvTransposeOptions without in_channels.
template <size_t D>
struct LazyConvTransposeOptions {
  int64_t out_channels = kRequired;    ///< C_out (required)
  Dims<D> kernel_size = kRequired;     ///< the kernel's size (required)
  Dims<D> stride = 1;                  ///< the kernel's step over the output
  Padding<D> padding = 0;              ///< numbers, "valid" or "same"
  Dims<D> output_padding = 0;          ///< extra size on one side of the output
  int64_t groups = 1;                  ///< blocked connections
  bool bias = true;                    ///< a learnable bias
  Dims<D> dilation = 1;                ///< the spacing between kernel elements
  std::string padding_mode = "zeros";  ///< "zeros" only, as PyTorch's transposed convs
};

/// What a lazy layer becomes: its options and how to complete them.
template <class Concrete>
struct LazyTraits;

/// How LazyConv completes a ConvNd's options once in_channels is known.
template <size_t D>
struct LazyTraits<ConvNd<D>> {
  using Options = LazyConvOptions<D>;        ///< the options without in_channels
  static constexpr size_t dims = D;          ///< spatial dims
  static constexpr bool transposed = false;  ///< not transposed
  /// The concrete layer's options, with in_channels.
  static ConvOptions<D> complete(const Options& o, int64_t in_channels) {
    return {.in_channels = in_channels,
            .out_channels = o.out_channels,
            .kernel_size = o.kernel_size,
            .stride = o.stride,
            .padding = o.padding,
            .dilation = o.dilation,
            .groups = o.groups,
            .bias = o.bias,
            .padding_mode = o.padding_mode,
            .winograd = o.winograd};
  }
};

/// How LazyConv completes a ConvTransposeNd's options once in_channels is known.
template <size_t D>
struct LazyTraits<ConvTransposeNd<D>> {
  using Options = LazyConvTransposeOptions<D>;  ///< the options without in_channels
  static constexpr size_t dims = D;             ///< spatial dims
  static constexpr bool transposed = true;      ///< transposed
  /// The concrete layer's options, with in_channels.
  static ConvTransposeOptions<D> complete(const Options& o, int64_t in_channels) {
    return {.in_channels = in_channels,
            .out_channels = o.out_channels,
            .kernel_size = o.kernel_size,
            .stride = o.stride,
            .padding = o.padding,
            .output_padding = o.output_padding,
            .groups = o.groups,
            .bias = o.bias,
            .dilation = o.dilation,
            .padding_mode = o.padding_mode};
  }
};

/// torch.nn.LazyConv*: in_channels is taken from the first input (or from a loaded state_dict); until then the weight
/// is an uninitialized parameter. Afterwards it behaves as the concrete Conv layer.
template <class Concrete>
class LazyConv : public Layer<LazyConv<Concrete>> {
  using Traits = LazyTraits<Concrete>;

 public:
  using Options = typename Traits::Options;  ///< LazyConvOptions<D> or LazyConvTransposeOptions<D>

  /// Checks every option that does not depend on in_channels, including out_channels % groups
  /// (which PyTorch's lazy layers leave to a confusing error at the first forward).
  explicit LazyConv(const Options& options);

  /// Materialises from the input on the first call, then is the concrete layer's forward.
  Tensor forward(const Tensor& input);
  Tensor forward(const Tensor& input, const std::vector<int64_t>& output_size) requires(
      LazyTraits<Concrete>::transposed);  ///< not Traits::: clang 14 cannot match that out of line
  Tensor operator()(const Tensor& input) { return forward(input); }  ///< forward(input)
  /// A template, so that clang's explicit instantiation of a non-transposed LazyConv skips it.
  template <bool Transposed = Traits::transposed>
  requires(Transposed) Tensor operator()(const Tensor& input, const std::vector<int64_t>& output_size) {
    return forward(input, output_size);
  }

  bool has_uninitialized_params() const;  ///< whether in_channels is still unknown (PyTorch's has_uninitialized_params)
  /// The layer this one became; an error before it has materialised.
  Concrete& materialized() const;
  /// "LazyConv2d" until materialised, then the concrete name ("Conv2d").
  std::string name() const override;
  std::string extra_repr() const override;

  Options options;  ///< as constructed

 protected:
  void materialize_from(const StateDict& own) override;

 private:
  void materialize(int64_t in_channels, const std::string& source);
  Concrete& ready_for(const Tensor& input);  ///< materialises if needed; refuses a partly loaded layer

  struct State {
    std::optional<Concrete> layer;
    std::string load_gap;  ///< set when a load left some parameter uninitialized: forward refuses to run
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
  std::string who_;    ///< "LazyConv2d(?->16, k=3)"
  ConvParams params_;  ///< for the repr before materialisation
};

using LazyConv1d = LazyConv<Conv1d>;                    ///< torch.nn.LazyConv1d
using LazyConv2d = LazyConv<Conv2d>;                    ///< torch.nn.LazyConv2d
using LazyConv3d = LazyConv<Conv3d>;                    ///< torch.nn.LazyConv3d
using LazyConvTranspose1d = LazyConv<ConvTranspose1d>;  ///< torch.nn.LazyConvTranspose1d
using LazyConvTranspose2d = LazyConv<ConvTranspose2d>;  ///< torch.nn.LazyConvTranspose2d
using LazyConvTranspose3d = LazyConv<ConvTranspose3d>;  ///< torch.nn.LazyConvTranspose3d

/// @}
}  // namespace nabla::nn
