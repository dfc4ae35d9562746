// Gradient clipping, with PyTorch 1.13's arithmetic: per-gradient norms in float32, then the norm of those,
// and the coefficient computed as PyTorch's `max_norm / (total + 1e-6)` is (a reciprocal, then a product).
#include "nabla/nn/clip_grad.hpp"

#include <algorithm>
#include <cmath>

#include "nabla/autograd/grad_mode.hpp"
#include "nabla/core/error.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/reduction.hpp"

namespace nabla::nn::utils {
namespace {

std::vector<Tensor> gradients(const std::vector<Tensor>& parameters) {
  std::vector<Tensor> grads;
  for (const Tensor& p : parameters)
    if (p.defined() && p.grad().defined()) grads.push_back(p.grad());
  return grads;
}

// The norm_type-norm of one gradient, in float32 as torch.norm computes it.
float norm_of(const Tensor& g, double norm_type) {
  if (g.numel() == 0) return 0.f;
  if (std::isinf(norm_type)) return g.abs().max().item<float>();
  if (norm_type == 2.0) return std::sqrt((g * g).sum().item<float>());
  if (norm_type == 1.0) return g.abs().sum().item<float>();
  return std::pow(g.abs().pow(norm_type).sum().item<float>(), static_cast<float>(1.0 / norm_type));
}

}  // namespace

double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  NABLA_CHECK(norm_type > 0, "clip_grad_norm_: norm_type must be positive (or infinity), got ", norm_type);
  const std::vector<Tensor> grads = gradients(parameters);
  if (grads.empty()) return 0.0;
  NoGradGuard no_grad;
  float total = 0.f;
  if (std::isinf(norm_type)) {
    for (const Tensor& g : grads) {
      const float n = norm_of(g, norm_type);
      total = std::isnan(n) || n > total ? n : total;  // a NaN, once there, stays: PyTorch's max keeps it
    }
  } else {
    float sum = 0.f;
    for (const Tensor& g : grads) sum += std::pow(norm_of(g, norm_type), static_cast<float>(norm_type));
    total = std::pow(sum, static_cast<float>(1.0 / norm_type));
  }
  NABLA_CHECK(!error_if_nonfinite || std::isfinite(total), "clip_grad_norm_: The total norm of order ", norm_type,
              " for gradients from `parameters` is non-finite, so it cannot be clipped. To disable this error and "
              "scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`");
  const float coef = std::min(1.f / (total + 1e-6f) * static_cast<float>(max_norm), 1.f);  // NaN stays NaN
  for (Tensor g : grads) g.copy_(g * static_cast<double>(coef));
  return total;
}

void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value) {
  NoGradGuard no_grad;
  for (Tensor g : gradients(parameters)) g.copy_(g.clamp(-clip_value, clip_value));
}

}  // namespace nabla::nn::utils
