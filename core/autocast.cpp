// Autocast's per-thread setting; ops/autocast.cpp decides what it means for an op.
#include "nabla/core/autocast.hpp"

#include "nabla/core/error.hpp"

namespace nabla {

namespace {
thread_local bool enabled = false;
thread_local Dtype autocast_dtype = kBFloat16;
}  // namespace

bool is_autocast_enabled() { return enabled; }
Dtype get_autocast_dtype() { return autocast_dtype; }

void set_autocast_enabled(bool on, Dtype dtype) {
  NABLA_CHECK(dtype == kBFloat16, "autocast: in CPU autocast, only bfloat16 is supported, got ", dtype_name(dtype));
  enabled = on;
  autocast_dtype = dtype;
}

AutocastGuard::AutocastGuard(Dtype dtype, bool on) : previous_enabled_(enabled), previous_dtype_(autocast_dtype) {
  set_autocast_enabled(on, dtype);
}

AutocastGuard::~AutocastGuard() {
  enabled = previous_enabled_;
  autocast_dtype = previous_dtype_;
}

}  // namespace nabla
