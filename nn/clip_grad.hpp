#pragma once
/// @file
/// torch.nn.utils.clip_grad_norm_ and clip_grad_value_: rescale or clamp the gradients of `parameters` in
/// place, between backward and the optimizer step. Parameters without a gradient are skipped.
/// @ingroup init
#include <limits>
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla::nn::utils {
/// @addtogroup init
/// @{

/// Scales every gradient by min(1, max_norm / (total_norm + 1e-6)), where total_norm is the norm_type-norm of all
/// gradients together (norm_type = infinity: the largest absolute value); returns total_norm, as LibTorch does.
/// With error_if_nonfinite, a NaN or infinite total norm raises instead of scaling.
double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);
/// Clamps every gradient element into [-clip_value, clip_value].
void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value);

/// @}
}  // namespace nabla::nn::utils
