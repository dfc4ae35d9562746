#pragma once
// Private: one-time process setup, run before the first oneDNN primitive or parallel loop.
namespace nabla::detail {
void ensure_runtime();
}
