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

// The per-element update, in PyTorch's order and float arithmetic. The options are template
// parameters so that each variant is a branch-free loop the compiler vectorises.
struct AdamScalars {
  float step_size, bc2_sqrt, b1, b2, one_minus_b1, one_minus_b2, wd, eps, shrink;
};

template <bool Decoupled, bool L2, bool Amsgrad>
void adam_kernel(int64_t n, float* p, const float* g, float* m, float* v, float* v_max, const AdamScalars& s) {
#pragma omp parallel for simd schedule(static) if (n > 32768)
  for (int64_t k = 0; k < n; ++k) {
    if constexpr (Decoupled) p[k] *= s.shrink;
    float gk = g[k];
    if constexpr (L2) gk += s.wd * p[k];
    m[k] = m[k] * s.b1 + s.one_minus_b1 * gk;
    v[k] = v[k] * s.b2 + s.one_minus_b2 * gk * gk;
    float second = v[k];
    if constexpr (Amsgrad) second = v_max[k] = std::max(v_max[k], v[k]);
    p[k] += -s.step_size * (m[k] / (std::sqrt(second) / s.bc2_sqrt + s.eps));
  }
}

template <bool Decoupled, bool L2>
void adam_kernel(bool amsgrad, int64_t n, float* p, const float* g, float* m, float* v, float* v_max, const AdamScalars& s) {
  if (amsgrad) adam_kernel<Decoupled, L2, true>(n, p, g, m, v, v_max, s);
  else adam_kernel<Decoupled, L2, false>(n, p, g, m, v, v_max, s);
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
    const AdamScalars scalars{static_cast<float>(lr() / bias_correction1),
                              static_cast<float>(std::sqrt(bias_correction2)),
                              static_cast<float>(beta1),
                              static_cast<float>(beta2),
                              static_cast<float>(1 - beta1),
                              static_cast<float>(1 - beta2),
                              static_cast<float>(l2),
                              static_cast<float>(eps),
                              static_cast<float>(1 - lr() * decoupled)};
    float* p = param.data_ptr<float>();
    const float* g = grad.data_ptr<float>();
    float* m = state(i, "exp_avg").data_ptr<float>();
    float* v = state(i, "exp_avg_sq").data_ptr<float>();
    float* v_max = amsgrad ? state(i, "max_exp_avg_sq").data_ptr<float>() : nullptr;
    const int64_t n = param.numel();
    if (decoupled != 0.0) {
      adam_kernel<true, false>(amsgrad, n, p, g, m, v, v_max, scalars);
    } else if (l2 != 0.0) {
      adam_kernel<false, true>(amsgrad, n, p, g, m, v, v_max, scalars);
    } else {
      adam_kernel<false, false>(amsgrad, n, p, g, m, v, v_max, scalars);
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
