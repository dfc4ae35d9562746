#include "nabla/core/random.hpp"

#include <cmath>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>

#include "nabla/core/error.hpp"

namespace nabla {
namespace {

struct Generator {
  std::mutex mutex;
  std::mt19937 engine{67280421310721ull & 0xffffffffu};  // PyTorch's default seed
  std::optional<double> next_normal;
};

Generator& generator() {
  static Generator g;
  return g;
}

}  // namespace

void manual_seed(uint64_t seed) {
  auto& g = generator();
  std::lock_guard lock(g.mutex);
  g.engine.seed(static_cast<uint32_t>(seed));  // PyTorch's mt19937 keeps the low 32 bits too
  g.next_normal.reset();
}

RngState get_rng_state() {
  auto& g = generator();
  std::lock_guard lock(g.mutex);
  std::ostringstream engine;
  engine << g.engine;
  return {engine.str(), g.next_normal};
}

void set_rng_state(const RngState& state) {
  auto& g = generator();
  std::lock_guard lock(g.mutex);
  std::istringstream engine(state.engine);
  std::mt19937 restored;
  NABLA_CHECK(static_cast<bool>(engine >> restored), "set_rng_state: the state is not one get_rng_state() returned");
  g.engine = restored;
  g.next_normal = state.next_normal;
}

namespace random {

uint32_t next_u32() {
  auto& g = generator();
  std::lock_guard lock(g.mutex);
  return static_cast<uint32_t>(g.engine());
}

uint64_t next_u64() {
  auto& g = generator();
  std::lock_guard lock(g.mutex);
  const uint64_t hi = g.engine(), lo = g.engine();
  return (hi << 32) | lo;
}

float uniform_float(float from, float to) {
  const float x = static_cast<float>(next_u32() & ((1u << 24) - 1)) * (1.0f / (1u << 24));
  return x * (to - from) + from;
}

double uniform_double(double from, double to) {
  const double x = static_cast<double>(next_u64() & ((uint64_t(1) << 53) - 1)) * (1.0 / (uint64_t(1) << 53));
  return x * (to - from) + from;
}

double normal_double(double mean, double std) {
  auto& g = generator();
  {
    std::lock_guard lock(g.mutex);
    if (g.next_normal) {
      const double cached = *g.next_normal;
      g.next_normal.reset();
      return cached * std + mean;
    }
  }
  const double u1 = uniform_double(0.0, 1.0), u2 = uniform_double(0.0, 1.0);
  const double r = std::sqrt(-2.0 * std::log(1.0 - u2)), theta = 2.0 * M_PI * u1;
  {
    std::lock_guard lock(g.mutex);
    g.next_normal = r * std::sin(theta);
  }
  return r * std::cos(theta) * std + mean;
}

}  // namespace random
}  // namespace nabla
