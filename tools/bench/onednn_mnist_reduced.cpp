// The MNIST network's reduced-precision inference (batch 1000) written straight on oneDNN 2.6: the raw twin of
// `mnist_bench --what infer --int8` (and `--bf16`), the ceiling tools/bench/mnist.py --int8 (--bf16 --what infer)
// measures Nabla against (dev-time only, no Nabla code). What a hand-written deployment would run:
//   int8: the float images quantized by a reorder, conv1 and conv2 u8·s8 -> u8 with per-channel output scales and
//         the ReLU as a post-op (conv1 with the input's zero point), max pooling on u8, the flattening reorder to
//         (N, C·H·W), fc1 u8·s8 -> u8 with its ReLU fused, fc2 straight to float32 logits, log-softmax;
//   bf16: the same network with the images converted to bfloat16, bf16 weights and activations (float32 biases),
//         fc2 to float32 logits.
// Every primitive takes format_tag::any where it may; scales are fixed plausible values (speed does not depend on
// them). Prints the "M,infer_imgs_per_s" line mnist_reference.py prints.
// Usage: onednn_mnist_reduced [--dtype int8|bf16] [--threads N] [--rounds R]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>

#include "raw_onednn.h"

using namespace dnnl;
using namespace raw;
using dt = memory::data_type;
using tag = memory::format_tag;

namespace {

bool bf16 = false;  // --dtype bf16
dt activations() { return bf16 ? dt::bf16 : dt::u8; }
dt weights() { return bf16 ? dt::bf16 : dt::s8; }

// A memory filled with a deterministic pattern (values in [0, 1) · scale; as bytes for 8-bit types; bfloat16 as
// float32's upper half).
memory filled(const memory::desc& md, float scale) {
  memory m(md, eng);
  const size_t n = md.get_size() / (md.data_type() == dt::f32 ? 4 : md.data_type() == dt::bf16 ? 2 : 1);
  for (size_t i = 0; i < n; ++i) {
    const float v = scale * static_cast<float>((i * 2654435761u) % 1000) / 1000.f - 0.3f * scale;
    if (md.data_type() == dt::f32) {
      static_cast<float*>(m.get_data_handle())[i] = v;
    } else if (md.data_type() == dt::bf16) {
      uint32_t bits;
      std::memcpy(&bits, &v, 4);
      static_cast<uint16_t*>(m.get_data_handle())[i] = static_cast<uint16_t>(bits >> 16);
    } else {
      static_cast<int8_t*>(m.get_data_handle())[i] = static_cast<int8_t>(v * 100.f);
    }
  }
  return m;
}

void copy_into(const memory& from, const memory& to) {
  reorder(from, to).execute(strm, {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}});
}

// int8: the requantization (per-channel output scales, the input's zero point); both: the ReLU post-op.
primitive_attr attr_for(int channels, int src_zero_point, bool relu) {
  primitive_attr attr = relu ? relu_post_op() : primitive_attr();
  if (!bf16) attr.set_output_scales(1 << 1, std::vector<float>(static_cast<size_t>(channels), 0.002f));
  if (!bf16 && src_zero_point != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {src_zero_point});
  return attr;
}

// The step of primitive P (a conv or matmul) built from pd: its weights (user layout w_user, filled) reordered into
// the pd's once, outside the timed steps; src read in the pd's layout; returns the result's memory.
template <class P>
memory with_weights(const typename P::primitive_desc& pd, const memory& src, const memory::desc& w_user) {
  memory w(pd.weights_desc(), eng);
  copy_into(filled(w_user, 1.f), w);
  const memory x = in_layout(src, pd.src_desc()), b = filled(pd.bias_desc(), 1.f), y(pd.dst_desc(), eng);
  const P p(pd);
  steps.push_back([=] {
    p.execute(strm, {{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, y}});
  });
  return y;
}

// conv k3 s1 p0 with ReLU (u8·s8 -> u8 or bf16 -> bf16); weights reordered once, outside the timed steps.
memory conv(const memory& src, memory::dim oc, int src_zero_point) {
  const auto s = src.get_desc().dims();
  const memory::dims dst_dims{s[0], oc, s[2] - 2, s[3] - 2};
  const memory::desc w_user({oc, s[1], 3, 3}, weights(), tag::oihw);
  convolution_forward::primitive_desc pd({prop_kind::forward_inference,
                                          algorithm::convolution_direct,
                                          memory::desc(s, activations(), tag::any),
                                          memory::desc(w_user.dims(), weights(), tag::any),
                                          memory::desc({oc}, dt::f32, tag::x),
                                          memory::desc(dst_dims, activations(), tag::any),
                                          {1, 1},
                                          {0, 0},
                                          {0, 0}},
                                         attr_for(static_cast<int>(oc), src_zero_point, true), eng);
  return with_weights<convolution_forward>(pd, src, w_user);
}

// (rows, in) · (in, out) -> (rows, out) of dst_type, the ReLU fused when asked.
memory linear(const memory& src, memory::dim out, dt dst_type, bool relu) {
  const auto s = src.get_desc().dims();
  const memory::desc w_user({s[1], out}, weights(), tag::ba);  // PyTorch's (out, in) weight
  matmul::primitive_desc pd({memory::desc(s, activations(), tag::ab), memory::desc(w_user.dims(), weights(), tag::any),
                             memory::desc({1, out}, dt::f32, tag::ab), memory::desc({s[0], out}, dst_type, tag::ab)},
                            attr_for(static_cast<int>(out), 0, relu), eng);
  return with_weights<matmul>(pd, src, w_user);
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, rounds = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--rounds")) rounds = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--dtype")) bf16 = !std::strcmp(argv[i + 1], "bf16");
  }
  omp_set_num_threads(threads);
  const memory::dim n = 1000;
  // The float images quantized (scale 1/40, zero point 30) or converted to bfloat16, as a deployment's first step.
  const memory images = filled({{n, 1, 28, 28}, dt::f32, tag::nchw}, 4.f);
  memory quantized({{n, 1, 28, 28}, activations(), tag::nchw}, eng);
  {
    primitive_attr attr;
    if (!bf16) attr.set_output_scales(0, {40.f});
    if (!bf16) attr.set_zero_points(DNNL_ARG_DST, 0, {30});
    reorder q(reorder::primitive_desc(images, quantized, attr));
    steps.push_back([=] { q.execute(strm, {{DNNL_ARG_FROM, images}, {DNNL_ARG_TO, quantized}}); });
  }
  const memory c1 = conv(quantized, 32, 30), c2 = conv(c1, 64, 0);
  const auto p_dims = c2.get_desc().dims();
  pooling_v2_forward::primitive_desc pool_pd(
      {prop_kind::forward_inference,
       algorithm::pooling_max,
       c2.get_desc(),
       memory::desc({n, 64, p_dims[2] / 2, p_dims[3] / 2}, activations(), tag::any),
       {2, 2},
       {2, 2},
       {0, 0},
       {0, 0},
       {0, 0}},
      eng);
  const memory pooled(pool_pd.dst_desc(), eng);
  pooling_v2_forward pool(pool_pd);
  steps.push_back([=] { pool.execute(strm, {{DNNL_ARG_SRC, c2}, {DNNL_ARG_DST, pooled}}); });
  // flatten: PyTorch's (N, C, H, W) order, as Nabla's flatten makes it
  const memory flat_nchw = in_layout(pooled, memory::desc(pooled.get_desc().dims(), activations(), tag::nchw));
  const memory flat(memory::desc({n, 64 * 12 * 12}, activations(), tag::ab), eng, flat_nchw.get_data_handle());
  const memory fc1 = linear(flat, 128, activations(), true), logits = linear(fc1, 10, dt::f32, false);
  softmax_v2_forward::primitive_desc sm_pd(
      {prop_kind::forward_inference, algorithm::softmax_log, logits.get_desc(), logits.get_desc(), 1}, eng);
  softmax_v2_forward softmax(sm_pd);
  const memory log_probs(sm_pd.dst_desc(), eng);
  steps.push_back([=] { softmax.execute(strm, {{DNNL_ARG_SRC, logits}, {DNNL_ARG_DST, log_probs}}); });

  const auto forward = [] {
    for (auto& step : steps) step();
    strm.wait();
  };
  for (int i = 0; i < 2; ++i) forward();  // warm-up, as the reference's two batches
  std::vector<double> rates;
  for (int r = 0; r < rounds * 10; ++r) {
    const auto start = std::chrono::steady_clock::now();
    forward();
    rates.push_back(1000.0 / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  print_rates("infer_imgs_per_s", threads, 1000, rates);
}
