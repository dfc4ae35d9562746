// The depthwise-separable block (depthwise 3x3 g64 p1 -> ReLU -> pointwise 1x1 64->128 -> ReLU, 32x64x56x56)
// forward+backward written straight on oneDNN 2.6 with layouts kept: the raw twin of `bench_layers dsblock`,
// a measuring stick for tools/bench/layers.py (dev-time only, no Nabla code). Every primitive takes
// format_tag::any and each tensor stays in the layout its producer chose; a reorder runs only where a consumer
// wants another layout (counted in the time). ReLUs are eltwise primitives in place (relu_use_dst_for_bwd),
// or conv post-ops with --fuse-relu. Prints milliseconds per forward+backward.
// Usage: onednn_dsblock ITERS [--fuse-relu]
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

memory filled(const memory::desc& md, float scale) {
  memory m(md, eng);
  auto* p = static_cast<float*>(m.get_data_handle());
  for (size_t i = 0; i < md.get_size() / sizeof(float); ++i)
    p[i] = scale * static_cast<float>((i * 2654435761u) % 1000) / 1000.f;
  return m;
}

struct Conv {
  convolution_forward::primitive_desc fwd;
  convolution_backward_data::primitive_desc bwd_data;
  convolution_backward_weights::primitive_desc bwd_weights;
};

Conv make_conv(const memory::dims& src, const memory::dims& weights, const memory::dims& dst, const memory::dims& pad,
               bool fuse_relu) {
  const memory::desc s(src, dt::f32, tag::any), w(weights, dt::f32, tag::any), d(dst, dt::f32, tag::any),
      b({dst[1]}, dt::f32, tag::x);
  const primitive_attr attr = fuse_relu ? relu_post_op() : primitive_attr();
  const memory::dims strides{1, 1};
  convolution_forward::primitive_desc fwd(
      {prop_kind::forward_training, algorithm::convolution_direct, s, w, b, d, strides, pad, pad}, attr, eng);
  convolution_backward_data::primitive_desc bwd_data({algorithm::convolution_direct, s, w, d, strides, pad, pad}, eng,
                                                     fwd);
  convolution_backward_weights::primitive_desc bwd_weights(
      {algorithm::convolution_direct, s, w, b, d, strides, pad, pad}, eng, fwd);
  return {fwd, bwd_data, bwd_weights};
}

void relu_forward(const memory& m) {  // in place
  eltwise_forward::primitive_desc pd(
      {prop_kind::forward_training, algorithm::eltwise_relu_use_dst_for_bwd, m.get_desc(), 0.f, 0.f}, eng);
  eltwise_forward p(pd);
  steps.push_back([=]() mutable { p.execute(strm, {{DNNL_ARG_SRC, m}, {DNNL_ARG_DST, m}}); });
}

void relu_backward(const memory& dst, const memory& diff) {  // in place on diff
  eltwise_forward::primitive_desc hint(
      {prop_kind::forward_training, algorithm::eltwise_relu_use_dst_for_bwd, dst.get_desc(), 0.f, 0.f}, eng);
  eltwise_backward::primitive_desc pd(
      {algorithm::eltwise_relu_use_dst_for_bwd, diff.get_desc(), dst.get_desc(), 0.f, 0.f}, eng, hint);
  eltwise_backward p(pd);
  steps.push_back([=]() mutable {
    p.execute(strm, {{DNNL_ARG_DST, dst}, {DNNL_ARG_DIFF_DST, diff}, {DNNL_ARG_DIFF_SRC, diff}});
  });
}

// Forward of one conv (+ReLU); returns its output. Appends the steps.
memory conv_forward(const Conv& c, const memory& src, const memory& weights, const memory& bias, bool fuse_relu) {
  const memory s = in_layout(src, c.fwd.src_desc()), w = in_layout(weights, c.fwd.weights_desc());
  memory d(c.fwd.dst_desc(), eng);
  convolution_forward p(c.fwd);
  steps.push_back([=]() mutable {
    p.execute(strm, {{DNNL_ARG_SRC, s}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, d}});
  });
  if (!fuse_relu) relu_forward(d);
  return d;
}

// Backward of one conv (+ReLU) given the gradient of its output; returns the input gradient.
memory conv_backward(const Conv& c, const memory& src, const memory& weights, const memory& dst,
                     const memory& diff_dst) {
  relu_backward(dst, diff_dst);
  const memory dd = in_layout(diff_dst, c.bwd_data.diff_dst_desc()), w = in_layout(weights, c.bwd_data.weights_desc());
  memory diff_src(c.bwd_data.diff_src_desc(), eng);
  convolution_backward_data pd(c.bwd_data);
  steps.push_back([=]() mutable {
    pd.execute(strm, {{DNNL_ARG_DIFF_DST, dd}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, diff_src}});
  });
  const memory ddw = in_layout(diff_dst, c.bwd_weights.diff_dst_desc()), sw = in_layout(src, c.bwd_weights.src_desc());
  memory diff_w(c.bwd_weights.diff_weights_desc(), eng),
      diff_b(memory::desc({dst.get_desc().dims()[1]}, dt::f32, tag::x), eng);
  convolution_backward_weights pw(c.bwd_weights);
  steps.push_back([=]() mutable {
    pw.execute(
        strm,
        {{DNNL_ARG_SRC, sw}, {DNNL_ARG_DIFF_DST, ddw}, {DNNL_ARG_DIFF_WEIGHTS, diff_w}, {DNNL_ARG_DIFF_BIAS, diff_b}});
  });
  return diff_src;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: onednn_dsblock ITERS [--fuse-relu]\n");
    return 2;
  }
  const int iters = std::atoi(argv[1]);
  const bool fuse = argc > 2 && std::strcmp(argv[2], "--fuse-relu") == 0;
  const Conv dw = make_conv({32, 64, 56, 56}, {64, 1, 1, 3, 3}, {32, 64, 56, 56}, {1, 1}, fuse);
  const Conv pw = make_conv({32, 64, 56, 56}, {128, 64, 1, 1}, {32, 128, 56, 56}, {0, 0}, fuse);
  // Weights in the layouts the forward chose (a framework reorders them once per optimizer step).
  const memory x = filled(dw.fwd.src_desc(), 1.f);  // as a preceding oneDNN op left it
  const memory w_dw = filled(dw.fwd.weights_desc(), 0.5f), b_dw = filled({{64}, dt::f32, tag::x}, 0.1f);
  const memory w_pw = filled(pw.fwd.weights_desc(), 0.5f), b_pw = filled({{128}, dt::f32, tag::x}, 0.1f);
  const memory h = conv_forward(dw, x, w_dw, b_dw, fuse);
  const memory y = conv_forward(pw, h, w_pw, b_pw, fuse);
  const memory gy = filled(y.get_desc(), 1.f);  // as the next op's backward leaves it: y's layout
  const memory gh = conv_backward(pw, h, w_pw, y, gy);
  conv_backward(dw, x, w_dw, h, gh);
  const auto run = [] {
    for (auto& s : steps) s();
    strm.wait();
  };
  for (int i = 0; i < 3; ++i) run();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) run();
  std::printf("%.4f\n",
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / iters);
}
