// softmax and log_softmax on oneDNN's softmax_v2 primitives; the backward uses the forward's pd as
// its hint and needs only the forward output.
#include "nabla/ops/softmax.hpp"

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

SoftmaxPrimitives& primitives(dnnl::algorithm algorithm, const Tensor& x, int axis) {
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

Tensor softmax_family(const char* op, const char* node, dnnl::algorithm algorithm, const Tensor& input, int64_t dim) {
  kernels::check_float(input, op);
  const int axis = static_cast<int>(wrap_dim(dim, input.dim(), op));
  const Tensor x = input.dim() == 0 ? input.detach().reshape({1}) : input.detach().contiguous();
  Tensor y = empty(x.shape());
  if (x.numel() > 0) {
    auto& p = primitives(algorithm, x, axis);
    onednn::execute(p.forward, {{DNNL_ARG_SRC, onednn::memory_of(x)}, {DNNL_ARG_DST, onednn::memory_of(y)}});
  }
  y = y.reshape(input.shape());
  return autograd::record(node, y, {input}, [y, algorithm, axis](const Tensor& g, const autograd::Needs&) {
    const Tensor out = y.dim() == 0 ? y.reshape({1}) : y;
    const Tensor dy = g.reshape(out.shape()).contiguous();
    Tensor dx = empty(out.shape());
    if (out.numel() > 0) {
      auto& p = primitives(algorithm, out, axis);
      onednn::execute(p.backward, {{DNNL_ARG_DST, onednn::memory_of(out)},
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
