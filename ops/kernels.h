#pragma once
// Private: xtensor views over tensor storage, for the CPU code oneDNN does not cover.
#include <omp.h>
#include <xtensor/xadapt.hpp>

#include <array>
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
template <class Out, class In, class F, class... Inputs>
Tensor compute(const Shape& shape, Dtype out_dtype, F&& f, const Inputs&... inputs) {
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
              shape_str(t.shape()));
}

}  // namespace nabla::kernels
