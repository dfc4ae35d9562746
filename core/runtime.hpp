#pragma once
/// @file
/// Threads and process-wide settings.
/// @ingroup runtime
#include <cstdint>

namespace nabla {
/// @addtogroup runtime
/// @{

/// Threads for Nabla's own loops and for oneDNN (one OpenMP pool shared by both). Every thread of the
/// pool runs with flush-to-zero and denormals-are-zero: tiny gradients never hit slow denormal paths.
void set_num_threads(int num_threads);
int get_num_threads();  ///< the threads set_num_threads set (or OpenMP's default)

/// The most bytes one tensor may take; by default the machine's physical memory. A declared size beyond it (a
/// forged file header, a conv whose output would not fit) is refused with a nabla::Error before anything is
/// allocated, instead of ending in std::bad_alloc or the OOM killer. Lower it to fence in a service or a fuzzer.
void set_memory_limit(int64_t bytes);
int64_t memory_limit();  ///< the limit in force

/// How many oneDNN primitives Nabla has built so far: a repeated call with the same shapes builds none.
uint64_t primitives_created();

/// Layouts that travel (ops/onednn.h): a oneDNN op's result stays in the layout its primitive chose until
/// something needs plain data. On by default; NABLA_LAYOUT_PROPAGATION=0 or set_layout_propagation(false)
/// turns it off (every result is then reordered to plain at once). Results are the same either way.
void set_layout_propagation(bool on);
bool layout_propagation();  ///< whether layouts travel (on unless turned off)
/// How many activation and gradient reorders (between a oneDNN layout and the plain one, or between two
/// oneDNN layouts) Nabla has run so far; weights reordered once per optimizer step are not counted.
uint64_t layout_reorders();
/// How many times a weight was copied into a primitive's layout or autocast's dtype: once per weight version (an
/// optimizer step makes a new one), not once per forward.
uint64_t weight_copies();

/// @}
}  // namespace nabla
