#pragma once
// Private: xtensor views over tensor storage, for the CPU code oneDNN does not cover.
#include <omp.h>
#include <xtensor/xadapt.hpp>

#include <array>
#include <bit>
#include <type_traits>
#include <xtensor/xnoalias.hpp>

#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/core/tensor.hpp"
#include "core/tensor_impl.h"

namespace nabla::kernels {

inline std::vector<size_t> xshape(const Shape& shape) { return {shape.begin(), shape.end()}; }

// A row-major xtensor view of a contiguous tensor's elements (read-only for a const T).
template <class T>
auto adapt(T* data, const Tensor& t) {
  return xt::adapt(data, static_cast<size_t>(t.numel()), xt::no_ownership(), xshape(t.shape()));
}

// A new tensor of `shape` holding f(inputs...), each input viewed as xtensor of element type In and
// broadcast by xtensor's rules (which are PyTorch's). Large inputs of the output's own shape (no
// broadcasting) are split into one flat chunk per thread.
//
// bfloat16 inputs (In = float) are computed in float32: a float result is rounded to bfloat16 once when every input
// was bfloat16 (PyTorch's bfloat16 CPU kernels), and stays float32 when float32 inputs took part (its promotion).
template <class Out, class In, class F, class... Inputs>
Tensor compute(const Shape& shape, Dtype out_dtype, F&& f, const Inputs&... inputs) {
  if constexpr (std::is_same_v<In, float>) {
    if (((inputs.dtype() == kBFloat16) || ...)) {
      const auto widened = [](const Tensor& t) { return t.dtype() == kBFloat16 ? t.detach().to(kFloat32) : t; };
      Tensor out = compute<Out, In>(shape, out_dtype, f, widened(inputs)...);
      const bool all_bfloat16 = ((inputs.dtype() == kBFloat16) && ...);
      return out_dtype == kFloat32 && all_bfloat16 ? out.to(kBFloat16) : out;
    }
  }
  Tensor out = empty(shape, out_dtype);
  const int64_t n = out.numel();
  if (n >= 32768 && ((inputs.shape() == shape) && ...)) {
    const auto run = [&](const auto&... dense) {
#pragma omp parallel
      {
        const int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
        const int64_t begin = n * t / threads, end = n * (t + 1) / threads;
        const std::array<size_t, 1> length{static_cast<size_t>(end - begin)};
        const auto chunk = [&](auto* data) { return xt::adapt(data + begin, length[0], xt::no_ownership(), length); };
        auto xo = chunk(out.data_ptr<Out>());
        xt::noalias(xo) = f(chunk(dense.template const_data_ptr<In>())...);
      }
    };
    run(inputs.contiguous()...);
    return out;
  }
  auto xo = adapt(out.data_ptr<Out>(), out);
  const auto run = [&](const auto&... dense) {
    xt::noalias(xo) = f(adapt(dense.template const_data_ptr<In>(), dense)...);
  };
  run(inputs.contiguous()...);  // the contiguous copies live until run returns
  return out;
}

inline void check_float(const Tensor& t, const char* op) {
  NABLA_CHECK(t.defined(), op, ": got an undefined tensor");
  NABLA_CHECK(t.dtype() == kFloat32, op, ": expected a float32 tensor, got ", dtype_name(t.dtype()), " of shape ",
              shape_str(t.shape()),
              t.dtype() == kBFloat16 ? " (this op has no bfloat16 kernel: convert with .to(kFloat32) first)"
              : t.is_quantized()     ? " (a quantized tensor: this op has no int8 kernel, call dequantize() first)"
                                     : "");
}

// For the ops with a bfloat16 kernel (autocast's bfloat16 results flow through them).
inline void check_floating(const Tensor& t, const char* op) {
  NABLA_CHECK(t.defined(), op, ": got an undefined tensor");
  NABLA_CHECK(t.dtype() == kFloat32 || t.dtype() == kBFloat16, op, ": expected a float32 or bfloat16 tensor, got ",
              dtype_name(t.dtype()), " of shape ", shape_str(t.shape()),
              t.is_quantized() ? " (a quantized tensor: this op has no int8 kernel, call dequantize() first)" : "");
}

// Loops over bfloat16 values vectorise on their raw 16 bits (a loop over BFloat16 structs does not): Raw<T> is
// what such a loop reads and writes, load() widens it to float, store() rounds a float into it.
template <class T>
using Raw = std::conditional_t<std::is_same_v<T, BFloat16>, uint16_t, T>;
inline float load(float v) { return v; }
inline float load(uint16_t bits) { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }
inline void store(float& out, float v) { out = v; }
inline void store(uint16_t& out, float v) { out = BFloat16::round(v); }
template <class T>
Raw<T>* raw(void* p) {
  return static_cast<Raw<T>*>(p);
}
template <class T>
const Raw<T>* raw(const void* p) {
  return static_cast<const Raw<T>*>(p);
}

// Calls fn(T{}) with T float or BFloat16, the element type of a floating tensor an op computes on.
template <class Fn>
decltype(auto) visit_floating(Dtype dtype, Fn&& fn) {
  return dtype == kBFloat16 ? fn(BFloat16{}) : fn(float{});
}

}  // namespace nabla::kernels
