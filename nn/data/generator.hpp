#pragma once
/// @file
/// data::Generator: the random numbers of data augmentation. Each sample a DataLoader loads gets its own generator,
/// seeded from (seed, epoch, index), so a random crop or flip depends on the sample alone — not on which worker thread
/// made it, nor on how many there are. Transforms draw from sample_generator(), the current thread's generator.
///
/// @code
///   auto& g = data::sample_generator();
///   if (g.uniform() < p) image = transforms::functional::hflip(image);
/// @endcode
/// @ingroup data
#include <cstdint>
#include <vector>

namespace nabla::data {
/// @addtogroup data
/// @{

/// xoshiro256** (Blackman and Vigna), seeded through SplitMix64: small, fast to seed once per sample, and the same
/// numbers on every platform (unlike std::uniform_real_distribution).
class Generator {
 public:
  explicit Generator(uint64_t seed = 0);  ///< seeded through SplitMix64
  /// The generator of sample `index` in `epoch` of a loader seeded `seed`.
  static Generator for_sample(uint64_t seed, int64_t epoch, int64_t index);

  uint64_t next_u64();                                 ///< the next 64 random bits
  double uniform(double from = 0.0, double to = 1.0);  ///< [from, to)
  int64_t randint(int64_t low, int64_t high);          ///< [low, high), as torch.randint; high > low
  double normal(double mean = 0.0, double std = 1.0);  ///< a normal draw (Box-Muller)
  std::vector<int64_t> randperm(int64_t n);            ///< as torch.randperm(n): a uniformly random order of 0..n-1

 private:
  uint64_t s_[4];
};

/// The current thread's generator. A DataLoader sets it before loading each sample; outside a loader it starts from
/// a seed drawn from Nabla's global generator (nabla::manual_seed) the first time a thread uses it.
Generator& sample_generator();
/// Replaces the current thread's generator (without drawing from the global one, as a first sample_generator() would:
/// loading data leaves the model's random stream alone).
void set_sample_generator(const Generator& generator);

/// @}
}  // namespace nabla::data
