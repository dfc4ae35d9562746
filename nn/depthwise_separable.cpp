#include "nabla/nn/depthwise_separable.hpp"

#include "nabla/core/error.hpp"

namespace nabla::nn {
namespace {

// Checked before either conv is built, so the error names the block, not a child.
template <size_t D>
const DepthwiseSeparableConvOptions<D>& checked(const DepthwiseSeparableConvOptions<D>& o) {
  NABLA_CHECK(o.depth_multiplier > 0, "DepthwiseSeparableConv", D, "d: depth_multiplier must be positive, got ",
              o.depth_multiplier);
  NABLA_CHECK(o.in_channels > 0, "DepthwiseSeparableConv", D, "d: in_channels must be positive, got ", o.in_channels);
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
