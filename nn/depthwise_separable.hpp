#pragma once
/// @file
/// DepthwiseSeparableConv1d/2d/3d: a depthwise conv (one filter group per input channel, each with
/// depth_multiplier filters) followed by a pointwise 1x1 conv that mixes the channels, as in
/// MobileNet and Xception. The children are named `depthwise` and `pointwise`, so the state_dict
/// has the keys of the usual PyTorch block (depthwise.weight, depthwise.bias, pointwise.weight, ...).
///
///   nn::DepthwiseSeparableConv2d block({.in_channels = 32, .out_channels = 64, .kernel_size = 3,
///                                       .padding = "same"});
///
/// Against a dense conv with the same kernel it needs about 1/out_channels + 1/∏kernel of the
/// weights and multiply-adds (tests/test_depthwise_separable.cpp counts both).
#include <string>

#include "nabla/nn/conv.hpp"

namespace nabla::nn {

template <size_t D>
struct DepthwiseSeparableConvOptions {
  int64_t in_channels = kRequired;
  int64_t out_channels = kRequired;
  Dims<D> kernel_size = kRequired;  ///< of the depthwise conv
  Dims<D> stride = 1;
  Padding<D> padding = 0;   ///< numbers, "valid" or "same"
  Dims<D> dilation = 1;
  bool bias = true;          ///< for both convs
  std::string padding_mode = "zeros";
  int64_t depth_multiplier = 1;  ///< filters per input channel in the depthwise conv
};

template <size_t D>
class DepthwiseSeparableConvNd : public Layer<DepthwiseSeparableConvNd<D>> {
 public:
  explicit DepthwiseSeparableConvNd(const DepthwiseSeparableConvOptions<D>& options);
  Tensor forward(const Tensor& input) { return pointwise(depthwise(input)); }
  std::string name() const override { return "DepthwiseSeparableConv" + std::to_string(D) + "d"; }

  DepthwiseSeparableConvOptions<D> options;
  ConvNd<D> depthwise;  ///< in -> in * depth_multiplier, groups = in
  ConvNd<D> pointwise;  ///< kernel 1: in * depth_multiplier -> out
};

using DepthwiseSeparableConv1d = DepthwiseSeparableConvNd<1>;
using DepthwiseSeparableConv2d = DepthwiseSeparableConvNd<2>;
using DepthwiseSeparableConv3d = DepthwiseSeparableConvNd<3>;

}  // namespace nabla::nn
