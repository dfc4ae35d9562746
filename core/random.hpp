#pragma once
/// @file
/// The global random generator. It is PyTorch's CPU generator (a 32-bit Mersenne Twister seeded the
/// same way, with the same float transforms), so nabla::manual_seed(s) followed by rand/randn/randint,
/// uniform_/normal_ or a layer's default init gives the numbers torch.manual_seed(s) gives.
/// @ingroup tensors
#include <cstdint>
#include <optional>
#include <string>

namespace nabla {
/// @addtogroup tensors
/// @{

/// Seeds the global generator (torch.manual_seed): the same seed gives PyTorch's numbers.
void manual_seed(uint64_t seed);

/// The generator's whole state, as torch.get_rng_state / torch.set_rng_state: save it, draw, and put
/// it back to leave the stream where it was.
struct RngState {
  std::string engine;                 ///< the Mersenne Twister's state, as its stream operator writes it
  std::optional<double> next_normal;  ///< the second normal of a Box-Muller pair, when one is cached
};
RngState get_rng_state();                   ///< the global generator's state (torch.get_rng_state)
void set_rng_state(const RngState& state);  ///< puts the state back (torch.set_rng_state)

namespace random {
uint32_t next_u32();                            ///< torch's generator->random()
uint64_t next_u64();                            ///< torch's generator->random64()
float uniform_float(float from, float to);      ///< at::uniform_real_distribution<float>
double uniform_double(double from, double to);  ///< at::uniform_real_distribution<double>
double normal_double(double mean, double std);  ///< at::normal_distribution<double> (caches the pair)
}  // namespace random

/// @}
}  // namespace nabla
