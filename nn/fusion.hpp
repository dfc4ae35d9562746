#pragma once
// torch.nn.utils.fuse_conv_bn_eval: for inference, a BatchNorm after a conv folded into the conv's weight and
// bias, so the pair becomes one conv (one primitive, no pass over the output for the norm).
#include "nabla/nn/conv.hpp"
#include "nabla/nn/normalization.hpp"

namespace nabla::nn::utils {

// A new conv (with a bias) computing bn(conv(x)) as bn computes it in eval mode: weight · γ/√(var + ε) per
// output channel, bias (b - mean) · γ/√(var + ε) + β. Both must be in eval mode; neither is changed.
template <size_t D>
ConvNd<D> fuse_conv_bn_eval(const ConvNd<D>& conv, const BatchNormNd<D>& bn);

}  // namespace nabla::nn::utils
