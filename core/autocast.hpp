#pragma once
/// @file
/// torch.autocast(device_type="cpu", dtype=torch.bfloat16) for C++: within an AutocastGuard's scope, on this thread,
/// the ops of PyTorch 1.13's CPU lower-precision list (conv1d/2d/3d, linear, matmul, mm, bmm) compute in bfloat16
/// with float32 accumulation and give bfloat16 results; the ops of its float32 list (the losses, transposed
/// convolutions) compute in float32; the others keep their input's dtype where they have a bfloat16 kernel (ReLU,
/// pooling, batch norm, softmax, dropout, views, elementwise math). Parameters, their gradients and optimizer state
/// stay float32; each weight's bfloat16 copy is made once per weight version.
///
/// Unlike PyTorch, Nabla runs bfloat16 only where it is faster: at the first autocast op it times one small
/// convolution in both types (a few milliseconds, once per process) and, where bfloat16 is not faster (CPUs whose
/// bfloat16 units are half width), logs that once and computes in float32, so autocast never slows training down.
/// NABLA_BF16=force runs bfloat16 anyway (for tests, or for the memory); NABLA_BF16=off never does.
/// @ingroup amp
#include "nabla/core/dtype.hpp"

namespace nabla {
/// @addtogroup amp
/// @{

bool is_autocast_enabled();  ///< whether autocast is on for this thread (torch.is_autocast_cpu_enabled)
Dtype get_autocast_dtype();  ///< bfloat16, the only lower-precision dtype on CPU
/// turns autocast on or off for this thread (prefer AutocastGuard); only kBFloat16 is accepted
void set_autocast_enabled(bool enabled, Dtype dtype = kBFloat16);

/// torch.autocast for a scope: autocast on (or off, with enabled = false) on this thread until it ends.
class AutocastGuard {
 public:
  explicit AutocastGuard(Dtype dtype = kBFloat16, bool enabled = true);  ///< enters the scope; dtype must be kBFloat16
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool previous_enabled_;
  Dtype previous_dtype_;
};

/// @}
}  // namespace nabla
