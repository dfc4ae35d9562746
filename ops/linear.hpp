#pragma once
/// @file
/// Matrix products on oneDNN: matmul (torch.matmul's rules for 1-D, 2-D and batched operands) and
/// linear (y = x Wᵀ + b over the last dim of x).
/// @ingroup functional
#include "nabla/core/tensor.hpp"

namespace nabla {
/// @addtogroup functional
/// @{

/// torch.matmul: 1-D, 2-D and batched operands with broadcast batch dims.
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor mm(const Tensor& a, const Tensor& b);  ///< 2-D only
/// F.linear: input (*, in_features) · weightᵀ (weight (out_features, in_features)) + bias (out_features).
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias = {});
/// The int8 linear (PyTorch's quantized::linear): a uint8 input quantized per tensor, an int8 (out, in) weight
/// quantized per output feature (or per tensor) with zero points 0, a float32 bias; the result uint8, quantized with
/// output_scale and output_zero_point, relu'd when asked. oneDNN's u8·s8 matmul; inference only.
Tensor quantized_linear(const Tensor& input, const Tensor& weight, const Tensor& bias, double output_scale,
                        int64_t output_zero_point, bool relu = false);

/// @}
}  // namespace nabla
