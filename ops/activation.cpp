// Activations on oneDNN's eltwise primitive: they run on whatever layout their input has (a conv's
// blocked output stays blocked), each forward with the backward it records right below.
#include <bit>

#include <xtensor/xoperation.hpp>

#include "nabla/autograd/node.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/ops/elementwise.hpp"
#include "ops/activation.h"
#include "ops/kernels.h"
#include "ops/onednn.h"

namespace nabla {
namespace {

// One eltwise function: its algorithm (and alpha, beta) and whether its backward reads the output
// (the *_use_dst_for_bwd algorithms) or the input.
struct Eltwise {
  const char* name;
  const char* backward_name;
  dnnl::algorithm algorithm;
  float alpha = 0.f, beta = 0.f;
  bool backward_uses_output = false;
};

struct EltwisePrimitives {
  dnnl::eltwise_forward::primitive_desc forward_pd;
  dnnl::eltwise_forward forward;
  onednn::Lazy<std::pair<dnnl::eltwise_backward::primitive_desc, dnnl::eltwise_backward>> backward;
};
onednn::Cache<EltwisePrimitives> eltwise_cache;

// Both the forward (training: its pd is the backward's hint) and the backward work on `layout`, the
// input's own, so a blocked tensor is never reordered here; its padded channels stay zero, which is why
// only functions with f(0) = 0 may take this path.
std::shared_ptr<EltwisePrimitives> primitives(const Eltwise& f, const dnnl::memory::desc& layout) {
  onednn::Key key("eltwise");
  key << static_cast<int64_t>(f.algorithm) << std::bit_cast<int32_t>(f.alpha) << std::bit_cast<int32_t>(f.beta)
      << layout;
  return eltwise_cache.get(key, [&] {
    const dnnl::eltwise_forward::primitive_desc pd(
        {dnnl::prop_kind::forward_training, f.algorithm, layout, f.alpha, f.beta}, onednn::engine());
    onednn::note_created(std::string(f.name) + " (eltwise forward)", key.str(), pd);
    return EltwisePrimitives{pd, dnnl::eltwise_forward(pd), {}};
  });
}

// Records f's backward for `out` = f(input), computed in `layout` (the input's and the output's).
Tensor record_eltwise(const Eltwise& f, std::shared_ptr<EltwisePrimitives> prims, const Tensor& input, const Tensor& out,
                      const dnnl::memory::desc& layout) {
  const Tensor saved = f.backward_uses_output ? out : onednn::dense(input.detach());
  return autograd::record(
      f.backward_name, out, {input}, [prims, f, layout, saved](const Tensor& grad, const autograd::Needs&) {
        const auto& [pd, backward] = prims->backward.get([&] {
          const dnnl::eltwise_backward::primitive_desc bwd({f.algorithm, layout, layout, f.alpha, f.beta},
                                                           onednn::engine(), prims->forward_pd);
          onednn::note_created(std::string(f.name) + " (eltwise backward)", "", bwd);
          return std::pair{bwd, dnnl::eltwise_backward(bwd)};
        });
        Tensor saved_keep, grad_keep;
        onednn::Output gx(saved.shape(), pd.diff_src_desc(), saved);
        onednn::execute(backward, {{f.backward_uses_output ? DNNL_ARG_DST : DNNL_ARG_SRC,
                                    onednn::read_as(saved, layout, saved_keep)},
                                   {DNNL_ARG_DIFF_DST, onednn::read_as(onednn::dense(grad), layout, grad_keep)},
                                   {DNNL_ARG_DIFF_SRC, gx.memory()}});
        return autograd::Grads{gx.finish()};
      });
}

Tensor eltwise(const Eltwise& f, const Tensor& input) {
  kernels::check_float(input, f.name);
  if (input.numel() == 0)
    return autograd::record(f.backward_name, empty(input.shape()), {input},
                            [](const Tensor& g, const autograd::Needs&) { return autograd::Grads{g}; });
  const Tensor x = onednn::dense(input.detach());
  const dnnl::memory::desc layout = onednn::layout_of(x);
  const auto prims = primitives(f, layout);
  Tensor x_keep;
  onednn::Output y(x.shape(), layout, x);
  onednn::execute(prims->forward, {{DNNL_ARG_SRC, onednn::read_as(x, layout, x_keep)}, {DNNL_ARG_DST, y.memory()}});
  return record_eltwise(f, prims, input, y.finish(), layout);
}

// oneDNN's relu_use_dst_for_bwd: the same forward as relu, a backward that reads the output, not the input.
const Eltwise kRelu{"relu", "ReluBackward0", dnnl::algorithm::eltwise_relu_use_dst_for_bwd, 0.f, 0.f, true};

// oneDNN's relu maps NaN to 0; PyTorch keeps it (and lets the gradient through where the output is NaN).
// The rare input holding a NaN takes this plain path.
Tensor relu_keeping_nan(const Tensor& x) {
  const Tensor y = kernels::compute<float, float>(x.shape(), kFloat32, [](const auto& v) {
    return xt::where(v > 0.f || xt::isnan(v), v, 0.f);
  }, x.detach());
  return autograd::record("ReluBackward0", y, {x}, [y](const Tensor& g, const autograd::Needs&) {
    return autograd::Grads{kernels::compute<float, float>(g.shape(), kFloat32, [](const auto& gv, const auto& yv) {
      return xt::where(yv > 0.f || xt::isnan(yv), gv, 0.f);
    }, g, y)};
  }, autograd::Saves::Output);
}

}  // namespace

// d relu = 1 where the output is positive.
Tensor relu(const Tensor& x) {
  kernels::check_float(x, "relu");
  if (onednn::has_nan(x)) return relu_keeping_nan(x);
  Tensor y = eltwise(kRelu, x);
  onednn::mark_nan_free(y);
  return y;
}

Tensor detail::record_relu(const Tensor& input, const Tensor& output) {
  if (!autograd::needs_graph({input})) return output;
  const dnnl::memory::desc layout = onednn::layout_of(output);
  return record_eltwise(kRelu, primitives(kRelu, layout), input, output, layout);
}

}  // namespace nabla
