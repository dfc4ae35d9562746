// Tensor factories.
#include "nabla/core/factory.hpp"

#include <cmath>
#include <cstring>
#include <new>

#include "nabla/core/error.hpp"
#include "nabla/core/random.hpp"
#include "nabla/core/runtime.hpp"
#include "core/tensor_impl.h"

namespace nabla {
namespace {

template <class T>
Tensor from_values(const T* values, size_t count, const Shape& shape, Dtype dtype) {
  NABLA_CHECK(static_cast<int64_t>(count) == numel(shape), "from_vector: ", count,
              " values cannot fill shape ", shape_str(shape), " (", numel(shape), " elements)");
  Tensor out = empty(shape, dtype);
  T* p = out.data_ptr<T>();
  for (size_t i = 0; i < count; ++i) p[i] = values[i];
  return out;
}

double gib(int64_t bytes) { return static_cast<double>(bytes) / (1 << 30); }

}  // namespace

void check_allocatable(const Shape& shape, Dtype dtype, const std::string& who) {
  for (int64_t d : shape)
    NABLA_CHECK(d >= 0, who, ": trying to create a tensor with negative dimension ", d, ": ", shape_str(shape));
  const auto bytes = checked_nbytes(shape, dtype);
  NABLA_CHECK(bytes.has_value(), who, ": a ", dtype_name(dtype), " tensor of shape ", shape_str(shape),
              " needs more bytes than an int64 can count; check the sizes that made this shape");
  NABLA_CHECK(*bytes <= memory_limit(), who, ": a ", dtype_name(dtype), " tensor of shape ", shape_str(shape),
              " needs ", gib(*bytes), " GiB, more than the ", gib(memory_limit()),
              " GiB of memory a tensor may take "
              "(the machine's physical memory, or nabla::set_memory_limit); check the sizes that made this shape");
}

Tensor tensor_on(std::shared_ptr<Storage> storage, const Shape& shape, Dtype dtype) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::move(storage);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor empty(const Shape& shape, Dtype dtype) {
  check_allocatable(shape, dtype, "empty");
  const auto bytes = checked_nbytes(shape, dtype);
  try {
    return tensor_on(std::make_shared<Storage>(static_cast<size_t>(*bytes)), shape, dtype);
  } catch (const std::bad_alloc&) {
    detail::fail("empty: cannot allocate ", *bytes, " bytes for a ", dtype_name(dtype), " tensor of shape ",
                 shape_str(shape));
  }
}

Tensor full(const Shape& shape, double value, Dtype dtype) {
  Tensor out = empty(shape, dtype);
  const int64_t n = out.numel();
  visit(dtype, [&](auto zero) {
    using T = decltype(zero);
    std::fill_n(out.data_ptr<T>(), n, convert<T>(value));
  });
  return out;
}

Tensor zeros(const Shape& shape, Dtype dtype) {
  Tensor out = empty(shape, dtype);
  std::memset(out.impl()->mutable_data(), 0, static_cast<size_t>(out.numel()) * element_size(dtype));
  return out;
}

Tensor ones(const Shape& shape, Dtype dtype) { return full(shape, 1.0, dtype); }
Tensor scalar_tensor(double value, Dtype dtype) { return full({}, value, dtype); }

Tensor arange(double end, Dtype dtype) { return arange(0.0, end, 1.0, dtype); }

Tensor arange(double start, double end, double step, Dtype dtype) {
  NABLA_CHECK(step != 0.0, "arange: step must be nonzero");
  NABLA_CHECK((step > 0 && end >= start) || (step < 0 && end <= start), "arange: upper bound (", end,
              ") and lower bound (", start, ") inconsistent with step sign (", step, ")");
  const int64_t n = checked_cast_to_int64(std::ceil((end - start) / step), "arange: the number of values");
  Tensor out = empty({n}, kFloat32);
  float* p = out.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(start + static_cast<double>(i) * step);
  return out.to(dtype);
}

Tensor rand(const Shape& shape) { return empty(shape).uniform_(0.0, 1.0); }
Tensor randn(const Shape& shape) { return empty(shape).normal_(0.0, 1.0); }

Tensor randint(int64_t low, int64_t high, const Shape& shape) {
  NABLA_CHECK(low < high, "randint: expects low < high, but got low=", low, " and high=", high);
  Tensor out = empty(shape, kInt64);
  int64_t* p = out.data_ptr<int64_t>();
  const auto range = static_cast<uint64_t>(high - low);
  for (int64_t i = 0, n = out.numel(); i < n; ++i) {  // PyTorch's random_from_to transform
    const uint64_t r = range >= (uint64_t(1) << 32) ? random::next_u64() : random::next_u32();
    p[i] = static_cast<int64_t>(r % range) + low;
  }
  return out;
}

Tensor randperm(int64_t n) {
  NABLA_CHECK(n >= 0, "randperm: n must be non-negative, got ", n);
  Tensor out = arange(static_cast<double>(n));
  int64_t* p = out.data_ptr<int64_t>();
  for (int64_t i = 0; i + 1 < n; ++i) {  // Fisher-Yates, as PyTorch's CPU randperm for small n
    const int64_t z = static_cast<int64_t>(random::next_u32() % static_cast<uint64_t>(n - i));
    std::swap(p[i], p[z + i]);
  }
  return out;
}

Tensor empty_like(const Tensor& t) { return empty(t.shape(), t.dtype()); }
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype()); }
Tensor ones_like(const Tensor& t) { return ones(t.shape(), t.dtype()); }
Tensor full_like(const Tensor& t, double value) { return full(t.shape(), value, t.dtype()); }
Tensor rand_like(const Tensor& t) { return rand(t.shape()); }
Tensor randn_like(const Tensor& t) { return randn(t.shape()); }

Tensor from_vector(const std::vector<float>& values, const Shape& shape) {
  return from_values(values.data(), values.size(), shape, kFloat32);
}
Tensor from_vector(const std::vector<int64_t>& values, const Shape& shape) {
  return from_values(values.data(), values.size(), shape, kInt64);
}
Tensor from_vector(const std::vector<double>& values, const Shape& shape) {
  return from_values(values.data(), values.size(), shape, kFloat64);
}
Tensor from_vector(const std::vector<BFloat16>& values, const Shape& shape) {
  return from_values(values.data(), values.size(), shape, kBFloat16);
}
Tensor from_vector(const std::vector<bool>& values, const Shape& shape) {
  const std::vector<int64_t> integers(values.begin(), values.end());
  return from_vector(integers, shape).to(kBool);
}

}  // namespace nabla
