#pragma once
/// @file
/// torch.nn.utils.fuse_conv_bn_eval: for inference, a BatchNorm after a conv folded into the conv's weight and
/// bias, so the pair becomes one conv (one primitive, no pass over the output for the norm).
/// @ingroup quantization
#include <utility>

#include "nabla/nn/conv.hpp"
#include "nabla/nn/normalization.hpp"

namespace nabla::nn::utils {
/// @addtogroup quantization
/// @{

/// torch.nn.utils.fuse_conv_bn_weights: the weight and bias (a new bias when the conv has none) of a conv computing
/// bn(conv(x)) as bn computes it in eval mode: weight · γ/√(var + ε) per output channel, bias (b - mean) · γ/√(var + ε)
/// + β. bn must be in eval mode with running statistics; `who` names the caller in errors.
std::pair<Tensor, Tensor> fuse_conv_bn_weights(const Tensor& conv_weight, const Tensor& conv_bias, const NormBase& bn,
                                               const std::string& who = "fuse_conv_bn_weights");
/// The same from the norm's tensors, in PyTorch's order (bn_weight, bn_bias undefined: 1 and 0). Computed without
/// recording a graph.
std::pair<Tensor, Tensor> fuse_conv_bn_weights(const Tensor& conv_weight, const Tensor& conv_bias,
                                               const Tensor& running_mean, const Tensor& running_var, double eps,
                                               const Tensor& bn_weight, const Tensor& bn_bias);

/// A new conv (with a bias) computing bn(conv(x)) with the weights above. Both must be in eval mode; neither is
/// changed.
template <size_t D>
ConvNd<D> fuse_conv_bn_eval(const ConvNd<D>& conv, const BatchNormNd<D>& bn);

/// @}
}  // namespace nabla::nn::utils
