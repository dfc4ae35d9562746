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

// Layouts that travel (ops/onednn.h): a oneDNN op's result stays in the layout its primitive chose until
// something needs plain data. On by default; NABLA_LAYOUT_PROPAGATION=0 or set_layout_propagation(false)
// turns it off (every result is then reordered to plain at once). Results are the same either way.
void set_layout_propagation(bool on);
bool layout_propagation();
// How many activation and gradient reorders (between a oneDNN layout and the plain one, or between two
// oneDNN layouts) Nabla has run so far; weights reordered once per optimizer step are not counted.
uint64_t layout_reorders();

}  // namespace nabla
