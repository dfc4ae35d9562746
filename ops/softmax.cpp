// softmax and log_softmax on oneDNN's softmax_v2 primitives; the backward uses the forward's pd as
// its hint and needs only the forward output.
#include "nabla/ops/softmax.hpp"
#include "nabla/core/trace.hpp"

#include <array>
#include <cmath>

#include "nabla/autograd/node.hpp"
#include "nabla/core/factory.hpp"
#include "ops/kernels.h"
#include "ops/onednn.h"

namespace nabla {
namespace {

onednn::Recipe<dnnl::softmax_v2_forward, dnnl::softmax_v2_backward> softmax_recipe("softmax");

// The training forward over a contiguous x (the backward's hint: built by whichever pass comes first, since a
// forward over non-finite input runs without oneDNN).
const onednn::Built<dnnl::softmax_v2_forward>& forward_of(decltype(softmax_recipe)::Entry& prims,
                                                          dnnl::algorithm algorithm, const Tensor& x, int axis) {
  const auto md = onednn::desc_of(x);
  return prims.forward(
      true, [&](dnnl::prop_kind kind) { return dnnl::softmax_v2_forward::desc(kind, algorithm, md, md, axis); });
}

// PyTorch's (log_)softmax along the middle axis of a contiguous (outer, n, inner) array, for inputs holding NaN
// or ±inf: the row's max propagates NaN (oneDNN's skips it), so a row with NaN or +inf, or only -inf, is NaN.
void softmax_plain(const float* x, float* y, int64_t outer, int64_t n, int64_t inner, bool log) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const auto at = [&](int64_t k) { return (o * n + k) * inner + i; };
      float m = -INFINITY;
      for (int64_t k = 0; k < n && !std::isnan(m); ++k) m = std::isnan(x[at(k)]) || x[at(k)] > m ? x[at(k)] : m;
      double sum = 0;
      for (int64_t k = 0; k < n; ++k) sum += std::exp(static_cast<double>(x[at(k)] - m));
      for (int64_t k = 0; k < n; ++k)
        y[at(k)] = log ? static_cast<float>(x[at(k)] - m - std::log(sum))
                       : static_cast<float>(std::exp(static_cast<double>(x[at(k)] - m)) / sum);
    }
}

// The backward of softmax_plain from its output y, for outputs holding NaN (oneDNN's exp would drop it):
// softmax dx = y · (dy - Σ dy·y), log_softmax dx = dy - exp(y) · Σ dy.
void softmax_backward_plain(const float* y, const float* dy, float* dx, int64_t outer, int64_t n, int64_t inner,
                            bool log) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const auto at = [&](int64_t k) { return (o * n + k) * inner + i; };
      double sum = 0;
      for (int64_t k = 0; k < n; ++k) sum += log ? dy[at(k)] : static_cast<double>(dy[at(k)]) * y[at(k)];
      for (int64_t k = 0; k < n; ++k)
        dx[at(k)] = log ? static_cast<float>(dy[at(k)] - std::exp(static_cast<double>(y[at(k)])) * sum)
                        : static_cast<float>(y[at(k)] * (dy[at(k)] - sum));
    }
}

// (outer, n, inner) of a contiguous tensor along `axis`.
std::array<int64_t, 3> rows_of(const Shape& s, int axis) {
  return {numel(Shape(s.begin(), s.begin() + axis)), s[axis], numel(Shape(s.begin() + axis + 1, s.end()))};
}

Tensor softmax_family(const char* op, const char* node, dnnl::algorithm algorithm, const Tensor& input, int64_t dim) {
  if (input.defined() && input.is_quantized())  // a quantized model's logits: softmax of the values they stand for
    return softmax_family(op, node, algorithm, input.dequantize(), dim);
  kernels::check_floating(input, op);
  if (input.dtype() == kBFloat16)  // in float32, rounded once: PyTorch's bfloat16 kernel (logits are small)
    return softmax_family(op, node, algorithm, input.to(kFloat32), dim).to(kBFloat16);
  const int axis = static_cast<int>(wrap_dim(dim, input.dim(), op));
  const Tensor x = input.dim() == 0 ? input.detach().reshape({1}) : input.detach().contiguous();
  Tensor y = empty(x.shape());
  const bool log = algorithm == dnnl::algorithm::softmax_log;
  onednn::Key key("softmax");
  key << static_cast<int64_t>(algorithm) << onednn::desc_of(x) << axis;
  const auto prims = softmax_recipe.get(key);
  if (onednn::has_non_finite(x)) {
    const auto [outer, n, inner] = rows_of(x.shape(), axis);
    softmax_plain(x.const_data_ptr<float>(), y.data_ptr<float>(), outer, n, inner, log);
  } else if (x.numel() > 0) {
    onednn::Args args(forward_of(*prims, algorithm, x, axis));
    args.in(DNNL_ARG_SRC, x).plain(DNNL_ARG_DST, y).run();
  }
  y = y.reshape(input.shape());
  return autograd::record(node, y, {input}, [prims, y, algorithm, axis, log](const Tensor& g, const autograd::Needs&) {
    const Tensor out = y.dim() == 0 ? y.reshape({1}) : y;
    const Tensor dy = g.reshape(out.shape()).contiguous();
    Tensor dx = empty(out.shape());
    if (onednn::has_nan(out)) {
      const auto [outer, n, inner] = rows_of(out.shape(), axis);
      softmax_backward_plain(out.const_data_ptr<float>(), dy.const_data_ptr<float>(), dx.data_ptr<float>(), outer, n,
                             inner, log);
    } else if (out.numel() > 0) {
      forward_of(*prims, algorithm, out, axis);
      onednn::Args args(prims->backward<0>([&](const auto& hint) {
        return dnnl::softmax_v2_backward::desc(algorithm, hint.dst_desc(), hint.dst_desc(), hint.dst_desc(), axis);
      }));
      args.in(DNNL_ARG_DST, out).in(DNNL_ARG_DIFF_DST, dy).plain(DNNL_ARG_DIFF_SRC, dx).run();
    }
    return autograd::Grads{dx.reshape(g.shape())};
  });
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) {
  trace::Scope scope("softmax", {x}, [&] { return trace::Attributes{{"dim", dim}}; });
  return scope.output(softmax_family("softmax", "SoftmaxBackward0", dnnl::algorithm::softmax_accurate, x, dim));
}

Tensor log_softmax(const Tensor& x, int64_t dim) {
  trace::Scope scope("log_softmax", {x}, [&] { return trace::Attributes{{"dim", dim}}; });
  return scope.output(softmax_family("log_softmax", "LogSoftmaxBackward0", dnnl::algorithm::softmax_log, x, dim));
}

Tensor Tensor::softmax(int64_t dim) const { return nabla::softmax(*this, dim); }
Tensor Tensor::log_softmax(int64_t dim) const { return nabla::log_softmax(*this, dim); }

}  // namespace nabla
