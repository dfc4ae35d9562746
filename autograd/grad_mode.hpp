#pragma once
/// @file
/// Grad mode (core/grad_mode.hpp: torch.no_grad, NoGradGuard) and anomaly detection (torch.autograd.detect_anomaly).
/// @ingroup autograd
#include "nabla/core/grad_mode.hpp"

namespace nabla {
/// @addtogroup autograd
/// @{
namespace autograd {
bool is_anomaly_enabled();  ///< whether DetectAnomalyGuard (torch.autograd.detect_anomaly) is on for this thread
/// turns anomaly detection on or off for this thread (prefer DetectAnomalyGuard)
void set_detect_anomaly(bool enabled);

/// torch.autograd.detect_anomaly: within its scope (on this thread), backward checks every gradient an op
/// returns and raises a nabla::Error naming the op when one holds NaN or Inf. Costs a pass over each gradient.
class DetectAnomalyGuard {
 public:
  DetectAnomalyGuard() : previous_(is_anomaly_enabled()) { set_detect_anomaly(true); }
  ~DetectAnomalyGuard() { set_detect_anomaly(previous_); }
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

 private:
  bool previous_;
};
}  // namespace autograd

/// @}
}  // namespace nabla
