#include "nabla/nn/data/generator.hpp"

#include <bit>
#include <cmath>
#include <numbers>
#include <optional>

#include "nabla/core/error.hpp"
#include "nabla/core/random.hpp"

namespace nabla::data {
namespace {

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

Generator::Generator(uint64_t seed) {
  for (uint64_t& word : s_) word = splitmix64(seed);
}

Generator Generator::for_sample(uint64_t seed, int64_t epoch, int64_t index) {
  uint64_t mix = seed;  // each part goes through the mixer, so nearby (epoch, index) pairs give unrelated streams
  mix = splitmix64(mix) ^ static_cast<uint64_t>(epoch);
  mix = splitmix64(mix) ^ static_cast<uint64_t>(index);
  return Generator(splitmix64(mix));
}

uint64_t Generator::next_u64() {
  const uint64_t result = std::rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = std::rotl(s_[3], 45);
  return result;
}

double Generator::uniform(double from, double to) {
  const double unit = static_cast<double>(next_u64() >> 11) * 0x1.0p-53;  // 53 random bits in [0, 1)
  return from + (to - from) * unit;
}

int64_t Generator::randint(int64_t low, int64_t high) {
  NABLA_CHECK(high > low, "randint: expected low < high, got low=", low, " and high=", high);
  const uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  const uint64_t limit = UINT64_MAX - UINT64_MAX % range;  // reject the uneven top so every value is equally likely
  uint64_t x = next_u64();
  while (x >= limit) x = next_u64();
  return static_cast<int64_t>(static_cast<uint64_t>(low) + x % range);
}

double Generator::normal(double mean, double std) {
  double u1 = uniform();
  while (u1 <= 0.0) u1 = uniform();
  const double u2 = uniform();  // Box-Muller; one value per call keeps the stream simple to reason about
  return mean + std * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

std::vector<int64_t> Generator::randperm(int64_t n) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(randint(0, i + 1))]);
  return order;
}

namespace {
thread_local std::optional<Generator> current;
}

Generator& sample_generator() {
  if (!current) current.emplace(random::next_u64());
  return *current;
}

void set_sample_generator(const Generator& generator) { current = generator; }

}  // namespace nabla::data
