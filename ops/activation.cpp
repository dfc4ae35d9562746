// Activations. ReLU on the values where they lie: a conv's blocked output (a native copy, ops/onednn.h) is read and
// written in its own layout, so a ReLU between two oneDNN ops costs no reorder. It is one vectorised pass
// of our own, not oneDNN's eltwise primitive, whose ReLU turns NaN into 0 where PyTorch's keeps it.
#include "nabla/ops/activation.hpp"
#include "nabla/core/trace.hpp"

#include <bit>
#include <cmath>

#include "nabla/autograd/node.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/softmax.hpp"
#include "ops/activation.h"
#include "nabla/ops/quantize.hpp"
#include "ops/kernels.h"
#include "ops/onednn.h"

namespace nabla {
namespace {

// y = relu(x) over n values (a blocked layout's padding included: zeros stay zeros); returns whether a NaN
// went through. T is float, or BFloat16 under autocast (computed in float: exact, a ReLU only selects).
template <class R>
bool relu_forward(const R* x, R* y, int64_t n) {
  int nan = 0;
#pragma omp parallel for simd reduction(| : nan) if (n > (1 << 16))
  for (int64_t i = 0; i < n; ++i) {
    const float v = kernels::load(x[i]);
    nan |= v != v;
    y[i] = v <= 0.f ? R{0} : x[i];  // NaN compares false: it stays NaN
  }
  return nan != 0;
}

// PyTorch's threshold_backward: the gradient passes where the output is not <= 0 (positive, or NaN).
template <class R>
void relu_backward(const R* y, const R* g, R* gx, int64_t n) {
#pragma omp parallel for simd if (n > (1 << 16))
  for (int64_t i = 0; i < n; ++i) gx[i] = kernels::load(y[i]) <= 0.f ? R{0} : g[i];
}

// The raw values (float, or bfloat16's bits) of a oneDNN memory.
template <class T>
kernels::Raw<T>* values(const onednn::Held& h) {
  return kernels::raw<T>(h.memory.get_data_handle());
}
template <class T>
kernels::Raw<T>* values(const onednn::Output& o) {
  return kernels::raw<T>(o.memory().get_data_handle());
}
template <class T>
int64_t count(const dnnl::memory::desc& md) {
  return static_cast<int64_t>(md.get_size() / sizeof(T));
}

}  // namespace

Tensor detail::record_relu(const Tensor& input, const Tensor& output) {
  return autograd::record(
      "ReluBackward0", output, {input},
      [output](const Tensor& grad, const autograd::Needs&) {
        const dnnl::memory::desc layout = onednn::layout_of(output);
        const onednn::Held y = onednn::read_as(output, layout), g = onednn::read_as(onednn::dense(grad), layout);
        onednn::Output gx(output.shape(), layout, output);
        kernels::visit_floating(output.dtype(), [&](auto zero) {
          using T = decltype(zero);
          relu_backward(values<T>(y), values<T>(g), values<T>(gx), count<T>(layout));
        });
        return autograd::Grads{gx.finish()};
      },
      autograd::Saves::Output);
}

namespace {
// ReLU of quantized values: q below the zero point (a negative value) becomes the zero point; scale and zero point
// are kept, as PyTorch's quantized relu.
Tensor quantized_relu(const Tensor& input) {
  NABLA_CHECK(input.qscheme() == QScheme::PerTensorAffine, "relu: expected a tensor quantized per tensor");
  Tensor out = input.int_repr();
  const int64_t zero_point = input.q_zero_point();
  const auto clamp_below = [&](auto* q) {
    const auto floor = static_cast<std::remove_pointer_t<decltype(q)>>(zero_point);
    for (int64_t i = 0, n = out.numel(); i < n; ++i) q[i] = std::max(q[i], floor);
  };
  if (out.dtype() == kUInt8)
    clamp_below(static_cast<uint8_t*>(out.data_ptr()));
  else
    clamp_below(static_cast<int8_t*>(out.data_ptr()));
  return make_quantized(out, input.qparams());
}
}  // namespace

Tensor relu(const Tensor& input) {
  trace::Scope scope("relu", {input});
  if (input.defined() && input.is_quantized()) return scope.output(quantized_relu(input));
  kernels::check_floating(input, "relu");
  if (input.numel() == 0)
    return scope.output(input * 1.0);  // no oneDNN memory of no elements: its reorders divide by zero
  if (input.dim() == 0) return scope.output(relu(input.reshape({1})).reshape({}));  // oneDNN describes no 0-d memory
  const Tensor x = onednn::dense(input.detach());
  const dnnl::memory::desc layout = onednn::layout_of(x);
  const onednn::Held src = onednn::read_as(x, layout);
  onednn::Output y(x.shape(), layout, x);
  const bool nan = kernels::visit_floating(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    return relu_forward(values<T>(src), values<T>(y), count<T>(layout));
  });
  const Tensor out = y.finish();
  if (onednn::known_finite({x}))
    onednn::mark_finite(out);  // as what it is made from (a conv's next decision)
  else if (!nan)
    onednn::mark_nan_free(out);
  return scope.output(detail::record_relu(input, out));
}

}  // namespace nabla

// ---- piecewise activations: PyTorch's CPU formulas value by value, in the input's layout

namespace nabla {
namespace {

// y = f(x) and dx = df(x, g) over every value, PyTorch's scalar formulas, so that NaN, the infinities and the kinks
// (hardswish at ±3, leaky_relu with slope 0 at -inf, hardtanh's backward at NaN) come out as in PyTorch, where
// oneDNN's eltwise kernels differ. The values stay in the input's layout when f(0) = 0 and df(0, 0) = 0 (a
// blocked layout's padding stays zero); else they are read plain. keeps_finite: f maps finite values to finite ones,
// so a finite input's mark travels to the output (the next conv's fusion decision then needs no scan).
template <class Forward, class Backward>
Tensor pointwise(const Tensor& input, const char* node, bool keeps_finite, Forward f, Backward df) {
  kernels::check_floating(input, node);
  if (input.numel() == 0) return input * 1.0;
  if (input.dim() == 0)  // oneDNN describes no 0-d memory
    return pointwise(input.reshape({1}), node, keeps_finite, f, df).reshape({});
  // T is float, or BFloat16 under autocast: computed in float, rounded once (PyTorch's bfloat16 CPU kernels).
  const auto map = [](const auto* in, auto* out, int64_t n, auto&& fn) {
#pragma omp parallel for simd if (n > (1 << 16))
    for (int64_t i = 0; i < n; ++i) kernels::store(out[i], fn(kernels::load(in[i])));
  };
  const bool keeps_zero = f(0.f) == 0.f && df(0.f, 0.f) == 0.f;
  const Tensor x = keeps_zero ? onednn::dense(input.detach()) : input.detach().contiguous();
  const dnnl::memory::desc layout = onednn::layout_of(x);
  const onednn::Held src = onednn::read_as(x, layout);
  onednn::Output out(x.shape(), layout, x);
  kernels::visit_floating(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    map(values<T>(src), values<T>(out), count<T>(layout), f);
  });
  const Tensor y = out.finish();
  if (keeps_finite && onednn::known_finite({x})) onednn::mark_finite(y);
  return autograd::record(
      node, y, {input},
      [x, df](const Tensor& grad, const autograd::Needs&) {
        const dnnl::memory::desc layout = onednn::layout_of(x);
        const onednn::Held xs = onednn::read_as(x, layout), g = onednn::read_as(onednn::dense(grad), layout);
        onednn::Output gx(x.shape(), layout, x);
        kernels::visit_floating(x.dtype(), [&](auto zero) {
          using T = decltype(zero);
          const auto *xv = values<T>(xs), *gv = values<T>(g);
          auto* dx = values<T>(gx);
          const int64_t n = count<T>(layout);
#pragma omp parallel for simd if (n > (1 << 16))
          for (int64_t i = 0; i < n; ++i) kernels::store(dx[i], df(kernels::load(xv[i]), kernels::load(gv[i])));
        });
        return autograd::Grads{gx.finish()};
      },
      autograd::Saves::Inputs);
}

// NaN-propagating min and max (std::min and std::max return their first argument for NaN, whichever it is).
float max_nan(float a, float b) { return a != a || a > b ? a : b; }
float min_nan(float a, float b) { return a != a || a < b ? a : b; }

}  // namespace

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  trace::Scope scope("leaky_relu", {x}, [&] { return trace::Attributes{{"negative_slope", negative_slope}}; });
  const auto slope = static_cast<float>(negative_slope);
  return scope.output(pointwise(
      x, "LeakyReluBackward0", std::fabs(slope) <= 1.f, [slope](float v) { return v > 0.f ? v : v * slope; },
      [slope](float v, float g) { return v > 0.f ? g : g * slope; }));
}

Tensor elu(const Tensor& x, double alpha) {
  trace::Scope scope("elu", {x}, [&] { return trace::Attributes{{"alpha", alpha}}; });
  const auto a = static_cast<float>(alpha);
  return scope.output(pointwise(
      x, "EluBackward0", std::isfinite(a), [a](float v) { return v <= 0.f ? std::expm1(v) * a : v; },
      [a](float v, float g) { return v <= 0.f ? g * a * std::exp(v) : g; }));
}

Tensor hardtanh(const Tensor& x, double min_val, double max_val) {
  trace::Scope scope("hardtanh", {x}, [&] { return trace::Attributes{{"min_val", min_val}, {"max_val", max_val}}; });
  NABLA_CHECK(max_val >= min_val, "hardtanh: max_val (", max_val, ") must be at least min_val (", min_val, ")");
  const auto lo = static_cast<float>(min_val), hi = static_cast<float>(max_val);
  return scope.output(pointwise(
      x, "HardtanhBackward0", std::isfinite(lo) && std::isfinite(hi),
      [lo, hi](float v) { return min_nan(max_nan(v, lo), hi); },
      [lo, hi](float v, float g) { return v <= lo || v >= hi ? 0.f : g; }));
}

Tensor hardswish(const Tensor& x) {
  trace::Scope scope("hardswish", {x});
  return scope.output(pointwise(
      x, "HardswishBackward0", true, [](float v) { return v * min_nan(max_nan(v + 3.f, 0.f), 6.f) / 6.f; },
      [](float v, float g) { return v < -3.f   ? 0.f
                                    : v <= 3.f ? g * (v / 3.f + 0.5f)
                                               : g; }));
}

Tensor hardsigmoid(const Tensor& x) {
  trace::Scope scope("hardsigmoid", {x});
  return scope.output(pointwise(
      x, "HardsigmoidBackward0", true, [](float v) { return min_nan(max_nan(v + 3.f, 0.f), 6.f) / 6.f; },
      [](float v, float g) { return v > -3.f && v < 3.f ? g / 6.f : 0.f; }));
}

Tensor mish(const Tensor& x) {
  trace::Scope scope("mish", {x});
  return scope.output(pointwise(
      x, "MishBackward0", true, [](float v) { return v * std::tanh(std::log1p(std::exp(v))); },
      [](float v, float g) {
        const float t = std::tanh(std::log1p(std::exp(v))), s = 1.f / (1.f + std::exp(-v));
        return g * (t + v * s * (1.f - t * t));
      }));
}

}  // namespace nabla

// ---- the other activations: oneDNN's eltwise primitives, in the input's layout

namespace nabla {
namespace {

onednn::Recipe<dnnl::eltwise_forward, dnnl::eltwise_backward> eltwise_recipe("eltwise");

int64_t bits_of(float v) { return std::bit_cast<uint32_t>(v); }

// oneDNN's eltwise `algorithm` (with its alpha and beta) over input, in input's layout, recording `node`, whose
// backward reads the input.
Tensor eltwise(const Tensor& input, dnnl::algorithm algorithm, float alpha, float beta, const char* node) {
  kernels::check_floating(input, node);  // bfloat16 too: the layout carries the dtype
  if (input.numel() == 0) return input * 1.0;
  if (input.dim() == 0)  // oneDNN describes no 0-d memory
    return eltwise(input.reshape({1}), algorithm, alpha, beta, node).reshape({});
  const Tensor x = onednn::dense(input.detach());
  const dnnl::memory::desc layout = onednn::layout_of(x);
  const bool training = autograd::needs_graph({input});
  onednn::Key key("eltwise");
  key << static_cast<int64_t>(algorithm) << layout << bits_of(alpha) << bits_of(beta);
  const auto prims = eltwise_recipe.get(key);
  onednn::Args forward(prims->forward(training, [&](dnnl::prop_kind kind) {
    return dnnl::eltwise_forward::desc(kind, algorithm, layout, alpha, beta);
  }));
  forward.in(DNNL_ARG_SRC, x).out(DNNL_ARG_DST, x.shape(), x).run();
  const Tensor y = forward.result(DNNL_ARG_DST);
  if (onednn::known_finite({x})) onednn::mark_finite(y);  // these functions map finite values to finite ones
  return autograd::record(
      node, y, {input},
      [prims, x, algorithm, alpha, beta](const Tensor& g, const autograd::Needs&) {
        onednn::Args backward(prims->backward<0>([&](const auto& hint) {
          return dnnl::eltwise_backward::desc(algorithm, hint.dst_desc(), hint.src_desc(), alpha, beta);
        }));
        backward.in(DNNL_ARG_SRC, x).in(DNNL_ARG_DIFF_DST, onednn::dense(g)).out(DNNL_ARG_DIFF_SRC, x.shape(), x).run();
        return autograd::Grads{backward.result(DNNL_ARG_DIFF_SRC)};
      },
      autograd::Saves::Inputs);
}

}  // namespace
}  // namespace nabla

namespace nabla {

using Alg = dnnl::algorithm;

Tensor selu(const Tensor& x) {
  trace::Scope scope("selu", {x});
  constexpr double kAlpha = 1.6732632423543772848170429916717, kScale = 1.0507009873554804934193349852946;
  return scope.output(elu(x, kAlpha) * kScale);
}

Tensor celu(const Tensor& x, double alpha) {
  trace::Scope scope("celu", {x}, [&] { return trace::Attributes{{"alpha", alpha}}; });
  NABLA_CHECK(alpha != 0, "celu: ZeroDivisionError: alpha cannot be 0");
  return scope.output(elu(x * (1.0 / alpha), 1.0) * alpha);
}

Tensor gelu(const Tensor& x, const std::string& approximate) {
  trace::Scope scope("gelu", {x}, [&] { return trace::Attributes{{"approximate", approximate}}; });
  NABLA_CHECK(approximate == "none" || approximate == "tanh",
              "gelu: approximate argument must be either none or tanh, ", "got '", approximate, "'");
  return scope.output(
      eltwise(x, approximate == "tanh" ? Alg::eltwise_gelu_tanh : Alg::eltwise_gelu_erf, 0.f, 0.f, "GeluBackward0"));
}

Tensor silu(const Tensor& x) {
  trace::Scope scope("silu", {x});
  return scope.output(eltwise(x, Alg::eltwise_swish, 1.f, 0.f, "SiluBackward0"));
}
Tensor logsigmoid(const Tensor& x) {
  trace::Scope scope("logsigmoid", {x});
  return scope.output(eltwise(x, Alg::eltwise_logsigmoid, 0.f, 0.f, "LogSigmoidBackward0"));
}

Tensor relu6(const Tensor& x) { return hardtanh(x, 0.0, 6.0); }

Tensor softplus(const Tensor& x, double beta, double threshold) {
  trace::Scope scope("softplus", {x}, [&] { return trace::Attributes{{"beta", beta}, {"threshold", threshold}}; });
  const Tensor scaled = x * beta;
  const Tensor soft = eltwise(scaled, Alg::eltwise_soft_relu, 0.f, 0.f, "SoftplusBackward0") * (1.0 / beta);
  return scope.output(where(scaled > threshold, x, soft));
}

Tensor softsign(const Tensor& x) {
  trace::Scope scope("softsign", {x});
  return scope.output(x / (abs(x) + 1.0));
}

Tensor prelu(const Tensor& x, const Tensor& weight) {
  trace::Scope scope("prelu", {x, weight});
  kernels::check_float(x, "prelu");
  const int64_t channels = x.dim() >= 2 ? x.size(1) : 1;  // a 1-D input is one channel, as in PyTorch
  NABLA_CHECK(weight.defined() && weight.dim() <= 1, "prelu: weight must be a vector (num_parameters)");
  NABLA_CHECK(weight.numel() == 1 || weight.numel() == channels,
              "prelu: Mismatch in parameter numbers and input channel size. Found parameter numbers = ", weight.numel(),
              " and channel size = ", channels, ".");
  Shape shape(static_cast<size_t>(x.dim()), 1);
  if (weight.numel() > 1) shape[1] = channels;
  return scope.output(where(x > 0.0, x, x * weight.reshape(shape)));
}

Tensor softmin(const Tensor& x, int64_t dim) { return softmax(-x, dim); }

}  // namespace nabla
