#include "nabla/nn/optim/sgd.hpp"

#include <cmath>

#include "nabla/core/error.hpp"

namespace nabla::optim {

SGD::SGD(std::vector<Tensor> params, const SGDOptions& opts) : OptimizerWith(std::move(params), opts, "SGD") {
  check_options();
}

SGD::SGD(std::vector<ParamGroup<SGDOptions>> groups, const SGDOptions& defaults)
    : OptimizerWith(std::move(groups), defaults, "SGD") {
  check_options();
}

void SGD::check_options() const {
  for (const SGDOptions& o : all_group_options()) {
    NABLA_CHECK(o.momentum >= 0.0, "SGD: Invalid momentum value: ", o.momentum);
    NABLA_CHECK(o.weight_decay >= 0.0, "SGD: Invalid weight_decay value: ", o.weight_decay);
    NABLA_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0),
                "SGD: Nesterov momentum requires "
                "a momentum and zero dampening");
  }
}

void SGD::step() {
  for (size_t i = 0; i < params().size(); ++i) {
    const Tensor& param = params()[i];
    if (!param.grad().defined()) continue;
    const SGDOptions& o = options_of(i);
    const auto lr_f = static_cast<float>(lr(group_of(i))), wd = static_cast<float>(o.weight_decay);
    const auto momentum = static_cast<float>(o.momentum);
    const auto one_minus_dampening = static_cast<float>(1 - o.dampening);
    const bool decay = o.weight_decay != 0.0, nesterov = o.nesterov;
    const Tensor grad = param.grad().contiguous();
    float* p = param.data_ptr<float>();
    const float* g = grad.data_ptr<float>();
    const bool first = step_count(i)++ == 0;  // the momentum buffer starts as the first gradient
    float* buf = o.momentum != 0.0 ? state(i, "momentum_buffer").data_ptr<float>() : nullptr;
    const int64_t n = param.numel();
#pragma omp parallel for simd schedule(static) if (n > 32768)
    for (int64_t k = 0; k < n; ++k) {
      float d = decay ? g[k] + wd * p[k] : g[k];
      if (buf) {
        buf[k] = first ? d : buf[k] * momentum + one_minus_dampening * d;
        d = nesterov ? d + momentum * buf[k] : buf[k];
      }
      p[k] += -lr_f * d;
    }
    param.bump_version();
  }
}

}  // namespace nabla::optim
