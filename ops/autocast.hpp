#pragma once
/// @file
/// What autocast (nabla/core/autocast.hpp) means for the ops: the dtype the lower-precision ones compute in.
/// @ingroup amp
#include "nabla/core/tensor.hpp"

namespace nabla::autocast {
/// @addtogroup amp
/// @{

/// Whether bfloat16 convolutions are faster than float32 ones on this CPU: timed once per process on one small
/// convolution (64 to 64 channels, 3x3, 28x28, batch 4) and logged at info with the ratio; NABLA_BF16=force or off
/// decides instead.
bool bfloat16_pays();

/// The dtype conv, linear and matmul compute in on this thread now: bfloat16 under an AutocastGuard where it pays,
/// else float32.
Dtype lower_precision_dtype();

/// An operand of a lower-precision op (linear, matmul) in the dtype it computes in now: t itself outside autocast;
/// under it, cast (differentiably) to lower_precision_dtype(). A parameter's bfloat16 copy is made once per version
/// of the parameter (an optimizer step makes a new one), not on every forward: PyTorch's autocast weight cache.
Tensor lower_precision_operand(const Tensor& t);

/// @}
}  // namespace nabla::autocast
