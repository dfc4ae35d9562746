#pragma once
/// @file
/// Conv1d/2d/3d and ConvTranspose1d/2d/3d: one N-d template each, PyTorch's options, defaults,
/// parameters, initialisation, repr and errors.
///
/// @code
///   nn::Conv2d conv({.in_channels = 3, .out_channels = 16, .kernel_size = 5, .stride = 2});
///   nn::Conv1d same({.in_channels = 8, .out_channels = 8, .kernel_size = 4, .padding = "same",
///                    .padding_mode = "reflect"});
///   nn::ConvTranspose2d up({.in_channels = 16, .out_channels = 3, .kernel_size = 3, .stride = 2});
///   auto y = up(x, {64, 64});   // output_size picks the output_padding, as in PyTorch
///   nn::ConvTranspose1d twice({.in_channels = 8, .out_channels = 8, .kernel_size = 4, .stride = 2,
///                              .padding = "same"});   // length * 2, as TensorFlow's 'SAME'
/// @endcode
/// @ingroup layers_conv
#include <string>
#include <vector>

#include "nabla/nn/module.hpp"
#include "nabla/ops/conv.hpp"

namespace nabla::nn {
/// @addtogroup layers_conv
/// @{

/// The options of nn::Conv1d/2d/3d, in PyTorch's order: in_channels, out_channels and kernel_size are required.
template <size_t D>
struct ConvOptions {
  int64_t in_channels = kRequired;     ///< C_in, the input's channels (required)
  int64_t out_channels = kRequired;    ///< C_out, the channels produced (required)
  Dims<D> kernel_size = kRequired;     ///< the kernel's size: one number or one per spatial dim (required)
  Dims<D> stride = 1;                  ///< the kernel's step
  Padding<D> padding = 0;              ///< numbers, "valid" or "same"
  Dims<D> dilation = 1;                ///< the spacing between kernel elements
  int64_t groups = 1;                  ///< blocked connections: in_channels and out_channels must both divide by it
  bool bias = true;                    ///< a learnable bias (out_channels)
  std::string padding_mode = "zeros";  ///< zeros, reflect, replicate or circular
  /// Nabla's extension, not in PyTorch: run this layer with oneDNN's Winograd algorithm. Faster for
  /// 3×3, stride-1, ungrouped, undilated convs with many input channels on AVX-512, but less exact
  /// (differences of ~1e-4 relative instead of ~1e-6). A layer oneDNN has no Winograd kernel for
  /// raises an error at its first forward.
  bool winograd = false;
};

/// PyTorch's order: output_padding, groups and bias come before dilation.
template <size_t D>
struct ConvTransposeOptions {
  int64_t in_channels = kRequired;     ///< C_in (required)
  int64_t out_channels = kRequired;    ///< C_out (required)
  Dims<D> kernel_size = kRequired;     ///< the kernel's size (required)
  Dims<D> stride = 1;                  ///< the kernel's step over the output
  Padding<D> padding = 0;              ///< numbers, "valid" or "same" (output = input * stride; Nabla's extension)
  Dims<D> output_padding = 0;          ///< extra size on one side of the output, below stride or dilation
  int64_t groups = 1;                  ///< blocked connections, as Conv's
  bool bias = true;                    ///< a learnable bias (out_channels)
  Dims<D> dilation = 1;                ///< the spacing between kernel elements
  std::string padding_mode = "zeros";  ///< only zeros, as in PyTorch
};

/// weight: (out_channels, in_channels/groups, *kernel_size); bias: (out_channels).
template <size_t D>
class ConvNd : public Layer<ConvNd<D>> {
 public:
  /// Builds the layer with PyTorch's initialisation (kaiming_uniform_(a=√5) weights, uniform bias); invalid options (a
  /// missing required one, groups not dividing the channels, a non-positive size, an unknown padding_mode) are a
  /// nabla::Error naming the layer.
  explicit ConvNd(const ConvOptions<D>& options);
  /// The constructor's checks, without creating parameters; `who` names the layer in messages.
  static ConvParams checked_params(const ConvOptions<D>& options, const std::string& who);
  /// Input (N, C_in, *spatial) or unbatched (C_in, *spatial); output (N, C_out, *out_spatial), each out size ⌊(in +
  /// 2·padding - dilation·(k-1) - 1) / stride⌋ + 1. A mismatched input is a nabla::Error naming the layer, the expected
  /// and the actual shape.
  Tensor forward(const Tensor& input);
  /// relu(forward(input)) with the ReLU as the convolution primitive's post-op: one pass over the output
  /// instead of two. nn::Sequential runs a Conv followed by a ReLU this way.
  Tensor forward_relu(const Tensor& input);
  /// kaiming_uniform(a=√5) for the weight, U(±1/√fan_in) for the bias, as torch.nn.Conv*d.
  void reset_parameters();
  std::string name() const override { return "Conv" + std::to_string(D) + "d"; }
  std::string extra_repr() const override;

  ConvOptions<D> options;  ///< as constructed
  Tensor weight;           ///< (out_channels, in_channels / groups, *kernel_size)
  Tensor bias;             ///< (out_channels), or undefined without bias

 private:
  Tensor run(const Tensor& input, bool relu);  ///< in int8 once quantization::convert has converted the layer
  Tensor float_run(const Tensor& input, const Tensor& weight, const Tensor& bias, bool relu);

  std::string who_;                 ///< "Conv2d(3->16, k=5)", for messages
  ConvParams params_;               ///< as the conv op takes them
  std::vector<int64_t> mode_pads_;  ///< the explicit pad() when padding_mode is not zeros
};

/// weight: (in_channels, out_channels/groups, *kernel_size); bias: (out_channels).
template <size_t D>
class ConvTransposeNd : public Layer<ConvTransposeNd<D>> {
 public:
  /// Builds the layer with PyTorch's initialisation; invalid options are a nabla::Error naming the layer.
  explicit ConvTransposeNd(const ConvTransposeOptions<D>& options);
  /// The options checked and in rank-independent form (`who` names the layer in errors).
  static ConvParams checked_params(const ConvTransposeOptions<D>& options, const std::string& who);
  /// output_size: the spatial sizes, or the full output shape; empty uses options.output_padding.
  Tensor forward(const Tensor& input, const std::vector<int64_t>& output_size = {});
  /// Spelled out (not Layer's) so that `up(x, {64, 64})` can take a braced list.
  Tensor operator()(const Tensor& input, const std::vector<int64_t>& output_size = {}) {
    return forward(input, output_size);
  }
  /// Re-initialises weight and bias as the constructor does.
  void reset_parameters();
  std::string name() const override { return "ConvTranspose" + std::to_string(D) + "d"; }
  std::string extra_repr() const override;

  ConvTransposeOptions<D> options;  ///< as constructed
  Tensor weight;                    ///< (in_channels, out_channels / groups, *kernel_size), as PyTorch's
  Tensor bias;                      ///< (out_channels), or undefined without bias

 private:
  std::string who_;
  ConvParams params_;
};

using Conv1d = ConvNd<1>;                    ///< torch.nn.Conv1d: input (N, C_in, L)
using Conv2d = ConvNd<2>;                    ///< torch.nn.Conv2d: input (N, C_in, H, W)
using Conv3d = ConvNd<3>;                    ///< torch.nn.Conv3d: input (N, C_in, D, H, W)
using ConvTranspose1d = ConvTransposeNd<1>;  ///< torch.nn.ConvTranspose1d
using ConvTranspose2d = ConvTransposeNd<2>;  ///< torch.nn.ConvTranspose2d
using ConvTranspose3d = ConvTransposeNd<3>;  ///< torch.nn.ConvTranspose3d

/// @}
}  // namespace nabla::nn
