#pragma once

/// @file
/// Whether ops record the graph on this thread (torch.no_grad / torch::NoGradGuard). A core setting, as PyTorch's
/// GradMode is c10's: core's in-place writes check it, autograd and the ops read it.
/// @ingroup autograd

namespace nabla {
/// @addtogroup autograd
/// @{
namespace autograd {
bool is_grad_enabled();  ///< whether ops record the graph on this thread (torch.is_grad_enabled)
/// turns recording on or off for this thread (prefer NoGradGuard; torch.set_grad_enabled)
void set_grad_enabled(bool enabled);
}  // namespace autograd

/// Disables recording for its scope: for evaluation, optimizer steps and in-place initialisation.
class NoGradGuard {
 public:
  NoGradGuard() : previous_(autograd::is_grad_enabled()) { autograd::set_grad_enabled(false); }
  ~NoGradGuard() { autograd::set_grad_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

/// @}
}  // namespace nabla
