#pragma once
// Tensor factories, named and defaulted as torch's.
#include <cstdint>
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla {

// A nabla::Error naming `who` when a `dtype` tensor of `shape` cannot exist here: a negative size, a byte count
// an int64 cannot hold, or more bytes than the machine's physical memory (refused before allocating, rather
// than a std::bad_alloc or the OOM killer). Ops check their outputs with it before building oneDNN primitives.
void check_allocatable(const Shape& shape, Dtype dtype, const std::string& who);
Tensor empty(const Shape& shape, Dtype dtype = kFloat32);
Tensor zeros(const Shape& shape, Dtype dtype = kFloat32);
Tensor ones(const Shape& shape, Dtype dtype = kFloat32);
Tensor full(const Shape& shape, double value, Dtype dtype = kFloat32);
Tensor scalar_tensor(double value, Dtype dtype = kFloat32);  // 0-d
Tensor arange(double end, Dtype dtype = kInt64);
Tensor arange(double start, double end, double step = 1.0, Dtype dtype = kInt64);
Tensor rand(const Shape& shape);                              // U[0, 1)
Tensor randn(const Shape& shape);                             // N(0, 1)
Tensor randint(int64_t low, int64_t high, const Shape& shape);  // int64 in [low, high)
Tensor randperm(int64_t n);

Tensor empty_like(const Tensor& t);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, double value);
Tensor rand_like(const Tensor& t);
Tensor randn_like(const Tensor& t);

Tensor from_vector(const std::vector<float>& values, const Shape& shape);
Tensor from_vector(const std::vector<int64_t>& values, const Shape& shape);
Tensor from_vector(const std::vector<double>& values, const Shape& shape);
Tensor from_vector(const std::vector<BFloat16>& values, const Shape& shape);
Tensor from_vector(const std::vector<bool>& values, const Shape& shape);

}  // namespace nabla
