#pragma once
/// @file
/// Quantized tensors (torch.quantize_per_tensor, torch.quantize_per_channel, Tensor.dequantize): uint8 (quint8) or
/// int8 (qint8) integers with a scale and zero point, q = clamp(nearbyint(x · (1/scale)) + zero_point), as PyTorch
/// computes it on x86 (1/scale in float32, ties to even; NaN and ±inf give the lowest integer).
/// Quantized tensors are what the int8 kernels read and write (the int8 convolution, linear and pooling, and
/// quantization::convert's layers); view and reshape ops keep their parameters; any other op wants dequantize() first.
/// @ingroup quantization
#include <vector>

#include "nabla/core/qparams.hpp"
#include "nabla/core/tensor.hpp"

namespace nabla {
/// @addtogroup quantization
/// @{

/// dtype: kUInt8 (quint8) or kInt8 (qint8). scale > 0 and finite, zero_point within the dtype's range.
Tensor quantize_per_tensor(const Tensor& x, double scale, int64_t zero_point, Dtype dtype);
/// One scale and zero point per slice of x along axis.
Tensor quantize_per_channel(const Tensor& x, const std::vector<double>& scales, const std::vector<int64_t>& zero_points,
                            int64_t axis, Dtype dtype);
/// The float32 values a quantized tensor stands for: (q - zero_point) · scale.
Tensor dequantize(const Tensor& q);

/// Throws a nabla::Error naming `op` unless scale is positive and finite and zero_point fits the dtype.
void check_quantization_params(double scale, int64_t zero_point, Dtype dtype, const char* op);

/// A quantized tensor over these integers and parameters (the int8 kernels' results; checkpoints).
Tensor make_quantized(const Tensor& integers, QParams params);

/// @}
}  // namespace nabla
