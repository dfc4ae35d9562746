#pragma once
/// @file
/// Reductions: sums and means over all or some dims, max/min (values and indices) over a dim, argmax,
/// logsumexp, and sum_to_size (the adjoint of broadcasting).
/// @ingroup tensors
#include <tuple>

#include "nabla/core/tensor.hpp"

namespace nabla {
/// @addtogroup tensors
/// @{

Tensor sum(const Tensor& x);  ///< float32 → float32; int64 or bool → int64
/// The sum over `dims` (torch.sum(x, dims, keepdim)).
Tensor sum(const Tensor& x, const Shape& dims, bool keepdim = false);
Tensor mean(const Tensor& x);                                           ///< the mean of all elements
Tensor mean(const Tensor& x, const Shape& dims, bool keepdim = false);  ///< the mean over `dims`
Tensor max(const Tensor& x);                                            ///< the largest element (NaN if any)
Tensor min(const Tensor& x);                                            ///< the smallest element (NaN if any)
std::tuple<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false);  ///< (values, indices)
/// (values, indices) of the minimum along dim
std::tuple<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim = false);
/// the index of the largest element along dim (int64)
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor logsumexp(const Tensor& x, const Shape& dims, bool keepdim = false);  ///< log Σ exp over dims, computed stably
/// Sums x over the dims along which `shape` was broadcast to x's shape.
Tensor sum_to_size(const Tensor& x, const Shape& shape);

/// @}
}  // namespace nabla
