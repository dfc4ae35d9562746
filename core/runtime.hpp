#pragma once
// Threads and process-wide settings.
#include <cstdint>

namespace nabla {

// Threads for Nabla's own loops and for oneDNN (one OpenMP pool shared by both). Every thread of the
// pool runs with flush-to-zero and denormals-are-zero: tiny gradients never hit slow denormal paths.
void set_num_threads(int num_threads);
int get_num_threads();

// How many oneDNN primitives Nabla has built so far: a repeated call with the same shapes builds none.
uint64_t primitives_created();

}  // namespace nabla
