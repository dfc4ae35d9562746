#include "nabla/nn/optim/rmsprop.hpp"

#include <cmath>

#include "nabla/core/error.hpp"

namespace nabla::optim {

RMSprop::RMSprop(std::vector<Tensor> params, const RMSpropOptions& opts)
    : OptimizerWith(std::move(params), opts, "RMSprop") {
  check_options();
}

RMSprop::RMSprop(std::vector<ParamGroup<RMSpropOptions>> groups, const RMSpropOptions& defaults)
    : OptimizerWith(std::move(groups), defaults, "RMSprop") {
  check_options();
}

void RMSprop::check_options() const {
  for (const RMSpropOptions& o : all_group_options()) {
    NABLA_CHECK(o.eps >= 0.0, "RMSprop: Invalid epsilon value: ", o.eps);
    NABLA_CHECK(o.momentum >= 0.0, "RMSprop: Invalid momentum value: ", o.momentum);
    NABLA_CHECK(o.weight_decay >= 0.0, "RMSprop: Invalid weight_decay value: ", o.weight_decay);
    NABLA_CHECK(o.alpha >= 0.0, "RMSprop: Invalid alpha value: ", o.alpha);
  }
}

void RMSprop::step() {
  for (size_t i = 0; i < params().size(); ++i) {
    const Tensor& param = params()[i];
    if (!param.grad().defined()) continue;
    const RMSpropOptions& o = options_of(i);
    ++step_count(i);
    const auto lr = static_cast<float>(this->lr(group_of(i))), alpha = static_cast<float>(o.alpha);
    const auto wd = static_cast<float>(o.weight_decay), eps = static_cast<float>(o.eps);
    const auto momentum = static_cast<float>(o.momentum);
    const Tensor grad = param.grad().contiguous();
    float* p = param.data_ptr<float>();
    const float* g = grad.data_ptr<float>();
    float* square_avg = state(i, "square_avg").data_ptr<float>();
    float* buf = o.momentum > 0 ? state(i, "momentum_buffer").data_ptr<float>() : nullptr;
    float* grad_avg = o.centered ? state(i, "grad_avg").data_ptr<float>() : nullptr;
    const int64_t n = param.numel();
    // PyTorch's single-tensor update, in its order of float operations.
#pragma omp parallel for simd schedule(static) if (n > 32768)
    for (int64_t k = 0; k < n; ++k) {
      const float gk = wd != 0.f ? g[k] + wd * p[k] : g[k];
      square_avg[k] = square_avg[k] * alpha + (1 - alpha) * gk * gk;
      float avg;
      if (grad_avg) {
        grad_avg[k] = grad_avg[k] * alpha + (1 - alpha) * gk;
        avg = std::sqrt(square_avg[k] + -1.f * grad_avg[k] * grad_avg[k]) + eps;
      } else {
        avg = std::sqrt(square_avg[k]) + eps;
      }
      if (buf) {
        buf[k] = buf[k] * momentum + gk / avg;
        p[k] += -lr * buf[k];
      } else {
        p[k] += -lr * (gk / avg);
      }
    }
    param.bump_version();
  }
}

}  // namespace nabla::optim
