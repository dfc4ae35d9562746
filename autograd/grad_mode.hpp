#pragma once
// Whether ops record the graph on this thread (torch.no_grad / torch::NoGradGuard).

namespace nabla {
namespace autograd {
bool is_grad_enabled();
void set_grad_enabled(bool enabled);
bool is_anomaly_enabled();
void set_detect_anomaly(bool enabled);

// torch.autograd.detect_anomaly: within its scope (on this thread), backward checks every gradient an op
// returns and raises a nabla::Error naming the op when one holds NaN or Inf. Costs a pass over each gradient.
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

// Disables recording for its scope: for evaluation, optimizer steps and in-place initialisation.
class NoGradGuard {
 public:
  NoGradGuard() : previous_(autograd::is_grad_enabled()) { autograd::set_grad_enabled(false); }
  ~NoGradGuard() { autograd::set_grad_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

}  // namespace nabla
