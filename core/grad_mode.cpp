#include "nabla/core/grad_mode.hpp"

namespace nabla::autograd {
namespace {
thread_local bool grad_enabled = true;
}

bool is_grad_enabled() { return grad_enabled; }
void set_grad_enabled(bool enabled) { grad_enabled = enabled; }

}  // namespace nabla::autograd
