#include "nabla/nn/optim/adam.hpp"

#include <cmath>

#include "nabla/core/error.hpp"

namespace nabla::optim {
namespace {

template <class Options>
void check_adam(const Options& o, const char* name) {
  NABLA_CHECK(o.eps >= 0.0, name, ": Invalid epsilon value: ", o.eps);
  NABLA_CHECK(o.betas.first >= 0.0 && o.betas.first < 1.0, name, ": Invalid beta parameter at index 0: ", o.betas.first);
  NABLA_CHECK(o.betas.second >= 0.0 && o.betas.second < 1.0, name, ": Invalid beta parameter at index 1: ",
              o.betas.second);
  NABLA_CHECK(o.weight_decay >= 0.0, name, ": Invalid weight_decay value: ", o.weight_decay);
}

}  // namespace

void AdamBase::update(std::pair<double, double> betas, double eps, double l2, double decoupled, bool amsgrad) {
  const auto [beta1, beta2] = betas;
  for (size_t i = 0; i < params().size(); ++i) {
    const Tensor& param = params()[i];
    if (!param.grad().defined()) continue;
    const Tensor grad = param.grad().contiguous();
    const int64_t step = ++step_count(i);
    // The scalars PyTorch computes in double; the per-element math is float, in PyTorch's order.
    const double bias_correction1 = 1 - std::pow(beta1, step), bias_correction2 = 1 - std::pow(beta2, step);
    const auto step_size = static_cast<float>(lr() / bias_correction1);
    const auto bc2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
    const auto b1 = static_cast<float>(beta1), b2 = static_cast<float>(beta2);
    const auto one_minus_b1 = static_cast<float>(1 - beta1), one_minus_b2 = static_cast<float>(1 - beta2);
    const auto wd = static_cast<float>(l2), e = static_cast<float>(eps);
    const auto shrink = static_cast<float>(1 - lr() * decoupled);
    float* p = param.data_ptr<float>();
    const float* g = grad.data_ptr<float>();
    float* m = state(i, "exp_avg").data_ptr<float>();
    float* v = state(i, "exp_avg_sq").data_ptr<float>();
    float* v_max = amsgrad ? state(i, "max_exp_avg_sq").data_ptr<float>() : nullptr;
    const int64_t n = param.numel();
#pragma omp parallel for simd schedule(static) if (n > 32768)
    for (int64_t k = 0; k < n; ++k) {
      if (decoupled != 0.0) p[k] *= shrink;
      const float gk = l2 != 0.0 ? g[k] + wd * p[k] : g[k];
      m[k] = m[k] * b1 + one_minus_b1 * gk;
      v[k] = v[k] * b2 + one_minus_b2 * gk * gk;
      float second = v[k];
      if (v_max) second = v_max[k] = std::max(v_max[k], v[k]);
      p[k] += -step_size * (m[k] / (std::sqrt(second) / bc2_sqrt + e));
    }
    param.bump_version();
  }
}

Adam::Adam(std::vector<Tensor> params, const AdamOptions& opts) : AdamBase(std::move(params), opts.lr, "Adam"), options(opts) {
  check_adam(options, "Adam");
}

void Adam::step() { update(options.betas, options.eps, options.weight_decay, 0.0, options.amsgrad); }

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& opts)
    : AdamBase(std::move(params), opts.lr, "AdamW"), options(opts) {
  check_adam(options, "AdamW");
}

void AdamW::step() { update(options.betas, options.eps, 0.0, options.weight_decay, options.amsgrad); }

}  // namespace nabla::optim
