#pragma once
/// @file
/// Tensor factories, named and defaulted as torch's.
/// @ingroup tensors
#include <cstdint>
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla {
/// @addtogroup tensors
/// @{

/// A nabla::Error naming `who` when a `dtype` tensor of `shape` cannot exist here: a negative size, a byte count
/// an int64 cannot hold, or more bytes than the machine's physical memory (refused before allocating, rather
/// than a std::bad_alloc or the OOM killer). Ops check their outputs with it before building oneDNN primitives.
void check_allocatable(const Shape& shape, Dtype dtype, const std::string& who);
Tensor empty(const Shape& shape, Dtype dtype = kFloat32);               ///< uninitialised values
Tensor zeros(const Shape& shape, Dtype dtype = kFloat32);               ///< torch.zeros
Tensor ones(const Shape& shape, Dtype dtype = kFloat32);                ///< torch.ones
Tensor full(const Shape& shape, double value, Dtype dtype = kFloat32);  ///< torch.full
Tensor scalar_tensor(double value, Dtype dtype = kFloat32);             ///< 0-d
Tensor arange(double end, Dtype dtype = kInt64);  ///< 0, 1, ..., up to end (exclusive), as torch.arange
/// start, start + step, ... up to end (exclusive)
Tensor arange(double start, double end, double step = 1.0, Dtype dtype = kInt64);
Tensor rand(const Shape& shape);                                ///< U[0, 1)
Tensor randn(const Shape& shape);                               ///< N(0, 1)
Tensor randint(int64_t low, int64_t high, const Shape& shape);  ///< int64 in [low, high)
Tensor randperm(int64_t n);  ///< a random permutation of 0 .. n-1 (int64), from the global generator

/// The `_like` factories: a new tensor of t's shape and dtype (torch.empty_like, zeros_like, ones_like, full_like,
/// rand_like, randn_like).
Tensor empty_like(const Tensor& t);
Tensor zeros_like(const Tensor& t);               ///< torch.zeros_like
Tensor ones_like(const Tensor& t);                ///< torch.ones_like
Tensor full_like(const Tensor& t, double value);  ///< torch.full_like
Tensor rand_like(const Tensor& t);                ///< U[0, 1), of t's shape
Tensor randn_like(const Tensor& t);               ///< N(0, 1), of t's shape

/// A tensor of `shape` holding a copy of `values` in row-major order (torch.tensor(list).reshape(shape)); the dtype
/// follows the element type. A nabla::Error when the counts differ.
Tensor from_vector(const std::vector<float>& values, const Shape& shape);
Tensor from_vector(const std::vector<int64_t>& values, const Shape& shape);   ///< an int64 tensor
Tensor from_vector(const std::vector<double>& values, const Shape& shape);    ///< a float64 tensor
Tensor from_vector(const std::vector<BFloat16>& values, const Shape& shape);  ///< a bfloat16 tensor
Tensor from_vector(const std::vector<bool>& values, const Shape& shape);      ///< a bool tensor

/// @}
}  // namespace nabla
