// Tensor handle basics: metadata, data access, copies, conversions and in-place writes.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include <omp.h>

#include "nabla/core/grad_mode.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/core/random.hpp"
#include "core/tensor_impl.h"

namespace nabla {

Tensor::Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

namespace {

const TensorImpl& checked(const TensorImpl* impl, const char* what) {
  NABLA_CHECK(impl != nullptr, what, ": the tensor is undefined (default-constructed); create it with a factory "
              "such as nabla::zeros first");
  return *impl;
}

// Calls fn(dst_offset, src_offset) for every element of `shape`, row-major.
template <class Fn>
void for_each_pair(const Shape& shape, const Shape& dst_strides, const Shape& src_strides, Fn&& fn) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  if (numel(shape) == 0) return;
  if (rank == 0) return fn(0, 0);
  Shape index(rank, 0);
  const int64_t inner = shape[rank - 1], dst_step = dst_strides[rank - 1], src_step = src_strides[rank - 1];
  int64_t dst = 0, src = 0;
  while (true) {
    for (int64_t i = 0; i < inner; ++i) fn(dst + i * dst_step, src + i * src_step);
    int64_t d = rank - 2;
    for (; d >= 0; --d) {  // odometer over the outer dims
      dst += dst_strides[d];
      src += src_strides[d];
      if (++index[d] < shape[d]) break;
      dst -= dst_strides[d] * shape[d];
      src -= src_strides[d] * shape[d];
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

template <class To, class From>
void convert_copy(const TensorImpl& dst, const TensorImpl& src, const Shape& src_strides) {
  auto* out = static_cast<To*>(dst.mutable_data());
  const auto* in = static_cast<const From*>(src.data());
  const Shape dense = contiguous_strides(dst.shape);
  if (dst.strides == dense && src_strides == dense) {
    // The common cases (a checkpoint load, new values for a buffer, a cast): one flat pass, split across threads
    // when large; a memcpy when the types are the same.
    const int64_t n = numel(dst.shape), bytes = n * static_cast<int64_t>(sizeof(To));
#pragma omp parallel if (bytes > (int64_t{1} << 20))
    {
      const int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
      const int64_t begin = n * t / threads, end = n * (t + 1) / threads;
      if constexpr (std::is_same_v<To, From>) {
        if (end > begin) std::memcpy(out + begin, in + begin, static_cast<size_t>(end - begin) * sizeof(To));
      } else {
        for (int64_t i = begin; i < end; ++i) out[i] = convert<To>(in[i]);
      }
    }
    return;
  }
  for_each_pair(dst.shape, dst.strides, src_strides, [&](int64_t o, int64_t i) { out[o] = convert<To>(in[i]); });
}

// Copies src (broadcast to dst's shape, any dtype) into dst, element by element.
void copy_elements(const TensorImpl& dst, const TensorImpl& src) {
  const Shape target = broadcast_shapes(dst.shape, src.shape, "copy_");
  NABLA_CHECK(target == dst.shape, "copy_: source of shape ", shape_str(src.shape),
              " cannot be broadcast to the destination shape ", shape_str(dst.shape));
  Shape src_strides(dst.shape.size(), 0);  // broadcast dims read the same element again
  const size_t lead = dst.shape.size() - src.shape.size();
  for (size_t i = 0; i < src.shape.size(); ++i)
    src_strides[lead + i] = src.shape[i] == 1 ? 0 : src.strides[i];
  visit(dst.dtype, [&](auto to) {
    visit(src.dtype, [&](auto from) { convert_copy<decltype(to), decltype(from)>(dst, src, src_strides); });
  });
}

// In-place writes on a tensor autograd tracks would silently corrupt its gradients.
void check_writable(const TensorImpl& impl, const char* op) {
  NABLA_CHECK(!autograd::is_grad_enabled() || !(impl.requires_grad || impl.grad_fn), op,
              ": a leaf or graph tensor that requires grad is being used in an in-place operation; wrap the "
              "write in nabla::NoGradGuard or write to .detach()");
}

}  // namespace

Tensor make_view(const Tensor& base, Shape shape, Shape strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.impl()->storage;
  impl->dtype = base.dtype();
  impl->qparams = base.impl()->qparams;
  if (const auto& q = impl->qparams; q && q->scheme == QScheme::PerChannelAffine) {
    // Per-channel parameters describe the channels along their axis: a view that moves or cuts that dim is no
    // longer described by them, so it is a plain integer tensor (never a silently wrong dequantization).
    const auto axis = static_cast<size_t>(q->axis);
    const bool same_channels = shape.size() == base.shape().size() && shape[axis] == base.shape()[axis] &&
                               strides[axis] == base.strides()[axis];
    if (!same_channels) impl->qparams = nullptr;
  }
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->offset = offset;
  return Tensor(std::move(impl));
}

Dtype Tensor::dtype() const { return checked(impl_.get(), "dtype").dtype; }
const Shape& Tensor::shape() const { return checked(impl_.get(), "shape").shape; }
const Shape& Tensor::strides() const { return checked(impl_.get(), "strides").strides; }
int64_t Tensor::storage_offset() const { return checked(impl_.get(), "storage_offset").offset; }
int64_t Tensor::dim() const { return static_cast<int64_t>(shape().size()); }
int64_t Tensor::numel() const { return nabla::numel(shape()); }
int64_t Tensor::size(int64_t d) const { return shape()[wrap_dim(d, dim(), "size")]; }
int64_t Tensor::stride(int64_t d) const { return strides()[wrap_dim(d, dim(), "stride")]; }
uint64_t Tensor::version() const { return checked(impl_.get(), "version").storage->version; }
void Tensor::bump_version() const { ++checked(impl_.get(), "bump_version").storage->version; }

bool Tensor::is_contiguous() const {
  const auto& impl = checked(impl_.get(), "is_contiguous");
  if (nabla::numel(impl.shape) == 0) return true;
  int64_t expected = 1;
  for (size_t i = impl.shape.size(); i-- > 0;) {
    if (impl.shape[i] == 1) continue;
    if (impl.strides[i] != expected) return false;
    expected *= impl.shape[i];
  }
  return true;
}

namespace {
template <class T>
const TensorImpl& checked_access(const TensorImpl* impl, const char* what) {
  checked(impl, what);
  NABLA_CHECK(impl->dtype == dtype_of<T>(), what, ": the tensor holds ", dtype_name(impl->dtype), " but ",
              dtype_name(dtype_of<T>()), " was asked for");
  return *impl;
}
}  // namespace

// A mutable pointer: whatever is written through it must be what the next oneDNN op reads, so a native copy goes.
template <class T>
T* Tensor::data_ptr() const {
  return static_cast<T*>(checked_access<T>(impl_.get(), "data_ptr").mutable_data());
}

void* Tensor::data_ptr() const { return checked(impl_.get(), "data_ptr").mutable_data(); }
const void* Tensor::const_data_ptr() const { return checked(impl_.get(), "const_data_ptr").data(); }

template <class T>
const T* Tensor::const_data_ptr() const {
  return static_cast<const T*>(checked_access<T>(impl_.get(), "const_data_ptr").data());
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  const Tensor c = detach().to(dtype_of<T>()).contiguous();
  const T* p = c.const_data_ptr<T>();
  return std::vector<T>(p, p + c.numel());
}

template <class T>
T Tensor::item() const {
  NABLA_CHECK(numel() == 1, "item: a Tensor with ", numel(), " elements (shape ", shape_str(shape()),
              ") cannot be converted to a scalar");
  return to_vector<T>()[0];
}

#define NABLA_INSTANTIATE_ACCESS(T)                     \
  template T* Tensor::data_ptr<T>() const;              \
  template const T* Tensor::const_data_ptr<T>() const;  \
  template std::vector<T> Tensor::to_vector<T>() const; \
  template T Tensor::item<T>() const;
NABLA_INSTANTIATE_ACCESS(float)
NABLA_INSTANTIATE_ACCESS(int64_t)
NABLA_INSTANTIATE_ACCESS(double)
NABLA_INSTANTIATE_ACCESS(bool)
NABLA_INSTANTIATE_ACCESS(BFloat16)
NABLA_INSTANTIATE_ACCESS(uint8_t)
NABLA_INSTANTIATE_ACCESS(int8_t)
#undef NABLA_INSTANTIATE_ACCESS

Tensor Tensor::contiguous() const { return is_contiguous() ? *this : clone(); }

Tensor& Tensor::zero_() { return fill_(0.0); }

Tensor& Tensor::fill_(double value) {
  check_writable(checked(impl_.get(), "fill_"), "fill_");
  copy_elements(*impl_, *scalar_tensor(value, dtype()).impl());
  bump_version();
  return *this;
}

Tensor& Tensor::copy_(const Tensor& source) {
  check_writable(checked(impl_.get(), "copy_"), "copy_");
  copy_elements(*impl_, checked(source.impl(), "copy_ (source)"));
  bump_version();
  return *this;
}

Tensor& Tensor::uniform_(double from, double to) {
  check_writable(checked(impl_.get(), "uniform_"), "uniform_");
  NABLA_CHECK(dtype() == kFloat32, "uniform_: expected a float32 tensor, got ", dtype_name(dtype()));
  NABLA_CHECK(from <= to, "uniform_: expects from <= to, but got from=", from, " > to=", to);
  Tensor values = empty(shape());
  float* p = values.data_ptr<float>();
  for (int64_t i = 0, n = values.numel(); i < n; ++i)
    p[i] = random::uniform_float(static_cast<float>(from), static_cast<float>(to));
  return copy_(values);
}

Tensor& Tensor::normal_(double mean, double std) {
  check_writable(checked(impl_.get(), "normal_"), "normal_");
  NABLA_CHECK(dtype() == kFloat32, "normal_: expected a float32 tensor, got ", dtype_name(dtype()));
  NABLA_CHECK(std >= 0.0, "normal_: expects std >= 0.0, but found std ", std);
  const int64_t n = numel();
  Tensor values = empty(shape());
  float* p = values.data_ptr<float>();
  if (n < 16) {  // PyTorch's serial path: one Box-Muller pair in double, the second value cached
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(random::normal_double(mean, std));
    return copy_(values);
  }
  // PyTorch's normal_fill: uniforms first, then Box-Muller over blocks of 16 (the last block
  // redrawn when n is not a multiple of 16).
  for (int64_t i = 0; i < n; ++i) p[i] = random::uniform_float(0.f, 1.f);
  const auto fill16 = [&](float* d) {
    for (int j = 0; j < 8; ++j) {
      const float u1 = 1 - d[j], u2 = d[j + 8];
      const float radius = std::sqrt(-2 * std::log(u1));
      const float theta = static_cast<float>(2.0f * M_PI * u2);  // in double, as PyTorch
      d[j] = radius * std::cos(theta) * static_cast<float>(std) + static_cast<float>(mean);
      d[j + 8] = radius * std::sin(theta) * static_cast<float>(std) + static_cast<float>(mean);
    }
  };
  for (int64_t i = 0; i + 16 <= n; i += 16) fill16(p + i);
  if (n % 16 != 0) {
    float* tail = p + n - 16;
    for (int j = 0; j < 16; ++j) tail[j] = random::uniform_float(0.f, 1.f);
    fill16(tail);
  }
  return copy_(values);
}

}  // namespace nabla
