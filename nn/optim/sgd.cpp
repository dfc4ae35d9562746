#include "nabla/nn/optim/sgd.hpp"

#include <cmath>

#include "nabla/core/error.hpp"

namespace nabla::optim {

SGD::SGD(std::vector<Tensor> params, const SGDOptions& opts) : Optimizer(std::move(params), 0.0, "SGD"), options(opts) {
  NABLA_CHECK(!std::isnan(options.lr), "SGD: lr is required (set .lr)");
  set_lr(options.lr);
  NABLA_CHECK(options.momentum >= 0.0, "SGD: Invalid momentum value: ", options.momentum);
  NABLA_CHECK(options.weight_decay >= 0.0, "SGD: Invalid weight_decay value: ", options.weight_decay);
  NABLA_CHECK(!options.nesterov || (options.momentum > 0 && options.dampening == 0), "SGD: Nesterov momentum requires "
              "a momentum and zero dampening");
}

void SGD::step() {
  const auto lr_f = static_cast<float>(lr()), wd = static_cast<float>(options.weight_decay);
  const auto momentum = static_cast<float>(options.momentum);
  const auto one_minus_dampening = static_cast<float>(1 - options.dampening);
  for (size_t i = 0; i < params().size(); ++i) {
    const Tensor& param = params()[i];
    if (!param.grad().defined()) continue;
    const Tensor grad = param.grad().contiguous();
    float* p = param.data_ptr<float>();
    const float* g = grad.data_ptr<float>();
    const bool first = step_count(i)++ == 0;  // the momentum buffer starts as the first gradient
    float* buf = options.momentum != 0.0 ? state(i, "momentum_buffer").data_ptr<float>() : nullptr;
    const int64_t n = param.numel();
#pragma omp parallel for simd schedule(static) if (n > 32768)
    for (int64_t k = 0; k < n; ++k) {
      float d = options.weight_decay != 0.0 ? g[k] + wd * p[k] : g[k];
      if (buf) {
        buf[k] = first ? d : buf[k] * momentum + one_minus_dampening * d;
        d = options.nesterov ? d + momentum * buf[k] : buf[k];
      }
      p[k] += -lr_f * d;
    }
    param.bump_version();
  }
}

}  // namespace nabla::optim
