// libFuzzer target: the layers around the convs — normalizations, activations, interpolate, pixel (un)shuffle, pad —
// and the losses, with random shapes, options and special values (NaN, ±inf, ±0, huge and negative sizes). Every
// case must end in a nabla::Error or a result with PyTorch's shape whose NaN follows the NaN table: an elementwise
// activation or loss keeps NaN where its input has one, and maps finite input to a non-NaN value. Its backward must
// give the input's gradient its shape. Anything else (another exception, a sanitizer report, a hang) is a defect.
#include <fuzzer/FuzzedDataProvider.h>
#include <nabla/nabla.hpp>

#include "fuzz_values.hpp"

namespace {

using namespace nabla;
using namespace fuzz;
namespace F = nabla::nn::functional;

// The backward of `y` (a sum, so every output gets gradient 1) reaches x with x's shape.
void check_backward(const Tensor& x, const Tensor& y, const std::string& what) {
  if (!x.requires_grad() || !y.requires_grad()) return;
  y.sum().backward();
  if (x.grad().defined() && x.grad().shape() != x.shape())
    defect(what + ": gradient of shape " + shape_str(x.grad().shape()) + " for input " + shape_str(x.shape()));
}

// An elementwise op: y has x's shape; NaN in, NaN out at the same place; finite in, no NaN out.
void check_elementwise(const Tensor& x, const Tensor& y, const std::string& what) {
  if (y.shape() != x.shape()) defect(what + ": output shape " + shape_str(y.shape()) + " for " + shape_str(x.shape()));
  const auto xv = x.to_vector<float>(), yv = y.to_vector<float>();
  for (size_t i = 0; i < xv.size(); ++i) {
    if (std::isnan(xv[i]) && !std::isnan(yv[i])) defect(what + ": a NaN input gave " + std::to_string(yv[i]));
    if (std::isfinite(xv[i]) && std::isnan(yv[i])) defect(what + ": finite " + std::to_string(xv[i]) + " gave NaN");
  }
  check_backward(x, y, what);
}

void activation(FuzzedDataProvider& in, const Tensor& x) {
  const int kind = in.ConsumeIntegralInRange<int>(0, 15);
  const double a = real(in, -3, 3), b = real(in, -3, 3);
  Tensor y;
  switch (kind) {
    case 0: y = F::leaky_relu(x, a); break;
    case 1: y = F::elu(x, std::fabs(a)); break;
    case 2: y = F::celu(x, a); break;
    case 3: y = F::hardtanh(x, std::min(a, b), std::max(a, b)); break;
    case 4: y = F::hardswish(x); break;
    case 5: y = F::hardsigmoid(x); break;
    case 6: y = F::mish(x); break;
    case 7: y = F::gelu(x, in.ConsumeBool() ? "tanh" : "none"); break;
    case 8: y = F::silu(x); break;
    case 9: y = F::relu6(x); break;
    case 10: y = F::selu(x); break;
    case 11: y = F::logsigmoid(x); break;
    case 12: y = F::softsign(x); break;
    case 13: y = F::relu(x); break;
    case 14: y = F::sigmoid(x); break;
    default: y = F::tanh(x); break;
  }
  // Options that are themselves NaN or infinite may turn finite values into NaN (0 · inf): only NaN-in is checked.
  if (std::isfinite(a) && std::isfinite(b) && std::fabs(a) < 1e20 && std::fabs(b) < 1e20)
    check_elementwise(x, y, "activation " + std::to_string(kind));
}

void normalization(FuzzedDataProvider& in, const Tensor& x) {
  const int kind = in.ConsumeIntegralInRange<int>(0, 4);
  const double eps = in.ConsumeBool() ? 1e-5 : real(in, 0, 1e-3);
  const int64_t channels = x.dim() >= 2 ? x.size(1) : in.ConsumeIntegralInRange<int64_t>(0, 4);
  Tensor y;
  if (kind == 0) {
    y = F::batch_norm(x, Tensor(), Tensor(), {.weight = ones({channels}), .training = true, .eps = eps});
  } else if (kind == 1) {
    y = batch_norm_relu(x, zeros({channels}), ones({channels}), {.training = in.ConsumeBool(), .eps = eps});
  } else if (kind == 2) {
    y = F::group_norm(x, option(in, 1, 4), {.eps = eps});
  } else if (kind == 3) {
    y = F::instance_norm(x, {.eps = eps});
  } else {
    const int64_t n = in.ConsumeIntegralInRange<int64_t>(1, std::max<int64_t>(x.dim(), 1));
    y = F::layer_norm(x, Shape(x.shape().end() - std::min<int64_t>(n, x.dim()), x.shape().end()), {.eps = eps});
  }
  if (y.shape() != x.shape()) defect("normalization " + std::to_string(kind) + ": shape " + shape_str(y.shape()));
  check_backward(x, y, "normalization " + std::to_string(kind));
}

void resize(FuzzedDataProvider& in, const Tensor& x) {
  const int kind = in.ConsumeIntegralInRange<int>(0, 3);
  if (kind == 0) {
    static const char* const kModes[] = {"nearest", "linear", "bilinear", "trilinear"};
    InterpolateOptions o{.mode = kModes[in.ConsumeIntegralInRange<int>(0, 3)]};
    if (in.ConsumeBool())
      o.size = options(in, static_cast<size_t>(std::max<int64_t>(x.dim() - 2, 1)), 1, 9);
    else
      o.scale_factor = {real(in, 0.1, 4)};
    if (o.mode != "nearest" && in.ConsumeBool()) o.align_corners = in.ConsumeBool();
    o.recompute_scale_factor = in.ConsumeBool();
    check_backward(x, F::interpolate(x, o), "interpolate");
  } else if (kind == 1 || kind == 2) {
    const int64_t r = option(in, 1, 3);
    const Tensor y = kind == 1 ? F::pixel_shuffle(x, r) : F::pixel_unshuffle(x, r);
    if (y.numel() != x.numel()) defect("pixel (un)shuffle: " + std::to_string(y.numel()) + " values");
    check_backward(x, y, "pixel (un)shuffle");
  } else {
    static const char* const kModes[] = {"constant", "reflect", "replicate", "circular"};
    const std::string mode = kModes[in.ConsumeIntegralInRange<int>(0, 3)];
    check_backward(x, F::pad(x, options(in, in.ConsumeIntegralInRange<size_t>(0, 8), -2, 3), mode, real(in, -1, 1)),
                   "pad " + mode);
  }
}

void loss(FuzzedDataProvider& in, const Tensor& x) {
  const int kind = in.ConsumeIntegralInRange<int>(0, 8);
  const Reduction reduction = in.ConsumeBool() ? Reduction::none : in.ConsumeBool() ? Reduction::mean : Reduction::sum;
  Tensor t = randn(x.shape());
  if (t.numel() > 0 && in.ConsumeBool())
    t.data_ptr<float>()[in.ConsumeIntegralInRange<int64_t>(0, t.numel() - 1)] = static_cast<float>(real(in, -2, 2));
  const double beta = real(in, 0, 2);
  Tensor y;
  switch (kind) {
    case 0: y = F::mse_loss(x, t, reduction); break;
    case 1: y = F::l1_loss(x, t, reduction); break;
    case 2: y = F::smooth_l1_loss(x, t, reduction, beta); break;
    case 3: y = F::huber_loss(x, t, reduction, beta); break;
    case 4: y = F::binary_cross_entropy_with_logits(x, t.abs().clamp(0, 1), {.reduction = reduction}); break;
    case 5: y = F::kl_div(x, t, {.reduction = reduction, .log_target = in.ConsumeBool()}); break;
    case 6: y = F::binary_cross_entropy(F::sigmoid(x), t.abs().clamp(0, 1), {.reduction = reduction}); break;
    case 7: {
      const int64_t classes = x.dim() >= 2 ? x.size(1) : x.dim() == 1 ? x.size(0) : 1;
      Shape target_shape = x.shape();
      if (x.dim() >= 1) target_shape.erase(target_shape.begin() + (x.dim() == 1 ? 0 : 1));
      const Tensor labels = randint(0, std::max<int64_t>(classes, 1), target_shape);
      y = F::cross_entropy(x, labels, {.reduction = reduction, .label_smoothing = in.ConsumeBool() ? 0.0 : 0.1});
      break;
    }
    default: y = F::nll_loss(x, zeros({x.dim() >= 1 ? x.size(0) : 0}, kInt64), {.reduction = reduction}); break;
  }
  // A NaN target makes NaN anywhere: the NaN rule is checked against the input alone for a finite target.
  if (reduction == Reduction::none && kind <= 3 && finite(t) && std::isfinite(beta))
    check_elementwise(x, y, "loss " + std::to_string(kind));
  check_backward(x, y, "loss " + std::to_string(kind));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  nabla::manual_seed(in.ConsumeIntegral<uint8_t>());
  const int family = in.ConsumeIntegralInRange<int>(0, 3);
  try {
    Tensor x = input(in, in.ConsumeIntegralInRange<size_t>(1, 3));
    if (in.ConsumeBool()) x.requires_grad_();
    if (family == 0) activation(in, x);
    if (family == 1) normalization(in, x);
    if (family == 2) resize(in, x);
    if (family == 3) loss(in, x);
  } catch (const nabla::Error&) {
    // refused with a message: the expected outcome for a bad case
  }
  return 0;
}
