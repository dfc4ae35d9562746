#include "nabla/nn/optim/adagrad.hpp"

#include <cmath>

#include "nabla/core/error.hpp"

namespace nabla::optim {

Adagrad::Adagrad(std::vector<Tensor> params, const AdagradOptions& opts)
    : OptimizerWith(std::move(params), opts, "Adagrad") {
  check_options();
}

Adagrad::Adagrad(std::vector<ParamGroup<AdagradOptions>> groups, const AdagradOptions& defaults)
    : OptimizerWith(std::move(groups), defaults, "Adagrad") {
  check_options();
}

void Adagrad::check_options() const {
  for (const AdagradOptions& o : all_group_options()) {
    NABLA_CHECK(o.lr_decay >= 0.0, "Adagrad: Invalid lr_decay value: ", o.lr_decay);
    NABLA_CHECK(o.weight_decay >= 0.0, "Adagrad: Invalid weight_decay value: ", o.weight_decay);
    NABLA_CHECK(o.initial_accumulator_value >= 0.0,
                "Adagrad: Invalid initial_accumulator_value value: ", o.initial_accumulator_value);
    NABLA_CHECK(o.eps >= 0.0, "Adagrad: Invalid epsilon value: ", o.eps);
  }
}

void Adagrad::step() {
  for (size_t i = 0; i < params().size(); ++i) {
    const Tensor& param = params()[i];
    if (!param.grad().defined()) continue;
    const AdagradOptions& o = options_of(i);
    const int64_t step = ++step_count(i);
    // The step's learning rate in double, as PyTorch computes it; the element math in float.
    const auto clr = static_cast<float>(lr(group_of(i)) / (1 + static_cast<double>(step - 1) * o.lr_decay));
    const auto wd = static_cast<float>(o.weight_decay), eps = static_cast<float>(o.eps);
    const Tensor grad = param.grad().contiguous();
    float* p = param.data_ptr<float>();
    const float* g = grad.data_ptr<float>();
    float* sum = state(i, "sum", o.initial_accumulator_value).data_ptr<float>();
    const int64_t n = param.numel();
#pragma omp parallel for simd schedule(static) if (n > 32768)
    for (int64_t k = 0; k < n; ++k) {
      const float gk = wd != 0.f ? g[k] + wd * p[k] : g[k];
      sum[k] += gk * gk;
      p[k] += -clr * (gk / (std::sqrt(sum[k]) + eps));
    }
    param.bump_version();
  }
}

}  // namespace nabla::optim
