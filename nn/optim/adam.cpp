#include "nabla/nn/optim/adam.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "nabla/core/error.hpp"

namespace nabla::optim {
namespace {

template <class Options>
void check_adam(const Options& o, const char* name) {
  NABLA_CHECK(o.eps >= 0.0, name, ": Invalid epsilon value: ", o.eps);
  NABLA_CHECK(o.betas->first >= 0.0 && o.betas->first < 1.0, name,
              ": Invalid beta parameter at index 0: ", o.betas->first);
  NABLA_CHECK(o.betas->second >= 0.0 && o.betas->second < 1.0, name,
              ": Invalid beta parameter at index 1: ", o.betas->second);
  NABLA_CHECK(o.weight_decay >= 0.0, name, ": Invalid weight_decay value: ", o.weight_decay);
}

// The per-element update, in PyTorch's order and float arithmetic. The options are template
// parameters so that each variant is a branch-free loop the compiler vectorises.
struct AdamScalars {
  float step_size, bc2_sqrt, b1, b2, one_minus_b1, one_minus_b2, wd, eps, shrink;
};

// One parameter's tensors for the update.
struct Slice {
  int64_t n;
  float *p, *m, *v, *v_max;
  const float* g;
  AdamScalars s;
};

template <bool Decoupled, bool L2, bool Amsgrad>
void adam_kernel(const Slice& x, int64_t begin, int64_t end) {
  // Local copies, restrict-qualified: the scalars stay in registers instead of being reloaded after every store.
  float *__restrict p = x.p, *__restrict m = x.m, *__restrict v = x.v, *__restrict v_max = x.v_max;
  const float* __restrict g = x.g;
  const AdamScalars s = x.s;
#pragma omp simd
  for (int64_t k = begin; k < end; ++k) {
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

// Every parameter in one parallel region (one fork and barrier per step, not one per tensor): thread t of
// T takes elements [N·t/T, N·(t+1)/T) of all N, walking across the tensors' boundaries.
template <bool Decoupled, bool L2, bool Amsgrad>
void adam_all(const std::vector<Slice>& slices) {
  int64_t total = 0;
  for (const auto& x : slices) total += x.n;
#pragma omp parallel if (total > 32768)
  {
    const int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
    const int64_t begin = total * t / threads, end = total * (t + 1) / threads;
    int64_t start = 0;  // of the current slice, in the concatenation
    for (const auto& x : slices) {
      const int64_t lo = std::max(begin, start), hi = std::min(end, start + x.n);
      if (lo < hi) adam_kernel<Decoupled, L2, Amsgrad>(x, lo - start, hi - start);
      start += x.n;
    }
  }
}

template <bool Decoupled, bool L2>
void adam_all(bool amsgrad, const std::vector<Slice>& slices) {
  if (amsgrad) adam_all<Decoupled, L2, true>(slices);
  else adam_all<Decoupled, L2, false>(slices);
}

}  // namespace

template <class Options>
void AdamBase<Options>::step() {
  constexpr bool kDecoupled = std::is_same_v<Options, AdamWOptions>;  // AdamW; Adam adds the decay to the gradient
  std::vector<Tensor> grads;  // contiguous copies live until the update has run
  for (size_t group = 0; group < this->num_groups(); ++group) {
    std::vector<Slice> slices;
    const Options* o = nullptr;
    const double lr = this->lr(group);
    for (size_t i = 0; i < this->params().size(); ++i) {
      const Tensor& param = this->params()[i];
      if (this->group_of(i) != group || !param.grad().defined()) continue;
      o = &this->options_of(i);
      const auto [beta1, beta2] = o->betas.value();
      const double weight_decay = o->weight_decay;
      grads.push_back(param.grad().contiguous());
      const int64_t step = ++this->step_count(i);
      // The scalars PyTorch computes in double; the per-element math is float, in PyTorch's order.
      const double bias_correction1 = 1 - std::pow(beta1, step), bias_correction2 = 1 - std::pow(beta2, step);
      const AdamScalars scalars{static_cast<float>(lr / bias_correction1),
                                static_cast<float>(std::sqrt(bias_correction2)),
                                static_cast<float>(beta1),
                                static_cast<float>(beta2),
                                static_cast<float>(1 - beta1),
                                static_cast<float>(1 - beta2),
                                static_cast<float>(kDecoupled ? 0.0 : weight_decay),
                                static_cast<float>(o->eps),
                                static_cast<float>(1 - lr * (kDecoupled ? weight_decay : 0.0))};
      const auto moment = [&](const char* name) -> float* {
        Tensor& t = this->state(i, name);
        return t.data_ptr<float>();
      };
      slices.push_back({param.numel(), param.data_ptr<float>(), moment("exp_avg"), moment("exp_avg_sq"),
                        o->amsgrad ? moment("max_exp_avg_sq") : nullptr, grads.back().const_data_ptr<float>(),
                        scalars});
      param.bump_version();
    }
    if (slices.empty()) continue;
    if (kDecoupled && o->weight_decay != 0.0) {
      adam_all<true, false>(o->amsgrad, slices);
    } else if (!kDecoupled && o->weight_decay != 0.0) {
      adam_all<false, true>(o->amsgrad, slices);
    } else {
      adam_all<false, false>(o->amsgrad, slices);
    }
  }
}

template class AdamBase<AdamOptions>;
template class AdamBase<AdamWOptions>;

Adam::Adam(std::vector<Tensor> params, const AdamOptions& opts) : AdamBase(std::move(params), opts, "Adam") {
  for (const auto& o : all_group_options()) check_adam(o, "Adam");
}

Adam::Adam(std::vector<ParamGroup<AdamOptions>> groups, const AdamOptions& defaults)
    : AdamBase(std::move(groups), defaults, "Adam") {
  for (const auto& o : all_group_options()) check_adam(o, "Adam");
}

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& opts) : AdamBase(std::move(params), opts, "AdamW") {
  for (const auto& o : all_group_options()) check_adam(o, "AdamW");
}

AdamW::AdamW(std::vector<ParamGroup<AdamWOptions>> groups, const AdamWOptions& defaults)
    : AdamBase(std::move(groups), defaults, "AdamW") {
  for (const auto& o : all_group_options()) check_adam(o, "AdamW");
}

}  // namespace nabla::optim
