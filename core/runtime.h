#pragma once
// Private: one-time process setup, run before the first oneDNN primitive or parallel loop, and the runtime's counters.
namespace nabla::detail {
void ensure_runtime();
// The counters behind primitives_created() and layout_reorders() (nabla/core/runtime.hpp), for the oneDNN glue.
void count_primitive_created();
void count_layout_reorder();
void count_weight_copy();
}
