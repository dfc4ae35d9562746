#include "nabla/nn/optim/adadelta.hpp"

#include <cmath>

#include "nabla/core/error.hpp"

namespace nabla::optim {

Adadelta::Adadelta(std::vector<Tensor> params, const AdadeltaOptions& opts)
    : OptimizerWith(std::move(params), opts, "Adadelta") {
  check_options();
}

Adadelta::Adadelta(std::vector<ParamGroup<AdadeltaOptions>> groups, const AdadeltaOptions& defaults)
    : OptimizerWith(std::move(groups), defaults, "Adadelta") {
  check_options();
}

// The learning rate is checked for every optimizer (OptimizerWith); these are Adadelta's own, with PyTorch's words.
void Adadelta::check_options() const {
  for (const AdadeltaOptions& o : all_group_options()) {
    NABLA_CHECK(o.rho >= 0.0 && o.rho <= 1.0, "Adadelta: Invalid rho value: ", o.rho);
    NABLA_CHECK(o.eps >= 0.0, "Adadelta: Invalid epsilon value: ", o.eps);
    NABLA_CHECK(o.weight_decay >= 0.0, "Adadelta: Invalid weight_decay value: ", o.weight_decay);
  }
}

// PyTorch's single-tensor Adadelta, element by element in float, in its order of operations:
// square_avg = ρ·square_avg + (1-ρ)·g²;  delta = √(acc_delta + ε) / √(square_avg + ε) · g;
// acc_delta = ρ·acc_delta + (1-ρ)·delta²;  param -= lr·delta.
void Adadelta::step() {
  for (size_t i = 0; i < params().size(); ++i) {
    const Tensor& param = params()[i];
    if (!param.grad().defined()) continue;
    const AdadeltaOptions& o = options_of(i);
    ++step_count(i);
    const auto lr_f = static_cast<float>(lr(group_of(i))), rho = static_cast<float>(o.rho);
    const auto keep = static_cast<float>(1.0 - o.rho), eps = static_cast<float>(o.eps);
    const auto wd = static_cast<float>(o.weight_decay);
    const Tensor grad = param.grad().contiguous();
    float* p = param.data_ptr<float>();
    const float* g = grad.data_ptr<float>();
    float* square_avg = state(i, "square_avg", 0.0).data_ptr<float>();
    float* acc_delta = state(i, "acc_delta", 0.0).data_ptr<float>();
    const int64_t n = param.numel();
#pragma omp parallel for simd schedule(static) if (n > 32768)
    for (int64_t k = 0; k < n; ++k) {
      const float gk = wd != 0.f ? g[k] + wd * p[k] : g[k];
      square_avg[k] = square_avg[k] * rho + keep * gk * gk;
      const float delta = std::sqrt(acc_delta[k] + eps) / std::sqrt(square_avg[k] + eps) * gk;
      acc_delta[k] = acc_delta[k] * rho + keep * delta * delta;
      p[k] += -lr_f * delta;
    }
    param.bump_version();
  }
}

}  // namespace nabla::optim
