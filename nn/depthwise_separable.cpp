#include "nabla/nn/depthwise_separable.hpp"

#include "nabla/core/error.hpp"

namespace nabla::nn {
namespace {

// Checked before either conv is built, so the error names the block, not a child.
template <size_t D>
const DepthwiseSeparableConvOptions<D>& checked(const DepthwiseSeparableConvOptions<D>& o) {
  const std::string who = "DepthwiseSeparableConv" + std::to_string(D) + "d";
  check_required(who, "in_channels", o.in_channels);
  check_required(who, "out_channels", o.out_channels);
  NABLA_CHECK(o.depth_multiplier > 0, who, ": depth_multiplier must be positive, got ", o.depth_multiplier);
  NABLA_CHECK(o.in_channels > 0, who, ": in_channels must be positive, got ", o.in_channels);
  checked_mul(o.in_channels, o.depth_multiplier, who + ": in_channels * depth_multiplier");
  return o;
}

}  // namespace

template <size_t D>
DepthwiseSeparableConvNd<D>::DepthwiseSeparableConvNd(const DepthwiseSeparableConvOptions<D>& opts)
    : options(checked(opts)),
      depthwise({.in_channels = options.in_channels,
                 .out_channels = options.in_channels * options.depth_multiplier,
                 .kernel_size = options.kernel_size,
                 .stride = options.stride,
                 .padding = options.padding,
                 .dilation = options.dilation,
                 .groups = options.in_channels,
                 .bias = options.bias,
                 .padding_mode = options.padding_mode}),
      pointwise({.in_channels = options.in_channels * options.depth_multiplier,
                 .out_channels = options.out_channels,
                 .kernel_size = 1,
                 .bias = options.bias}) {
  this->register_module("depthwise", depthwise);
  this->register_module("pointwise", pointwise);
}

template class DepthwiseSeparableConvNd<1>;
template class DepthwiseSeparableConvNd<2>;
template class DepthwiseSeparableConvNd<3>;

}  // namespace nabla::nn
