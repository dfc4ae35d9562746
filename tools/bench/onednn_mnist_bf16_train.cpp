// The MNIST network's bfloat16 training step (batch 64) written straight on oneDNN 2.6: the raw twin of
// `mnist_bench --what train --bf16`, the ceiling tools/bench/mnist.py --bf16 measures Nabla's training against
// (dev-time only, no Nabla code). What hand-written mixed-precision training runs, as autocast does: master weights,
// gradients and Adam in float32, each weight converted to bf16 once per step; conv1, conv2, fc1 and fc2 in bf16
// (float32 accumulation) with the ReLUs fused, bf16 activations in the primitives' layouts between them (max
// pooling and dropout on bf16), fc2's logits and the log-softmax + NLL in float32; the backward in bf16 with float32
// weight gradients. Synthetic data (the speed does not depend on the values). Prints the "M,train_imgs_per_s" line
// mnist_reference.py prints.
// Usage: onednn_mnist_bf16_train [--threads N] [--chunks C]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <unordered_map>
#include <vector>

#include "raw_onednn.h"

using namespace dnnl;
using namespace raw;
using dt = memory::data_type;
using tag = memory::format_tag;

namespace {

constexpr memory::dim N = 64;
uint32_t step_seed = 0;

memory::desc any(const memory::dims& d, dt t = dt::bf16) { return memory::desc(d, t, tag::any); }

void run(const primitive& p, const std::unordered_map<int, memory>& args) { p.execute(strm, args); }

float bf16_to_float(uint16_t v) {
  const uint32_t bits = static_cast<uint32_t>(v) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
uint16_t float_to_bf16(float f) {  // round to nearest even (finite values)
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return static_cast<uint16_t>((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
}

// A float32 memory of plain layout filled with small deterministic values.
memory filled(const memory::dims& d, tag t, float scale) {
  memory m({d, dt::f32, t}, eng);
  const size_t n = m.get_desc().get_size() / 4;
  for (size_t i = 0; i < n; ++i)
    static_cast<float*>(m.get_data_handle())[i] = scale * (static_cast<float>((i * 2654435761u) % 1000) / 500.f - 1);
  return m;
}

// Dropout (forward and backward: the same mask, recomputed from a counter hash) on bf16 values in place; with
// `relu_of`, the backward of the fused ReLU too (the gradient kept where relu_of's value is positive).
void dropout_step(const memory& values, float p, uint32_t salt, const memory* relu_of = nullptr) {
  steps.push_back([=] {
    auto* v = static_cast<uint16_t*>(values.get_data_handle());
    const auto* r = relu_of ? static_cast<const uint16_t*>(relu_of->get_data_handle()) : nullptr;
    const auto n = static_cast<int64_t>(values.get_desc().get_size() / 2);
    const float keep = 1.f / (1.f - p);
    const auto threshold = static_cast<uint32_t>(p * 4294967295.0);
#pragma omp parallel for
    for (int64_t i = 0; i < n; ++i) {
      uint32_t h = static_cast<uint32_t>(i) * 2654435761u ^ (step_seed * 40503u + salt);
      h ^= h >> 15;
      h *= 2246822519u;
      h ^= h >> 13;
      const bool kept = h >= threshold && (!r || ((r[i] & 0x8000) == 0 && r[i] != 0));
      v[i] = kept ? float_to_bf16(bf16_to_float(v[i]) * keep) : 0;
    }
  });
}

// The ReLU's backward in place on a bf16 gradient: kept where the (same-layout) output is positive.
void relu_backward_step(const memory& grad, const memory& out) {
  steps.push_back([=] {
    auto* g = static_cast<uint16_t*>(grad.get_data_handle());
    const auto* y = static_cast<const uint16_t*>(out.get_data_handle());
    const auto n = static_cast<int64_t>(grad.get_desc().get_size() / 2);
#pragma omp parallel for
    for (int64_t i = 0; i < n; ++i)
      if ((y[i] & 0x8000) != 0 || y[i] == 0) g[i] = 0;
  });
}

// One trainable layer: float32 master weight and bias (plain), their gradients and Adam moments, the bf16 weight
// the forward reads (converted each step).
struct Param {
  memory weight, bias, grad_w, grad_b;
  std::vector<float> m_w, v_w, m_b, v_b;
  memory bf16_weight;
};

void adam(float* p, const float* g, std::vector<float>& m, std::vector<float>& v, int64_t t) {
  const float lr = 1e-3f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
  const float c1 = 1 - std::pow(b1, static_cast<float>(t)), c2 = 1 - std::pow(b2, static_cast<float>(t));
  const auto n = static_cast<int64_t>(m.size());
#pragma omp parallel for
  for (int64_t i = 0; i < n; ++i) {
    m[i] = b1 * m[i] + (1 - b1) * g[i];
    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
    p[i] -= lr * (m[i] / c1) / (std::sqrt(v[i] / c2) + eps);
  }
}

Param make_param(const memory::dims& w_dims, tag w_tag, memory::dim out) {
  Param p;
  p.weight = filled(w_dims, w_tag, 0.05f);
  p.bias = filled({out}, tag::x, 0.01f);
  const size_t nw = p.weight.get_desc().get_size() / 4;
  p.m_w.assign(nw, 0.f);
  p.v_w.assign(nw, 0.f);
  p.m_b.assign(static_cast<size_t>(out), 0.f);
  p.v_b.assign(static_cast<size_t>(out), 0.f);
  return p;
}

// The bf16 copy of p's weight in layout `want`, converted every step; and p's float32 gradients, reordered into
// the master's plain layout when the backward chose another.
void bind(Param& p, const memory::desc& want) { p.bf16_weight = in_layout(p.weight, want); }
void gradients(Param& p, const memory& grad_w, const memory& grad_b) {
  p.grad_w = in_layout(grad_w, p.weight.get_desc());
  p.grad_b = grad_b;
}

// A linear layer's backward: the gradient of its input (in src's layout, as the ops before it read it) and, into
// p, the float32 weight and bias gradients.
memory linear_backward(Param& p, const inner_product_forward::primitive_desc& fwd, const memory& src,
                       const memory& diff_dst) {
  const memory::dims w_dims = p.weight.get_desc().dims();
  const memory::dim out = w_dims[0];
  const inner_product_backward_data::primitive_desc data({src.get_desc(), fwd.weights_desc(), diff_dst.get_desc()}, eng,
                                                         fwd);
  const inner_product_backward_weights::primitive_desc weights(
      {src.get_desc(), memory::desc(w_dims, dt::f32, tag::any), memory::desc({out}, dt::f32, tag::x),
       diff_dst.get_desc()},
      eng, fwd);
  const memory diff_src(data.diff_src_desc(), eng), dw(weights.diff_weights_desc(), eng),
      db(weights.diff_bias_desc(), eng);
  const inner_product_backward_data data_p(data);
  const inner_product_backward_weights weights_p(weights);
  const memory w = p.bf16_weight;
  steps.push_back([=] {
    run(data_p, {{DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, diff_src}});
    run(weights_p,
        {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, diff_dst}, {DNNL_ARG_DIFF_WEIGHTS, dw}, {DNNL_ARG_DIFF_BIAS, db}});
  });
  gradients(p, dw, db);
  return diff_src;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, chunks = 7;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--chunks")) chunks = std::atoi(argv[i + 1]);
  }
  omp_set_num_threads(threads);
  const memory::dims xd{N, 1, 28, 28}, c1d{N, 32, 26, 26}, c2d{N, 64, 24, 24}, pd{N, 64, 12, 12}, h1d{N, 128},
      od{N, 10};
  const memory::dims s1{1, 1}, p0{0, 0}, k2{2, 2};
  Param conv1 = make_param({32, 1, 3, 3}, tag::oihw, 32), conv2 = make_param({64, 32, 3, 3}, tag::oihw, 64);
  Param fc1 = make_param({128, 64, 12, 12}, tag::oihw, 128), fc2 = make_param({10, 128}, tag::oi, 10);
  const memory images = filled(xd, tag::nchw, 1.f);
  const auto pk = prop_kind::forward_training;
  const auto bias_md = [](memory::dim n) { return memory::desc({n}, dt::f32, tag::x); };

  // ---- forward
  const convolution_forward::primitive_desc c1f(
      {pk, algorithm::convolution_direct, any(xd), any({32, 1, 3, 3}), bias_md(32), any(c1d), s1, p0, p0},
      relu_post_op(), eng);
  const convolution_forward::primitive_desc c2f(
      {pk, algorithm::convolution_direct, c1f.dst_desc(), any({64, 32, 3, 3}), bias_md(64), any(c2d), s1, p0, p0},
      relu_post_op(), eng);
  const pooling_forward::primitive_desc plf({pk, algorithm::pooling_max, c2f.dst_desc(), any(pd), k2, k2, p0, p0}, eng);
  const inner_product_forward::primitive_desc f1f({pk, plf.dst_desc(), any({128, 64, 12, 12}), bias_md(128), any(h1d)},
                                                  relu_post_op(), eng);
  const inner_product_forward::primitive_desc f2f(
      {pk, f1f.dst_desc(), any({10, 128}), bias_md(10), memory::desc(od, dt::f32, tag::nc)}, eng);
  for (auto [p, want] : {std::pair{&conv1, c1f.weights_desc()},
                         {&conv2, c2f.weights_desc()},
                         {&fc1, f1f.weights_desc()},
                         {&fc2, f2f.weights_desc()}})
    bind(*p, want);
  const memory x = in_layout(images, c1f.src_desc());
  const memory c1(c1f.dst_desc(), eng), c2(c2f.dst_desc(), eng), pooled(plf.dst_desc(), eng),
      pool_ws(plf.workspace_desc(), eng), h1(f1f.dst_desc(), eng), logits(f2f.dst_desc(), eng);
  const convolution_forward c1p(c1f), c2p(c2f);
  const pooling_forward plp(plf);
  const inner_product_forward f1p(f1f), f2p(f2f);
  // The layers' Params live as long as main: the steps read them by reference (their Adam moments are large).
  steps.push_back([=, &conv1, &conv2] {
    run(c1p,
        {{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, conv1.bf16_weight}, {DNNL_ARG_BIAS, conv1.bias}, {DNNL_ARG_DST, c1}});
    run(c2p,
        {{DNNL_ARG_SRC, c1}, {DNNL_ARG_WEIGHTS, conv2.bf16_weight}, {DNNL_ARG_BIAS, conv2.bias}, {DNNL_ARG_DST, c2}});
    run(plp, {{DNNL_ARG_SRC, c2}, {DNNL_ARG_DST, pooled}, {DNNL_ARG_WORKSPACE, pool_ws}});
  });
  dropout_step(pooled, 0.25f, 1);
  steps.push_back([=, &fc1] {
    run(f1p,
        {{DNNL_ARG_SRC, pooled}, {DNNL_ARG_WEIGHTS, fc1.bf16_weight}, {DNNL_ARG_BIAS, fc1.bias}, {DNNL_ARG_DST, h1}});
  });
  dropout_step(h1, 0.5f, 2);
  steps.push_back([=, &fc2] {
    run(f2p,
        {{DNNL_ARG_SRC, h1}, {DNNL_ARG_WEIGHTS, fc2.bf16_weight}, {DNNL_ARG_BIAS, fc2.bias}, {DNNL_ARG_DST, logits}});
  });
  // log-softmax + NLL (mean) in float32: the logits' gradient, softmax - one-hot, over N; then in bf16.
  const memory dlogits_f32(logits.get_desc(), eng);
  steps.push_back([=] {
    const auto* z = static_cast<const float*>(logits.get_data_handle());
    auto* d = static_cast<float*>(dlogits_f32.get_data_handle());
    for (memory::dim i = 0; i < N; ++i) {
      const float* row = z + i * 10;
      const float top = *std::max_element(row, row + 10);
      float sum = 0;
      for (int k = 0; k < 10; ++k) sum += std::exp(row[k] - top);
      for (int k = 0; k < 10; ++k)
        d[i * 10 + k] = (std::exp(row[k] - top) / sum - (k == static_cast<int>(i % 10) ? 1.f : 0.f)) / N;
    }
  });

  // ---- backward
  const memory dlogits = in_layout(dlogits_f32, memory::desc(od, dt::bf16, tag::nc));
  const memory dh1 = linear_backward(fc2, f2f, h1, dlogits);
  dropout_step(dh1, 0.5f, 2, &h1);  // dropout's and the fused ReLU's backward
  const memory dpooled = linear_backward(fc1, f1f, pooled, dh1);
  dropout_step(dpooled, 0.25f, 1);

  const pooling_backward::primitive_desc plb({algorithm::pooling_max, c2f.dst_desc(), plf.dst_desc(), k2, k2, p0, p0},
                                             eng, plf);
  const memory dc2(plb.diff_src_desc(), eng);
  const pooling_backward plbp(plb);
  steps.push_back([=] {
    run(plbp, {{DNNL_ARG_DIFF_DST, dpooled}, {DNNL_ARG_WORKSPACE, pool_ws}, {DNNL_ARG_DIFF_SRC, dc2}});
  });
  relu_backward_step(dc2, c2);

  // The backward data pass wants its own weight layout (given the forward's, oneDNN falls back to its reference
  // kernel): one more bf16 copy per step.
  const convolution_backward_data::primitive_desc c2bd(
      {algorithm::convolution_direct, c1f.dst_desc(), any({64, 32, 3, 3}), c2f.dst_desc(), s1, p0, p0}, eng, c2f);
  const memory conv2_bwd_weight = in_layout(conv2.bf16_weight, c2bd.weights_desc());
  const convolution_backward_weights::primitive_desc c2bw(
      {algorithm::convolution_direct, c1f.dst_desc(), any({64, 32, 3, 3}, dt::f32), bias_md(64), c2f.dst_desc(), s1, p0,
       p0},
      eng, c2f);
  const memory dc1(c2bd.diff_src_desc(), eng), dw_c2(c2bw.diff_weights_desc(), eng), db_c2(bias_md(64), eng);
  const convolution_backward_data c2bdp(c2bd);
  const convolution_backward_weights c2bwp(c2bw);
  steps.push_back([=] {
    run(c2bdp, {{DNNL_ARG_DIFF_DST, dc2}, {DNNL_ARG_WEIGHTS, conv2_bwd_weight}, {DNNL_ARG_DIFF_SRC, dc1}});
    run(c2bwp,
        {{DNNL_ARG_SRC, c1}, {DNNL_ARG_DIFF_DST, dc2}, {DNNL_ARG_DIFF_WEIGHTS, dw_c2}, {DNNL_ARG_DIFF_BIAS, db_c2}});
  });
  gradients(conv2, dw_c2, db_c2);
  relu_backward_step(dc1, c1);

  const convolution_backward_weights::primitive_desc c1bw(
      {algorithm::convolution_direct, c1f.src_desc(), any({32, 1, 3, 3}, dt::f32), bias_md(32), c1f.dst_desc(), s1, p0,
       p0},
      eng, c1f);
  const memory dw_c1(c1bw.diff_weights_desc(), eng), db_c1(bias_md(32), eng);
  const convolution_backward_weights c1bwp(c1bw);
  steps.push_back([=] {
    run(c1bwp,
        {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, dc1}, {DNNL_ARG_DIFF_WEIGHTS, dw_c1}, {DNNL_ARG_DIFF_BIAS, db_c1}});
  });
  gradients(conv1, dw_c1, db_c1);

  // ---- Adam on the float32 masters (the next step's forward converts them to bf16 first)
  int64_t t = 0;
  steps.push_back([&] {
    ++t;
    for (Param* p : {&conv1, &conv2, &fc1, &fc2}) {
      adam(static_cast<float*>(p->weight.get_data_handle()), static_cast<const float*>(p->grad_w.get_data_handle()),
           p->m_w, p->v_w, t);
      adam(static_cast<float*>(p->bias.get_data_handle()), static_cast<const float*>(p->grad_b.get_data_handle()),
           p->m_b, p->v_b, t);
    }
    ++step_seed;
  });

  const auto step = [] {
    for (auto& s : steps) s();
    strm.wait();
  };
  for (int i = 0; i < 15; ++i) step();  // warm-up, as the reference's
  std::vector<double> rates;
  for (int c = 0; c < chunks; ++c) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 25; ++i) step();
    rates.push_back(25.0 * N / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  print_rates("train_imgs_per_s", threads, static_cast<int>(N), rates, ",chunk_steps=25");
}
