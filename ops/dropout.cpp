// Dropout with a counter-based RNG: element i keeps its value when hash(seed, i) clears a threshold.
// The hash is a few 32-bit multiplies and shifts, so the mask loop vectorises (16 lanes on AVX-512)
// and splits across threads with no shared state; one 64-bit seed per call comes from the global
// generator, so results are reproducible under manual_seed and independent of the thread count.
#include "nabla/ops/dropout.hpp"
#include "nabla/core/trace.hpp"

#include <omp.h>

#include <cmath>

#include "nabla/autograd/node.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/core/random.hpp"
#include "nabla/ops/elementwise.hpp"
#include "ops/kernels.h"

namespace nabla {
namespace {

// lowbias32 (Chris Wellons' hash-prospector): a well-mixed 32-bit permutation.
inline uint32_t mix(uint32_t h) {
  h ^= h >> 16;
  h *= 0x7feb352du;
  h ^= h >> 15;
  h *= 0x846ca68bu;
  h ^= h >> 16;
  return h;
}

// out[i] = in[i] * (hash(seed, i) >= threshold ? scale : 0) for i in [begin, end): one vectorised loop. T is float,
// or BFloat16 under autocast (multiplied in float, rounded once).
template <class R>
void mask_range(int64_t begin, int64_t end, uint64_t seed, uint32_t threshold, float scale, const R* __restrict in,
                R* __restrict out) {
  const auto key_lo = static_cast<uint32_t>(seed), key_hi = static_cast<uint32_t>(seed >> 32);
#pragma omp simd
  for (int64_t i = begin; i < end; ++i) {
    const auto counter = static_cast<uint32_t>(i), block = static_cast<uint32_t>(i >> 32);
    const uint32_t h = mix(mix(counter ^ key_lo) + (block ^ key_hi));
    kernels::store(out[i], kernels::load(in[i]) * (h >= threshold ? scale : 0.f));
  }
}

// The mask applied to all n elements: the forward and, recomputed from the same seed instead of a saved
// mask, the backward. Threads only for large tensors (a parallel region costs more than 32k elements).
template <class R>
void apply_mask(int64_t n, uint64_t seed, uint32_t threshold, float scale, const R* in, R* out) {
  if (n <= 32768) return mask_range(0, n, seed, threshold, scale, in, out);
#pragma omp parallel
  {
    const int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
    mask_range(n * t / threads, n * (t + 1) / threads, seed, threshold, scale, in, out);
  }
}

Tensor masked(const Tensor& x, uint64_t seed, uint32_t threshold, float scale) {
  const Tensor input = x.contiguous();
  Tensor y = empty(x.shape(), x.dtype());
  kernels::visit_floating(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    apply_mask(x.numel(), seed, threshold, scale, kernels::raw<T>(input.const_data_ptr()),
               kernels::raw<T>(y.data_ptr()));
  });
  return y;
}

}  // namespace

Tensor dropout(const Tensor& x, double p, bool training) {
  trace::Scope scope("dropout", {x}, [&] { return trace::Attributes{{"training", int64_t{training}}}; });
  NABLA_CHECK(p >= 0.0 && p <= 1.0, "dropout probability has to be between 0 and 1, but got ", p);
  if (!training && x.is_quantized()) return scope.output(x);  // evaluation: the identity, for quantized values too
  kernels::check_floating(x, "dropout");
  if (!training || p == 0.0) return scope.output(x);
  if (p == 1.0) return scope.output(x * 0.0);
  const uint64_t seed = random::next_u64();
  const auto threshold = static_cast<uint32_t>(std::ldexp(p, 32) > 4294967295.0 ? 4294967295.0 : std::ldexp(p, 32));
  const auto scale = static_cast<float>(1.0 / (1.0 - p));
  return scope.output(autograd::record(
      "NativeDropoutBackward0", masked(x.detach(), seed, threshold, scale), {x},
      [seed, threshold, scale](const Tensor& g, const autograd::Needs&) {
        return autograd::Grads{masked(g, seed, threshold, scale)};
      },
      autograd::Saves::Nothing));
}

// The kept-or-scaled multipliers (0 or 1/(1-p)) of a dropout of ones: channel and alpha dropout draw theirs here.
Tensor dropout_mask(const Shape& shape, double p) { return dropout(ones(shape), p, true); }

Tensor feature_dropout(const Tensor& x, int64_t dims, double p, bool training) {
  trace::Scope scope("dropout", {x}, [&] { return trace::Attributes{{"training", int64_t{training}}}; });
  const std::string who = "dropout" + std::to_string(dims) + "d";
  kernels::check_float(x, who.c_str());
  NABLA_CHECK(p >= 0.0 && p <= 1.0, who, ": dropout probability has to be between 0 and 1, but got ", p);
  NABLA_CHECK(x.dim() == dims + 1 || x.dim() == dims + 2, who, ": Expected ", dims + 1, "D or ", dims + 2,
              "D input, but received a ", x.dim(), "D input. Note that ", who,
              " exists to provide channel-wise dropout "
              "on inputs with ",
              dims, " spatial dimension(s), a channel dimension, and an optional batch dimension");
  if (!training || p == 0.0 || x.numel() == 0) return scope.output(x);
  Shape mask(static_cast<size_t>(x.dim()), 1);  // one draw per (sample, channel), broadcast over the spatial dims
  const int64_t channel_dim = x.dim() - dims - 1;
  for (int64_t d = 0; d <= channel_dim; ++d) mask[d] = x.size(d);
  return scope.output(x * dropout_mask(mask, p));
}

Tensor alpha_dropout(const Tensor& x, double p, bool training) {
  trace::Scope scope("dropout", {x}, [&] { return trace::Attributes{{"training", int64_t{training}}}; });
  kernels::check_float(x, "alpha_dropout");
  NABLA_CHECK(p >= 0.0 && p <= 1.0, "alpha_dropout: dropout probability has to be between 0 and 1, but got ", p);
  if (!training || p == 0.0 || x.numel() == 0) return scope.output(x);
  if (p == 1.0) return scope.output(x * 0.0);
  // PyTorch's: keep ~ Bernoulli(1 - p); y = x·keep·a + (keep - 1)·α·a + α·a·p, α SELU's saturation.
  constexpr double kAlpha = 1.7580993408473766;
  const double a = 1.0 / std::sqrt((kAlpha * kAlpha * p + 1) * (1 - p));
  const Tensor keep = gt(dropout_mask(x.shape(), p), scalar_tensor(0.0)).to(kFloat32);
  return scope.output(x * (keep * a) + ((keep - 1.0) * (kAlpha * a) + kAlpha * a * p));
}

}  // namespace nabla
