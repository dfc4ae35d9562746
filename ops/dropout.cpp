// Dropout with a counter-based RNG: element i keeps its value when hash(seed, i) clears a threshold.
// The hash is a few 32-bit multiplies and shifts, so the mask loop vectorises (16 lanes on AVX-512)
// and splits across threads with no shared state; one 64-bit seed per call comes from the global
// generator, so results are reproducible under manual_seed and independent of the thread count.
#include "nabla/ops/dropout.hpp"

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

}  // namespace

Tensor dropout(const Tensor& x, double p, bool training) {
  kernels::check_float(x, "dropout");
  NABLA_CHECK(p >= 0.0 && p <= 1.0, "dropout probability has to be between 0 and 1, but got ", p);
  if (!training || p == 0.0) return x;
  if (p == 1.0) return x * 0.0;
  const uint64_t seed = random::next_u64();
  const auto key_lo = static_cast<uint32_t>(seed), key_hi = static_cast<uint32_t>(seed >> 32);
  const auto threshold = static_cast<uint32_t>(std::ldexp(p, 32) > 4294967295.0 ? 4294967295.0 : std::ldexp(p, 32));
  const auto scale = static_cast<float>(1.0 / (1.0 - p));
  const Tensor input = x.detach().contiguous();
  Tensor y = empty(x.shape()), mask = empty(x.shape());  // mask holds 0 or 1/(1-p): the backward is one multiply
  const float* px = input.data_ptr<float>();
  float* py = y.data_ptr<float>();
  float* pm = mask.data_ptr<float>();
  const int64_t n = x.numel();
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const auto counter = static_cast<uint32_t>(i), block = static_cast<uint32_t>(i >> 32);
    const uint32_t h = mix(mix(counter ^ key_lo) + (block ^ key_hi));
    pm[i] = h >= threshold ? scale : 0.f;
    py[i] = px[i] * pm[i];
  }
  return autograd::record("NativeDropoutBackward0", y, {x}, [mask](const Tensor& g, const autograd::Needs&) {
    return autograd::Grads{g * mask};
  });
}

}  // namespace nabla
