#pragma once
/// @file
/// Conv1d/2d/3d and ConvTranspose1d/2d/3d: one N-d template each, PyTorch's options, defaults,
/// parameters, initialisation, repr and errors.
///
///   nn::Conv2d conv({.in_channels = 3, .out_channels = 16, .kernel_size = 5, .stride = 2});
///   nn::Conv1d same({.in_channels = 8, .out_channels = 8, .kernel_size = 4, .padding = "same",
///                    .padding_mode = "reflect"});
///   nn::ConvTranspose2d up({.in_channels = 16, .out_channels = 3, .kernel_size = 3, .stride = 2});
///   auto y = up(x, {64, 64});   // output_size picks the output_padding, as in PyTorch
///   nn::ConvTranspose1d twice({.in_channels = 8, .out_channels = 8, .kernel_size = 4, .stride = 2,
///                              .padding = "same"});   // length * 2, as TensorFlow's 'SAME'
#include <string>
#include <vector>

#include "nabla/nn/module.hpp"
#include "nabla/ops/conv.hpp"

namespace nabla::nn {

template <size_t D>
struct ConvOptions {
  int64_t in_channels = kRequired;
  int64_t out_channels = kRequired;
  Dims<D> kernel_size = kRequired;
  Dims<D> stride = 1;
  Padding<D> padding = 0;   ///< numbers, "valid" or "same"
  Dims<D> dilation = 1;
  int64_t groups = 1;
  bool bias = true;
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
  int64_t in_channels = kRequired;
  int64_t out_channels = kRequired;
  Dims<D> kernel_size = kRequired;
  Dims<D> stride = 1;
  Padding<D> padding = 0;   ///< numbers, "valid" or "same" (output = input * stride; Nabla's extension)
  Dims<D> output_padding = 0;
  int64_t groups = 1;
  bool bias = true;
  Dims<D> dilation = 1;
  std::string padding_mode = "zeros";  ///< only zeros, as in PyTorch
};

/// weight: (out_channels, in_channels/groups, *kernel_size); bias: (out_channels).
template <size_t D>
class ConvNd : public Layer<ConvNd<D>> {
 public:
  explicit ConvNd(const ConvOptions<D>& options);
  /// The constructor's checks, without creating parameters; `who` names the layer in messages.
  static ConvParams checked_params(const ConvOptions<D>& options, const std::string& who);
  Tensor forward(const Tensor& input);
  /// relu(forward(input)) with the ReLU as the convolution primitive's post-op: one pass over the output
  /// instead of two. nn::Sequential runs a Conv followed by a ReLU this way.
  Tensor forward_relu(const Tensor& input);
  /// kaiming_uniform(a=√5) for the weight, U(±1/√fan_in) for the bias, as torch.nn.Conv*d.
  void reset_parameters();
  std::string name() const override { return "Conv" + std::to_string(D) + "d"; }
  std::string extra_repr() const override;

  ConvOptions<D> options;
  Tensor weight;
  Tensor bias;

 private:
  Tensor run(const Tensor& input, bool relu);  ///< in int8 once quantization::convert has converted the layer
  Tensor float_run(const Tensor& input, const Tensor& weight, const Tensor& bias, bool relu);

  std::string who_;           ///< "Conv2d(3->16, k=5)", for messages
  ConvParams params_;         ///< as the conv op takes them
  std::vector<int64_t> mode_pads_;  ///< the explicit pad() when padding_mode is not zeros
};

/// weight: (in_channels, out_channels/groups, *kernel_size); bias: (out_channels).
template <size_t D>
class ConvTransposeNd : public Layer<ConvTransposeNd<D>> {
 public:
  explicit ConvTransposeNd(const ConvTransposeOptions<D>& options);
  static ConvParams checked_params(const ConvTransposeOptions<D>& options, const std::string& who);
  /// output_size: the spatial sizes, or the full output shape; empty uses options.output_padding.
  Tensor forward(const Tensor& input, const std::vector<int64_t>& output_size = {});
  /// Spelled out (not Layer's) so that `up(x, {64, 64})` can take a braced list.
  Tensor operator()(const Tensor& input, const std::vector<int64_t>& output_size = {}) {
    return forward(input, output_size);
  }
  void reset_parameters();
  std::string name() const override { return "ConvTranspose" + std::to_string(D) + "d"; }
  std::string extra_repr() const override;

  ConvTransposeOptions<D> options;
  Tensor weight;
  Tensor bias;

 private:
  std::string who_;
  ConvParams params_;
};

using Conv1d = ConvNd<1>;
using Conv2d = ConvNd<2>;
using Conv3d = ConvNd<3>;
using ConvTranspose1d = ConvTransposeNd<1>;
using ConvTranspose2d = ConvTransposeNd<2>;
using ConvTranspose3d = ConvTransposeNd<3>;

}  // namespace nabla::nn
