#pragma once
/// @file
/// DepthwiseSeparableConv1d/2d/3d: a depthwise conv (one filter group per input channel, each with
/// depth_multiplier filters) followed by a pointwise 1x1 conv that mixes the channels, as in
/// MobileNet and Xception. The children are named `depthwise` and `pointwise`, so the state_dict
/// has the keys of the usual PyTorch block (depthwise.weight, depthwise.bias, pointwise.weight, ...).
///
/// @code
///   nn::DepthwiseSeparableConv2d block({.in_channels = 32, .out_channels = 64, .kernel_size = 3,
///                                       .padding = "same"});
/// @endcode
///
/// Against a dense conv with the same kernel it needs about 1/out_channels + 1/∏kernel of the
/// weights and multiply-adds (tests/test_depthwise_separable.cpp counts both).
/// @ingroup layers_conv
#include <string>

#include "nabla/nn/conv.hpp"

namespace nabla::nn {
/// @addtogroup layers_conv
/// @{

/// The options of DepthwiseSeparableConv1d/2d/3d.
template <size_t D>
struct DepthwiseSeparableConvOptions {
  int64_t in_channels = kRequired;     ///< C_in (required)
  int64_t out_channels = kRequired;    ///< C_out (required)
  Dims<D> kernel_size = kRequired;     ///< of the depthwise conv
  Dims<D> stride = 1;                  ///< the depthwise conv's step
  Padding<D> padding = 0;              ///< numbers, "valid" or "same"
  Dims<D> dilation = 1;                ///< the depthwise conv's dilation
  bool bias = true;                    ///< for both convs
  std::string padding_mode = "zeros";  ///< the depthwise conv's padding mode
  int64_t depth_multiplier = 1;        ///< filters per input channel in the depthwise conv
};

/// A depthwise conv (groups = in_channels) followed by a pointwise (1×1) conv: MobileNet's block, far fewer weights
/// than one full conv. Not in PyTorch (Keras' SeparableConv).
template <size_t D>
class DepthwiseSeparableConvNd : public Layer<DepthwiseSeparableConvNd<D>> {
 public:
  /// Builds the two convs; invalid options are a nabla::Error naming the layer.
  explicit DepthwiseSeparableConvNd(const DepthwiseSeparableConvOptions<D>& options);
  /// pointwise(depthwise(input)); input as ConvNd<D>'s
  Tensor forward(const Tensor& input) { return pointwise(depthwise(input)); }
  std::string name() const override { return "DepthwiseSeparableConv" + std::to_string(D) + "d"; }

  DepthwiseSeparableConvOptions<D> options;  ///< as constructed
  ConvNd<D> depthwise;                       ///< in -> in * depth_multiplier, groups = in
  ConvNd<D> pointwise;                       ///< kernel 1: in * depth_multiplier -> out
};

using DepthwiseSeparableConv1d = DepthwiseSeparableConvNd<1>;  ///< 1-D: input (N, C, L)
using DepthwiseSeparableConv2d = DepthwiseSeparableConvNd<2>;  ///< 2-D: input (N, C, H, W)
using DepthwiseSeparableConv3d = DepthwiseSeparableConvNd<3>;  ///< 3-D: input (N, C, D, H, W)

/// @}
}  // namespace nabla::nn
