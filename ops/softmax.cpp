// softmax and log_softmax on oneDNN's softmax_v2 primitives; the backward uses the forward's pd as
// its hint and needs only the forward output.
#include "nabla/ops/softmax.hpp"

#include <array>
#include <cmath>

#include "nabla/autograd/node.hpp"
#include "nabla/core/factory.hpp"
#include "ops/kernels.h"
#include "ops/onednn.h"

namespace nabla {
namespace {

struct SoftmaxPrimitives {
  dnnl::softmax_v2_forward::primitive_desc forward_pd;
  dnnl::softmax_v2_forward forward;
  dnnl::softmax_v2_backward backward;
};
onednn::Cache<SoftmaxPrimitives> softmax_cache;

std::shared_ptr<SoftmaxPrimitives> primitives(dnnl::algorithm algorithm, const Tensor& x, int axis) {
  onednn::Key key("softmax");
  key << static_cast<int64_t>(algorithm) << x.shape() << axis;
  return softmax_cache.get(key, [&] {
    const auto md = onednn::desc_of(x);
    const dnnl::softmax_v2_forward::primitive_desc fwd(
        {dnnl::prop_kind::forward_training, algorithm, md, md, axis}, onednn::engine());
    const dnnl::softmax_v2_backward::primitive_desc bwd({algorithm, md, md, md, axis}, onednn::engine(), fwd);
    onednn::note_created("softmax forward", key.str(), fwd);
    onednn::note_created("softmax backward", key.str(), bwd);
    return SoftmaxPrimitives{fwd, dnnl::softmax_v2_forward(fwd), dnnl::softmax_v2_backward(bwd)};
  });
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
  kernels::check_float(input, op);
  const int axis = static_cast<int>(wrap_dim(dim, input.dim(), op));
  const Tensor x = input.dim() == 0 ? input.detach().reshape({1}) : input.detach().contiguous();
  Tensor y = empty(x.shape());
  const bool log = algorithm == dnnl::algorithm::softmax_log;
  if (onednn::has_non_finite(x)) {
    const auto [outer, n, inner] = rows_of(x.shape(), axis);
    softmax_plain(read_ptr<float>(x), y.data_ptr<float>(), outer, n, inner, log);
  } else if (x.numel() > 0) {
    const auto p = primitives(algorithm, x, axis);
    onednn::execute(p->forward, {{DNNL_ARG_SRC, onednn::memory_of(x)}, {DNNL_ARG_DST, onednn::memory_of(y)}});
  }
  y = y.reshape(input.shape());
  return autograd::record(node, y, {input}, [y, algorithm, axis, log](const Tensor& g, const autograd::Needs&) {
    const Tensor out = y.dim() == 0 ? y.reshape({1}) : y;
    const Tensor dy = g.reshape(out.shape()).contiguous();
    Tensor dx = empty(out.shape());
    if (onednn::has_nan(out)) {
      const auto [outer, n, inner] = rows_of(out.shape(), axis);
      softmax_backward_plain(read_ptr<float>(out), read_ptr<float>(dy), dx.data_ptr<float>(), outer, n, inner, log);
    } else if (out.numel() > 0) {
      const auto p = primitives(algorithm, out, axis);
      onednn::execute(p->backward, {{DNNL_ARG_DST, onednn::memory_of(out)},
                                    {DNNL_ARG_DIFF_DST, onednn::memory_of(dy)},
                                    {DNNL_ARG_DIFF_SRC, onednn::memory_of(dx)}});
    }
    return autograd::Grads{dx.reshape(g.shape())};
  });
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) {
  return softmax_family("softmax", "SoftmaxBackward0", dnnl::algorithm::softmax_accurate, x, dim);
}

Tensor log_softmax(const Tensor& x, int64_t dim) {
  return softmax_family("log_softmax", "LogSoftmaxBackward0", dnnl::algorithm::softmax_log, x, dim);
}

Tensor Tensor::softmax(int64_t dim) const { return nabla::softmax(*this, dim); }
Tensor Tensor::log_softmax(int64_t dim) const { return nabla::log_softmax(*this, dim); }

}  // namespace nabla
