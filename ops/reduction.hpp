#pragma once
/// @file
/// Reductions: sums and means over all or some dims, max/min (values and indices) over a dim, argmax,
/// logsumexp, and sum_to_size (the adjoint of broadcasting).
#include <tuple>

#include "nabla/core/tensor.hpp"

namespace nabla {

Tensor sum(const Tensor& x);  ///< float32 → float32; int64 or bool → int64
Tensor sum(const Tensor& x, const Shape& dims, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, const Shape& dims, bool keepdim = false);
Tensor max(const Tensor& x);
Tensor min(const Tensor& x);
std::tuple<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false);  ///< (values, indices)
std::tuple<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor logsumexp(const Tensor& x, const Shape& dims, bool keepdim = false);
/// Sums x over the dims along which `shape` was broadcast to x's shape.
Tensor sum_to_size(const Tensor& x, const Shape& shape);

}  // namespace nabla
