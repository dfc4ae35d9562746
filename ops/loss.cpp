// Losses: nll_loss, binary_cross_entropy and the piecewise ones (smooth_l1, huber) have their own forward and
// backward; the others are compositions of differentiable ops.
#include "nabla/ops/loss.hpp"

#include <cmath>

#include <xtensor/xmath.hpp>

#include "nabla/autograd/node.hpp"
#include "nabla/ops/activation.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/ops/elementwise.hpp"
#include "ops/kernels.h"
#include "nabla/ops/reduction.hpp"
#include "nabla/ops/softmax.hpp"

namespace nabla {
namespace {

// The shape nll_loss expects of the target for this input: the input's without the class dim.
Shape target_shape(const Tensor& input) {
  Shape shape = input.shape();
  shape.erase(shape.begin() + (input.dim() == 1 ? 0 : 1));
  return shape;
}

// The elementwise losses' checks: float input and target of the same shape.
void check_pair(const Tensor& input, const Tensor& target, const char* who) {
  kernels::check_float(input, who);
  kernels::check_float(target, who);
  NABLA_CHECK(input.shape() == target.shape(), who, ": target size ", shape_str(target.shape()),
              " is different to the input size ", shape_str(input.shape()), "; reshape one of them to match");
}

// The losses compute in float32 (PyTorch autocast's float32 list): a bfloat16 input or target (an autocast
// model's output) is cast first, the gradient going back in bfloat16; a quantized one (an int8 model's logits) is
// dequantized.
bool not_float32(const Tensor& t) { return t.defined() && (t.dtype() == kBFloat16 || t.is_quantized()); }
bool any_lower_precision(const Tensor& input, const Tensor& target) {
  return not_float32(input) || not_float32(target);
}
Tensor f32(const Tensor& t) {
  if (!not_float32(t)) return t;
  return t.is_quantized() ? t.dequantize() : t.to(kFloat32);
}

Tensor reduce(const Tensor& losses, Reduction reduction, const char* who) {
  NABLA_CHECK(reduction != Reduction::batchmean, who, ": reduction batchmean is for kl_div only; use mean or sum");
  return reduction == Reduction::none ? losses : reduction == Reduction::sum ? sum(losses) : mean(losses);
}

}  // namespace

Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossOptions& options) {
  if (any_lower_precision(input, target)) return nll_loss(f32(input), f32(target), options);
  kernels::check_float(input, "nll_loss");
  NABLA_CHECK(input.dim() >= 1, "nll_loss: expected input of shape (N, C), (C) or (N, C, d1, ...), got a 0-d tensor");
  NABLA_CHECK(target.defined() && target.dtype() == kInt64, "nll_loss: expected an int64 target of class indices, got ",
              target.defined() ? dtype_name(target.dtype()) : "an undefined tensor");
  NABLA_CHECK(target.shape() == target_shape(input), "nll_loss: expected target of shape ",
              shape_str(target_shape(input)), " for input of shape ", shape_str(input.shape()), ", got ",
              shape_str(target.shape()));
  NABLA_CHECK(options.reduction != Reduction::batchmean, "nll_loss: reduction batchmean is for kl_div only");
  const int64_t classes = input.size(input.dim() == 1 ? 0 : 1);
  NABLA_CHECK(!options.weight.defined() || options.weight.shape() == Shape{classes},
              "nll_loss: weight tensor should be defined either for all ", classes,
              " classes or no classes but got weight tensor of shape: ", shape_str(options.weight.shape()));
  const int64_t inner = input.dim() <= 2 ? 1 : numel(Shape(input.shape().begin() + 2, input.shape().end()));
  const std::vector<int64_t> labels = target.to_vector<int64_t>();
  const std::vector<float> class_weight =
      options.weight.defined() ? options.weight.to_vector<float>() : std::vector<float>(classes, 1.f);
  std::vector<float> sample_weight(labels.size());  // the weight of each target, 0 if ignored
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] == options.ignore_index) continue;
    NABLA_CHECK(labels[i] >= 0 && labels[i] < classes, "nll_loss: Target ", labels[i], " is out of bounds (",
                classes, " classes)");
    sample_weight[i] = class_weight[labels[i]];
  }
  const Tensor x = input.detach().contiguous();
  const float* px = x.data_ptr<float>();
  const auto at = [inner, classes](int64_t i, int64_t label) {  // the input element sample i's label picks
    return (i / inner * classes + label) * inner + i % inner;
  };
  Tensor losses = empty(target.shape());
  float* pl = losses.data_ptr<float>();
  double total = 0.0, total_weight = 0.0;
  for (size_t i = 0; i < labels.size(); ++i) {
    pl[i] = sample_weight[i] == 0.f ? 0.f : -sample_weight[i] * px[at(static_cast<int64_t>(i), labels[i])];
    total += pl[i];
    total_weight += sample_weight[i];
  }
  const Reduction reduction = options.reduction;
  Tensor y = reduction == Reduction::none ? losses
           : reduction == Reduction::sum  ? scalar_tensor(total)
                                          : scalar_tensor(total / total_weight);  // all ignored → nan, as PyTorch
  return autograd::record("NllLossBackward0", y, {input, options.weight},
                          [=, input_shape = input.shape()](const Tensor& g, const autograd::Needs&) {
    Tensor gx = zeros(input_shape);
    float* pg = gx.data_ptr<float>();
    const std::vector<float> gy = g.to_vector<float>();
    for (size_t i = 0; i < labels.size(); ++i) {
      const float upstream = reduction == Reduction::none ? gy[i]
                           : reduction == Reduction::sum  ? gy[0]
                                                          : static_cast<float>(gy[0] / total_weight);
      if (sample_weight[i] != 0.f) pg[at(static_cast<int64_t>(i), labels[i])] = -sample_weight[i] * upstream;
    }
    return autograd::Grads{gx, Tensor()};
  });
}

Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyLossOptions& o) {
  if (any_lower_precision(input, target)) return cross_entropy(f32(input), f32(target), o);
  kernels::check_float(input, "cross_entropy");
  NABLA_CHECK(input.dim() >= 1,
              "cross_entropy: expected input of shape (N, C), (C) or (N, C, d1, ...), got a 0-d tensor");
  NABLA_CHECK(o.label_smoothing >= 0.0 && o.label_smoothing <= 1.0,
              "cross_entropy: label_smoothing must be between 0.0 and 1.0. Got: ", o.label_smoothing);
  const int64_t class_dim = input.dim() == 1 ? 0 : 1, classes = input.size(class_dim);
  const Tensor log_p = log_softmax(input, class_dim);
  Shape class_shape(static_cast<size_t>(input.dim()), 1);
  class_shape[class_dim] = classes;
  const Tensor weighted = o.weight.defined() ? log_p * o.weight.reshape(class_shape) : log_p;
  const double smoothing = o.label_smoothing;
  if (target.defined() && target.dtype() == kFloat32) {  // class probabilities
    NABLA_CHECK(target.shape() == input.shape(),
                "cross_entropy: expected an int64 target of class indices, or a "
                "float32 target of class probabilities of the input's shape ",
                shape_str(input.shape()), ", got float32 ", shape_str(target.shape()));
    NABLA_CHECK(o.reduction != Reduction::batchmean, "cross_entropy: reduction batchmean is for kl_div only");
    const Tensor p = smoothing > 0 ? target * (1 - smoothing) + smoothing / static_cast<double>(classes) : target;
    const Tensor losses = -sum(weighted * p, {class_dim});
    if (o.reduction == Reduction::none) return losses;
    return o.reduction == Reduction::sum
               ? sum(losses)
               : sum(losses) / static_cast<double>(input.numel() / std::max<int64_t>(classes, 1));
  }
  const Tensor nll = nll_loss(log_p, target, {o.weight, o.ignore_index, o.reduction});
  if (smoothing == 0) return nll;
  // PyTorch's label smoothing for class indices: (1 - ε)·nll + ε/C · Σ_c -w_c·log p_c over the samples kept.
  const Tensor ignored = eq(target, scalar_tensor(static_cast<double>(o.ignore_index), kInt64));
  const Tensor smooth = masked_fill(-sum(weighted, {class_dim}), ignored, 0.0);
  Tensor reduced = smooth;
  if (o.reduction == Reduction::sum) reduced = sum(smooth);
  if (o.reduction == Reduction::mean) {
    double kept = 0;  // the weight of the samples not ignored (their count without class weights)
    const auto labels = target.to_vector<int64_t>();
    const auto weight = o.weight.defined() ? o.weight.to_vector<float>() : std::vector<float>();
    for (int64_t label : labels)
      if (label != o.ignore_index) kept += weight.empty() ? 1.0 : weight[static_cast<size_t>(label)];
    reduced = sum(smooth) / kept;
  }
  return nll * (1 - smoothing) + reduced * (smoothing / static_cast<double>(classes));
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  if (any_lower_precision(input, target)) return mse_loss(f32(input), f32(target), reduction);
  check_pair(input, target, "mse_loss");
  const Tensor diff = input - target;
  return reduce(diff * diff, reduction, "mse_loss");
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  if (any_lower_precision(input, target)) return l1_loss(f32(input), f32(target), reduction);
  check_pair(input, target, "l1_loss");
  return reduce(abs(input - target), reduction, "l1_loss");
}

namespace {
// 0.5·d²·inner where |d| < delta, else outer·(|d| - 0.5·delta), for d = input - target, with PyTorch's own backward:
// ±outer·g beyond ±delta (also at ±inf, where a composition's unused branch would make NaN), inner·d·g inside.
// huber_loss is inner = 1, outer = delta; smooth_l1_loss inner = 1/beta, outer = 1.
Tensor piecewise_quadratic(const Tensor& input, const Tensor& target, double delta, double inner, double outer,
                           const char* node) {
  const Tensor x = input.detach().contiguous(), t = target.detach().contiguous();
  const auto dl = static_cast<float>(delta), in = static_cast<float>(inner), out = static_cast<float>(outer);
  const Tensor losses = kernels::compute<float, float>(
      x.shape(), kFloat32,
      [=](const auto& xv, const auto& tv) {  // no named sub-expressions: the returned one would refer to them
        return xt::where(xt::abs(xv - tv) < dl, 0.5f * xt::square(xv - tv) * in, out * (xt::abs(xv - tv) - 0.5f * dl));
      },
      x, t);
  return autograd::record(
      node, losses, {input, target}, [x, t, dl, in, out](const Tensor& g, const autograd::Needs& n) {
        const Tensor dx = kernels::compute<float, float>(
            x.shape(), kFloat32,
            [=](const auto& gv, const auto& xv, const auto& tv) {
              return xt::where(xv - tv <= -dl, -out * gv, xt::where(xv - tv >= dl, out * gv, in * (xv - tv) * gv));
            },
            g.contiguous(), x, t);
        return autograd::Grads{dx, n[1] ? -dx : Tensor()};
      });
}
}  // namespace

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction, double beta) {
  if (any_lower_precision(input, target)) return smooth_l1_loss(f32(input), f32(target), reduction, beta);
  check_pair(input, target, "smooth_l1_loss");
  NABLA_CHECK(beta >= 0, "smooth_l1_loss: smooth_l1_loss does not support negative values for beta.");
  const Tensor losses = piecewise_quadratic(input, target, beta, 1.0 / beta, 1.0, "SmoothL1LossBackward0");
  return reduce(losses, reduction, "smooth_l1_loss");
}

Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction, double delta) {
  if (any_lower_precision(input, target)) return huber_loss(f32(input), f32(target), reduction, delta);
  check_pair(input, target, "huber_loss");
  NABLA_CHECK(delta > 0, "huber_loss: huber_loss does not support non-positive values for delta.");
  const Tensor losses = piecewise_quadratic(input, target, delta, 1.0, delta, "HuberLossBackward0");
  return reduce(losses, reduction, "huber_loss");
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const BCELossOptions& o) {
  if (any_lower_precision(input, target)) return binary_cross_entropy(f32(input), f32(target), o);
  check_pair(input, target, "binary_cross_entropy");
  const Tensor x = input.detach().contiguous(), t = target.detach().contiguous();
  for (float v : x.to_vector<float>())
    NABLA_CHECK(v >= 0.f && v <= 1.f, "binary_cross_entropy: all elements of input should be between 0 and 1");
  // -(t·log x + (1 - t)·log(1 - x)), each log at least -100 so that x = 0 or 1 gives a finite loss.
  const Tensor losses = kernels::compute<float, float>(
      x.shape(), kFloat32,
      [](const auto& xv, const auto& tv) {
        return -(tv * xt::maximum(xt::log(xv), -100.f) + (1.f - tv) * xt::maximum(xt::log(1.f - xv), -100.f));
      },
      x, t);
  const Tensor recorded = autograd::record(
      "BinaryCrossEntropyBackward0", losses, {input},
      [x, t](const Tensor& g, const autograd::Needs&) {
        // PyTorch's: g·(x - t) / max((1 - x)·x, 1e-12).
        return autograd::Grads{kernels::compute<float, float>(
            x.shape(), kFloat32,
            [](const auto& gv, const auto& xv, const auto& tv) {
              return gv * (xv - tv) / xt::maximum((1.f - xv) * xv, 1e-12f);
            },
            g.contiguous(), x, t)};
      },
      autograd::Saves::Inputs);
  return reduce(o.weight.defined() ? recorded * o.weight : recorded, o.reduction, "binary_cross_entropy");
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const BCEWithLogitsLossOptions& o) {
  if (any_lower_precision(input, target)) return binary_cross_entropy_with_logits(f32(input), f32(target), o);
  check_pair(input, target, "binary_cross_entropy_with_logits");
  // (1 - t)·x + (1 + (pos_weight - 1)·t)·log(1 + e^-x): softplus(-x) is the stable log(1 + e^-x).
  const Tensor log_weight = o.pos_weight.defined() ? (o.pos_weight - 1.0) * target + 1.0 : Tensor();
  const Tensor soft = softplus(-input);
  Tensor losses = (1.0 - target) * input + (log_weight.defined() ? log_weight * soft : soft);
  if (o.weight.defined()) losses = losses * o.weight;
  return reduce(losses, o.reduction, "binary_cross_entropy_with_logits");
}

Tensor kl_div(const Tensor& input, const Tensor& target, const KLDivLossOptions& o) {
  if (any_lower_precision(input, target)) return kl_div(f32(input), f32(target), o);
  check_pair(input, target, "kl_div");
  Tensor losses;
  if (o.log_target) {
    losses = exp(target) * (target - input);
  } else {  // xlogy(t, t) - t·x: t·log t is 0 where t = 0 and NaN where t < 0, as in PyTorch
    const Tensor nonzero = target != 0.0;
    losses = where(nonzero, target * log(where(nonzero, target, 1.0)), 0.0) - target * input;
  }
  if (o.reduction != Reduction::batchmean) return reduce(losses, o.reduction, "kl_div");
  return sum(losses) / static_cast<double>(input.dim() == 0 ? 1 : input.size(0));
}

}  // namespace nabla
