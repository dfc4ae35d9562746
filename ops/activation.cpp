// Activations. ReLU on the values where they lie: a conv's blocked output (a native copy, ops/onednn.h) is read and
// written in its own layout, so a ReLU between two oneDNN ops costs no reorder. It is one vectorised pass
// of our own, not oneDNN's eltwise primitive, whose ReLU turns NaN into 0 where PyTorch's keeps it.
#include "nabla/ops/activation.hpp"

#include <bit>

#include "nabla/autograd/node.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/softmax.hpp"
#include "ops/activation.h"
#include "ops/kernels.h"
#include "ops/onednn.h"

namespace nabla {
namespace {

// y = relu(x) over n floats (a blocked layout's padding included: zeros stay zeros); returns whether a NaN
// went through.
bool relu_forward(const float* x, float* y, int64_t n) {
  int nan = 0;
#pragma omp parallel for simd reduction(| : nan) if (n > (1 << 16))
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    nan |= v != v;
    y[i] = v <= 0.f ? 0.f : v;  // NaN compares false: it stays NaN
  }
  return nan != 0;
}

// PyTorch's threshold_backward: the gradient passes where the output is not <= 0 (positive, or NaN).
void relu_backward(const float* y, const float* g, float* gx, int64_t n) {
#pragma omp parallel for simd if (n > (1 << 16))
  for (int64_t i = 0; i < n; ++i) gx[i] = y[i] <= 0.f ? 0.f : g[i];
}

float* floats(const dnnl::memory& m) { return static_cast<float*>(m.get_data_handle()); }
int64_t count(const dnnl::memory::desc& md) { return static_cast<int64_t>(md.get_size() / sizeof(float)); }

}  // namespace

Tensor detail::record_relu(const Tensor& input, const Tensor& output) {
  return autograd::record(
      "ReluBackward0", output, {input},
      [output](const Tensor& grad, const autograd::Needs&) {
        const dnnl::memory::desc layout = onednn::layout_of(output);
        Tensor y_keep, grad_keep;
        const dnnl::memory y = onednn::read_as(output, layout, y_keep);
        const dnnl::memory g = onednn::read_as(onednn::dense(grad), layout, grad_keep);
        onednn::Output gx(output.shape(), layout, output);
        relu_backward(floats(y), floats(g), floats(gx.memory()), count(layout));
        return autograd::Grads{gx.finish()};
      },
      autograd::Saves::Output);
}

Tensor relu(const Tensor& input) {
  kernels::check_float(input, "relu");
  const Tensor x = onednn::dense(input.detach());
  const dnnl::memory::desc layout = onednn::layout_of(x);
  Tensor x_keep;
  const dnnl::memory src = onednn::read_as(x, layout, x_keep);
  onednn::Output y(x.shape(), layout, x);
  const bool nan = relu_forward(floats(src), floats(y.memory()), count(layout));
  const Tensor out = y.finish();
  if (!nan) onednn::mark_nan_free(out);
  return detail::record_relu(input, out);
}

}  // namespace nabla

// ---- the other activations: oneDNN's eltwise primitives, in the input's layout

namespace nabla {
namespace {

struct EltwisePrimitives {
  using Forward = std::pair<dnnl::eltwise_forward::primitive_desc, dnnl::eltwise_forward>;
  using Backward = std::pair<dnnl::eltwise_backward::primitive_desc, dnnl::eltwise_backward>;
  onednn::Lazy<Forward> forward;
  onednn::Lazy<Backward> backward;
};
onednn::Cache<EltwisePrimitives> eltwise_cache;

int64_t bits_of(float v) { return std::bit_cast<uint32_t>(v); }

}  // namespace

Tensor detail::eltwise(const Tensor& input, dnnl::algorithm algorithm, float alpha, float beta, const char* node,
                       bool backward_from_output) {
  kernels::check_float(input, node);
  if (input.numel() == 0) return input * 1.0;
  const Tensor x = onednn::dense(input.detach());
  const dnnl::memory::desc layout = onednn::layout_of(x);
  const bool graph = autograd::needs_graph({input});
  const auto kind = graph ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  onednn::Key key("eltwise");
  key << static_cast<int64_t>(algorithm) << static_cast<int64_t>(kind) << layout << bits_of(alpha) << bits_of(beta);
  const auto prims = eltwise_cache.get(key, [] { return EltwisePrimitives{}; });
  const auto& [pd, primitive] = prims->forward.get([&] {
    const dnnl::eltwise_forward::primitive_desc pd({kind, algorithm, layout, alpha, beta}, onednn::engine());
    onednn::note_created(node, key.str(), pd);
    return EltwisePrimitives::Forward{pd, dnnl::eltwise_forward(pd)};
  });
  Tensor x_keep;
  onednn::Output y(x.shape(), pd.dst_desc(), x);
  onednn::execute(primitive, {{DNNL_ARG_SRC, onednn::read_as(x, layout, x_keep)}, {DNNL_ARG_DST, y.memory()}});
  const Tensor out = y.finish();
  return autograd::record(
      node, out, {input},
      [prims, &hint = pd, saved = backward_from_output ? out : x, algorithm, alpha, beta, backward_from_output, node](
          const Tensor& g, const autograd::Needs&) {
        const auto& [backward_pd, backward] = prims->backward.get([&] {
          const dnnl::eltwise_backward::primitive_desc pd({algorithm, hint.dst_desc(), hint.src_desc(), alpha, beta},
                                                          onednn::engine(), hint);
          onednn::note_created(node, "backward", pd);
          return EltwisePrimitives::Backward{pd, dnnl::eltwise_backward(pd)};
        });
        Tensor saved_keep, dy_keep;
        onednn::Output dx(saved.shape(), backward_pd.diff_src_desc(), saved);
        onednn::execute(backward,
                        {{backward_from_output ? DNNL_ARG_DST : DNNL_ARG_SRC,
                          onednn::read_as(saved, backward_pd.src_desc(), saved_keep)},
                         {DNNL_ARG_DIFF_DST, onednn::read_as(onednn::dense(g), backward_pd.diff_dst_desc(), dy_keep)},
                         {DNNL_ARG_DIFF_SRC, dx.memory()}});
        return autograd::Grads{dx.finish()};
      },
      backward_from_output ? autograd::Saves::Output : autograd::Saves::Inputs);
}

}  // namespace nabla

namespace nabla {

using Alg = dnnl::algorithm;

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  return detail::eltwise(x, Alg::eltwise_relu, static_cast<float>(negative_slope), 0.f, "LeakyReluBackward0");
}

Tensor elu(const Tensor& x, double alpha) {
  return detail::eltwise(x, Alg::eltwise_elu, static_cast<float>(alpha), 0.f, "EluBackward0");
}

Tensor selu(const Tensor& x) {
  constexpr double kAlpha = 1.6732632423543772848170429916717, kScale = 1.0507009873554804934193349852946;
  return elu(x, kAlpha) * kScale;
}

Tensor celu(const Tensor& x, double alpha) {
  NABLA_CHECK(alpha != 0, "celu: ZeroDivisionError: alpha cannot be 0");
  return elu(x * (1.0 / alpha), 1.0) * alpha;
}

Tensor gelu(const Tensor& x, const std::string& approximate) {
  NABLA_CHECK(approximate == "none" || approximate == "tanh",
              "gelu: approximate argument must be either none or tanh, ", "got '", approximate, "'");
  return detail::eltwise(x, approximate == "tanh" ? Alg::eltwise_gelu_tanh : Alg::eltwise_gelu_erf, 0.f, 0.f,
                         "GeluBackward0");
}

Tensor silu(const Tensor& x) { return detail::eltwise(x, Alg::eltwise_swish, 1.f, 0.f, "SiluBackward0"); }
Tensor mish(const Tensor& x) { return detail::eltwise(x, Alg::eltwise_mish, 0.f, 0.f, "MishBackward0"); }
Tensor hardswish(const Tensor& x) { return detail::eltwise(x, Alg::eltwise_hardswish, 0.f, 0.f, "HardswishBackward0"); }
Tensor logsigmoid(const Tensor& x) {
  return detail::eltwise(x, Alg::eltwise_logsigmoid, 0.f, 0.f, "LogSigmoidBackward0");
}

Tensor hardtanh(const Tensor& x, double min_val, double max_val) {
  NABLA_CHECK(max_val >= min_val, "hardtanh: max_val (", max_val, ") must be at least min_val (", min_val, ")");
  kernels::check_float(x, "hardtanh");
  // oneDNN's clip turns NaN into min_val; PyTorch's keeps it, as clamp does.
  if (x.numel() > 0 && onednn::has_nan(onednn::dense(x.detach()))) return clamp(x, min_val, max_val);
  return detail::eltwise(x, Alg::eltwise_clip_v2, static_cast<float>(min_val), static_cast<float>(max_val),
                         "HardtanhBackward0");
}

Tensor relu6(const Tensor& x) { return hardtanh(x, 0.0, 6.0); }
Tensor hardsigmoid(const Tensor& x) { return hardtanh(x * (1.0 / 6) + 0.5, 0.0, 1.0); }

Tensor softplus(const Tensor& x, double beta, double threshold) {
  const Tensor scaled = x * beta;
  const Tensor soft = detail::eltwise(scaled, Alg::eltwise_soft_relu, 0.f, 0.f, "SoftplusBackward0") * (1.0 / beta);
  return where(scaled > threshold, x, soft);
}

Tensor softsign(const Tensor& x) { return x / (abs(x) + 1.0); }

Tensor prelu(const Tensor& x, const Tensor& weight) {
  kernels::check_float(x, "prelu");
  const int64_t channels = x.dim() >= 2 ? x.size(1) : x.dim() == 1 ? x.size(0) : 1;
  NABLA_CHECK(weight.defined() && weight.dim() <= 1, "prelu: weight must be a vector (num_parameters)");
  NABLA_CHECK(weight.numel() == 1 || weight.numel() == channels,
              "prelu: Mismatch in parameter numbers and input channel size. Found parameter numbers = ", weight.numel(),
              " and channel size = ", channels, ".");
  Shape shape(static_cast<size_t>(x.dim()), 1);
  if (weight.numel() > 1) shape[x.dim() >= 2 ? 1 : 0] = channels;
  return where(x > 0.0, x, x * weight.reshape(shape));
}

Tensor softmin(const Tensor& x, int64_t dim) { return softmax(-x, dim); }

}  // namespace nabla
