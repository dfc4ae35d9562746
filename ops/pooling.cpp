// Pooling: max/avg on oneDNN's pooling_v2 primitives, adaptive pooling as loops; each forward with
// the backward it records right below.
#include "nabla/ops/pooling.hpp"
#include "nabla/core/trace.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>

#include "nabla/autograd/node.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/ops/pad.hpp"
#include "nabla/ops/quantize.hpp"
#include "ops/kernels.h"
#include "ops/onednn.h"

namespace nabla {

namespace pool_shape {
int64_t output_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation, bool ceil_mode) {
  const int64_t span = in + 2 * pad - dilation * (kernel - 1) - 1;
  // Rounds down, as PyTorch's div_rtn.
  const auto floor_div = [](int64_t a, int64_t b) { return a / b - (a % b != 0 && a < 0); };
  int64_t out = floor_div(ceil_mode ? span + stride - 1 : span, stride) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}
}  // namespace pool_shape

namespace {

std::string list_str(const Shape& values) {
  std::string s;
  for (size_t i = 0; i < values.size(); ++i) s += (i ? " x " : "") + std::to_string(values[i]);
  return s;
}

void check_rank(const Tensor& input, int64_t dims, const std::string& who) {
  if (!(input.is_quantized() && input.qscheme() == QScheme::PerTensorAffine))
    kernels::check_floating(input, who.c_str());
  NABLA_CHECK(input.dim() == dims + 1 || input.dim() == dims + 2, who, ": Expected ", dims + 1, "D (unbatched) or ",
              dims + 2, "D (batched) input, but got input of size: ", shape_str(input.shape()));
  for (int64_t d = input.dim() - dims; d < input.dim(); ++d)
    NABLA_CHECK(input.size(d) > 0, who, ": Expected input with non-zero spatial sizes, but got input of size: ",
                shape_str(input.shape()));
}

onednn::Recipe<dnnl::pooling_v2_forward, dnnl::pooling_v2_backward> pool_recipe("pooling");

// One max or average pooling over a batched input, on oneDNN, with explicit left/right padding. It reads
// the input in the layout it comes in and leaves its result in the layout oneDNN derives from it. Training
// keeps max pooling's workspace for the backward; inference (no gradient wanted) runs without one.
Tensor pool_on_onednn(const Tensor& input, dnnl::algorithm algorithm, const PoolParams& p, const Shape& pad_l,
                      const Shape& pad_r, const Shape& out_size, const char* node = nullptr) {
  const Tensor x = onednn::dense(input.detach());
  const dnnl::memory::desc src = onednn::layout_of(x);
  Shape out_shape{x.size(0), x.size(1)};
  out_shape.insert(out_shape.end(), out_size.begin(), out_size.end());
  Shape dilation = p.dilation;
  for (auto& d : dilation) d -= 1;  // oneDNN counts dilation from 0
  onednn::Key key("pool");
  key << static_cast<int64_t>(algorithm) << src << out_shape << p.kernel << p.stride << dilation << pad_l << pad_r;
  const auto prims = pool_recipe.get(key);
  const auto strides = onednn::dims(p.stride), kernel = onednn::dims(p.kernel), dil = onednn::dims(dilation);
  const auto l = onednn::dims(pad_l), r = onednn::dims(pad_r);
  const bool training = autograd::needs_graph({input});
  onednn::Args forward(prims->forward(training, [&](dnnl::prop_kind kind) {
    return dnnl::pooling_v2_forward::desc(kind, algorithm, src, onednn::any_desc(out_shape, x.dtype()), strides, kernel,
                                          dil, l, r);
  }));
  forward.in(DNNL_ARG_SRC, x).out(DNNL_ARG_DST, out_shape);
  const onednn::Held workspace = training ? forward.scratch(DNNL_ARG_WORKSPACE) : onednn::Held{};
  forward.run();
  if (!training) return forward.result(DNNL_ARG_DST);
  return autograd::record(
      node                                        ? node
      : algorithm == dnnl::algorithm::pooling_max ? "MaxPoolBackward0"
                                                  : "AvgPoolBackward0",
      forward.result(DNNL_ARG_DST), {input},
      [prims, x, workspace, algorithm, strides, kernel, dil, l, r](const Tensor& g, const autograd::Needs&) {
        onednn::Args backward(prims->backward<0>([&](const auto& hint) {
          return dnnl::pooling_v2_backward::desc(algorithm, hint.src_desc(), hint.dst_desc(), strides, kernel, dil, l,
                                                 r);
        }));
        backward.in(DNNL_ARG_DIFF_DST, onednn::dense(g)).out(DNNL_ARG_DIFF_SRC, x.shape(), x);
        if (workspace.owner.defined()) backward.in(DNNL_ARG_WORKSPACE, workspace);
        backward.run();
        return autograd::Grads{backward.result(DNNL_ARG_DIFF_SRC)};
      });
}

}  // namespace

void validate_pool_params(const PoolParams& p, const std::string& who) {
  check_required(who, "kernel_size", p.kernel);
  check_window_sizes(who, "kernel_size", p.kernel);
  check_window_sizes(who, "stride", p.stride);
  check_window_sizes(who, "padding", p.padding);
  check_window_sizes(who, "dilation", p.dilation);
  for (int64_t k : p.kernel)
    NABLA_CHECK(k > 0, who, ": kernel_size must be greater than zero, got ", shape_str(p.kernel));
  for (int64_t s : p.stride) NABLA_CHECK(s > 0, who, ": stride must be greater than zero, got ", shape_str(p.stride));
  for (int64_t d : p.dilation)
    NABLA_CHECK(d > 0, who, ": dilation must be greater than zero, got ", shape_str(p.dilation));
  for (size_t d = 0; d < p.kernel.size(); ++d)
    NABLA_CHECK(p.padding[d] >= 0 && p.padding[d] <= p.kernel[d] / 2, who,
                ": pad should be at most half of kernel size, but got pad=", p.padding[d],
                " and kernel_size=", p.kernel[d]);
}

namespace {

// Pooling windows viewed as (planes, D, H, W) with missing dims of size 1, so one loop nest serves 1-D to 3-D.
// Along a dim, output cell i covers input positions first, first + step, ... < last: for adaptive pooling
// [floor(i·in/out), ceil((i+1)·in/out)), for a sliding window its taps that fall inside the input (none when
// the whole window lies in the padding).
struct Sliding {
  int64_t kernel = 1, stride = 1, pad = 0, dilation = 1;
};

struct Windows {
  int64_t planes;
  Shape in3, out3;
  std::optional<std::array<Sliding, 3>> sliding;  // none: adaptive

  struct Range {
    int64_t first, last, step;
  };
  Range range(int d, int64_t i) const {
    const int64_t in = in3[d], out = out3[d];
    if (!sliding) return {i * in / out, ((i + 1) * in + out - 1) / out, 1};
    const Sliding& w = (*sliding)[d];
    const int64_t start = i * w.stride - w.pad;
    const int64_t first = start < 0 ? start + (-start + w.dilation - 1) / w.dilation * w.dilation : start;
    return {first, std::min(start + (w.kernel - 1) * w.dilation + 1, in), w.dilation};
  }

  // For every output element o: begin(o), then visit(o, i) for each input element i of its window.
  template <class Begin, class Visit>
  void for_each(Begin&& begin, Visit&& visit) const {
    // No output element, no work: an output of (2^31-1, 0) would otherwise walk 2^31 empty rows.
    if (planes == 0 || numel(out3) == 0) return;
    int64_t o = 0;
    for (int64_t plane = 0; plane < planes; ++plane)
      for (int64_t od = 0; od < out3[0]; ++od)
        for (int64_t oh = 0; oh < out3[1]; ++oh)
          for (int64_t ow = 0; ow < out3[2]; ++ow, ++o) {
            begin(o);
            const Range rd = range(0, od), rh = range(1, oh), rw = range(2, ow);
            for (int64_t id = rd.first; id < rd.last; id += rd.step)
              for (int64_t ih = rh.first; ih < rh.last; ih += rh.step)
                for (int64_t iw = rw.first; iw < rw.last; iw += rw.step)
                  visit(o, ((plane * in3[0] + id) * in3[1] + ih) * in3[2] + iw);
          }
  }

  // Whether some window holds no input element (a max over it is -inf, as in PyTorch).
  bool has_empty_window() const {
    for (int d = 0; d < 3; ++d)
      for (int64_t i = 0; i < out3[d]; ++i)
        if (range(d, i).first >= range(d, i).last) return true;
    return false;
  }
};

Windows windows_of(const Tensor& input, const Shape& out_size) {
  const auto dims = static_cast<int64_t>(out_size.size());
  const Shape in_size(input.shape().end() - dims, input.shape().end());
  Windows w{
      numel(Shape(input.shape().begin(), input.shape().end() - dims)), Shape(3 - dims, 1), Shape(3 - dims, 1), {}};
  w.in3.insert(w.in3.end(), in_size.begin(), in_size.end());
  w.out3.insert(w.out3.end(), out_size.begin(), out_size.end());
  return w;
}

// Pooling by direct loops (adaptive pooling; max pooling where oneDNN's would differ from PyTorch's): max
// propagates NaN (the gradient goes to the NaN), an empty window gives -inf and passes no gradient. A bfloat16
// input is pooled in float32 and rounded once.
Tensor pool_by_loops(const Tensor& input, const Windows& windows, const Shape& out_size, bool max, const char* node) {
  if (input.dtype() == kBFloat16) return pool_by_loops(input.to(kFloat32), windows, out_size, max, node).to(kBFloat16);
  Shape out_shape(input.shape().begin(), input.shape().end() - static_cast<int64_t>(out_size.size()));
  out_shape.insert(out_shape.end(), out_size.begin(), out_size.end());
  const Tensor x = input.detach().contiguous();
  Tensor y = empty(out_shape), argmax = empty(out_shape, kInt64), count = empty(out_shape, kInt64);
  const float* px = x.data_ptr<float>();
  float* py = y.data_ptr<float>();
  int64_t* pa = argmax.data_ptr<int64_t>();
  int64_t* pc = count.data_ptr<int64_t>();
  std::vector<double> sums(static_cast<size_t>(y.numel()), 0.0);
  windows.for_each([&](int64_t o) { pc[o] = 0; pa[o] = -1; },
                   [&](int64_t o, int64_t i) {
                     ++pc[o];
                     sums[o] += px[i];
                     if (pa[o] < 0 || px[i] > px[pa[o]] || std::isnan(px[i])) pa[o] = i;  // NaN wins, as in PyTorch
                   });
  for (int64_t o = 0, n = y.numel(); o < n; ++o)
    py[o] = max ? (pa[o] < 0 ? -INFINITY : px[pa[o]]) : static_cast<float>(sums[o] / static_cast<double>(pc[o]));
  return autograd::record(
      node, y, {input},
      [windows, max, argmax, count, in_shape = input.shape()](const Tensor& g, const autograd::Needs&) {
        Tensor gx = zeros(in_shape);
        const Tensor dy = g.contiguous();
        const float* pg = dy.data_ptr<float>();
        const int64_t* pa = argmax.data_ptr<int64_t>();
        const int64_t* pc = count.data_ptr<int64_t>();
        float* out = gx.data_ptr<float>();
        if (max) {
          for (int64_t o = 0, n = dy.numel(); o < n; ++o)
            if (pa[o] >= 0) out[pa[o]] += pg[o];
        } else {
          windows.for_each([](int64_t) {}, [&](int64_t o, int64_t i) { out[i] += pg[o] / static_cast<float>(pc[o]); });
        }
        return autograd::Grads{gx};
      });
}

}  // namespace

namespace {
Tensor pool_windows(const Tensor& input, const PoolParams& p, const PoolParams& clipped, const Shape& pad_r,
                    const Shape& out_size);
Tensor pool_batched(const Tensor& input, const PoolParams& p, int64_t dims, const std::string& who);
}

Tensor pool(const Tensor& input, const PoolParams& p, int64_t dims, const std::string& who) {
  validate_pool_params(p, who);
  return pool_with_checked_params(input, p, dims, who);
}

Tensor pool_with_checked_params(const Tensor& input, const PoolParams& p, int64_t dims, const std::string& who) {
  trace::Scope scope("pool", {input}, [&] {
    return trace::Attributes{{"max", int64_t{p.max}},
                             {"kernel", p.kernel},
                             {"stride", p.stride},
                             {"padding", p.padding},
                             {"dilation", p.dilation},
                             {"ceil_mode", int64_t{p.ceil_mode}},
                             {"count_include_pad", int64_t{p.count_include_pad}}};
  });
  check_rank(input, dims, who);
  const bool unbatched = input.dim() == dims + 1;
  const Tensor y = pool_batched(unbatched ? input.unsqueeze(0) : input, p, dims, who);
  return scope.output(unbatched ? y.squeeze(0) : y);
}

namespace {

Tensor pool_batched(const Tensor& input, const PoolParams& p, int64_t dims, const std::string& who) {
  const Shape in_size(input.shape().end() - dims, input.shape().end());
  check_window_sizes(who, "input size", in_size);
  Shape out_size, pad_r;
  PoolParams clipped = p;
  for (int64_t d = 0; d < dims; ++d)
    out_size.push_back(
        pool_shape::output_size(in_size[d], p.kernel[d], p.stride[d], p.padding[d], p.dilation[d], p.ceil_mode));
  for (int64_t s : out_size)
    NABLA_CHECK(s > 0, who, ": Given input size: (", input.size(1), " x ", list_str(in_size),
                "). Calculated output size: (", input.size(1), " x ", list_str(out_size),
                "). Output size is too small");
  for (int64_t d = 0; d < dims; ++d) {
    // A lone window reaching past the padded input (ceil mode allows it): its taps out there see only padding,
    // which neither max nor avg pooling counts, so the kernel shrinks to the taps that can reach the input.
    // oneDNN would otherwise walk every tap (minutes for a kernel of 2^31).
    if (out_size[d] == 1)
      clipped.kernel[d] = std::min(p.kernel[d], (in_size[d] + 2 * p.padding[d] - 1) / p.dilation[d] + 1);
    // The right padding that makes oneDNN produce exactly that many windows (more than `padding` in ceil mode).
    pad_r.push_back(checked_mul(out_size[d] - 1, p.stride[d], who) + p.dilation[d] * (clipped.kernel[d] - 1) + 1 -
                    in_size[d] - p.padding[d]);
  }
  if (input.size(0) == 0 || input.size(1) == 0) {
    Shape shape{input.size(0), input.size(1)};
    shape.insert(shape.end(), out_size.begin(), out_size.end());
    const Tensor y = empty(shape, input.dtype());
    return input.is_quantized() ? make_quantized(y, input.qparams()) : y;
  }
  return onednn::guarded(who, [&] { return pool_windows(input, p, clipped, pad_r, out_size); });
}

}  // namespace

namespace {

// Quantized input: oneDNN pools the integers themselves (a max, or an average, of q is the q of the values' max or
// average), the result keeping the input's scale and zero point; except an average counting zero padding, which
// is not q = 0 when the zero point is not 0: that one runs on the dequantized values.
Tensor quantized_pool_windows(const Tensor& input, const PoolParams& p, const PoolParams& clipped, const Shape& pad_r,
                              const Shape& out_size) {
  const bool padded = std::any_of(p.padding.begin(), p.padding.end(), [](int64_t v) { return v > 0; }) ||
                      std::any_of(pad_r.begin(), pad_r.end(), [](int64_t v) { return v > 0; });
  if (!p.max && p.count_include_pad && padded && input.q_zero_point() != 0)
    return quantize_per_tensor(pool_windows(input.dequantize(), p, clipped, pad_r, out_size), input.q_scale(),
                               input.q_zero_point(), input.dtype());
  const auto algorithm = p.max                 ? dnnl::algorithm::pooling_max
                         : p.count_include_pad ? dnnl::algorithm::pooling_avg_include_padding
                                               : dnnl::algorithm::pooling_avg_exclude_padding;
  return make_quantized(pool_on_onednn(input, algorithm, clipped, p.padding, pad_r, out_size), input.qparams());
}

// pool() once the sizes are known: `clipped` is p with the kernels cut to what can reach the input.
Tensor pool_windows(const Tensor& input, const PoolParams& p, const PoolParams& clipped, const Shape& pad_r,
                    const Shape& out_size) {
  if (input.is_quantized()) return quantized_pool_windows(input, p, clipped, pad_r, out_size);
  const int64_t dims = static_cast<int64_t>(out_size.size());
  if (p.max) {
    // oneDNN's max drops NaN and pads with -FLT_MAX (a window of padding and -inf gives -FLT_MAX); PyTorch gives NaN
    // and -inf.
    Windows windows = windows_of(input, out_size);
    windows.sliding = std::array<Sliding, 3>{};
    bool padded = false;
    for (int64_t d = 0; d < dims; ++d) {
      (*windows.sliding)[3 - dims + d] = {p.kernel[d], p.stride[d], p.padding[d], p.dilation[d]};
      padded |= p.padding[d] > 0 || pad_r[d] > 0;
    }
    if (windows.has_empty_window() || onednn::has_nan(input) || (padded && onednn::has_non_finite(input)))
      return pool_by_loops(input, windows, out_size, true, "MaxPoolBackward0");
    const Tensor y = pool_on_onednn(input, dnnl::algorithm::pooling_max, clipped, p.padding, pad_r, out_size);
    if (onednn::known_finite({input}))
      onednn::mark_finite(y);  // a max of finite values
    else
      onednn::mark_nan_free(y);  // of values without NaN
    return y;
  }
  bool ceil_extends = false;  // some last window hangs past the padding
  for (int64_t d = 0; d < dims; ++d) ceil_extends |= pad_r[d] > p.padding[d];
  if (!p.count_include_pad || !ceil_extends) {
    const auto algorithm = p.count_include_pad ? dnnl::algorithm::pooling_avg_include_padding
                                               : dnnl::algorithm::pooling_avg_exclude_padding;
    return pool_on_onednn(input, algorithm, clipped, p.padding, pad_r, out_size);
  }
  // count_include_pad in ceil mode: PyTorch counts the zero padding but not the windows' overhang
  // past it. Zero-pad explicitly, then average without counting what is left.
  std::vector<int64_t> pads;
  Shape no_pad(dims, 0), overhang(dims);
  for (int64_t d = dims - 1; d >= 0; --d) pads.insert(pads.end(), {p.padding[d], p.padding[d]});
  for (int64_t d = 0; d < dims; ++d) overhang[d] = pad_r[d] - p.padding[d];
  return pool_on_onednn(pad(input, pads), dnnl::algorithm::pooling_avg_exclude_padding, clipped, no_pad, overhang,
                        out_size);
}

}  // namespace

Tensor adaptive_pool(const Tensor& input, const Shape& output_size, bool max, int64_t dims, const std::string& who) {
  trace::Scope scope("adaptive_pool", {input}, [&] {
    return trace::Attributes{{"max", int64_t{max}}, {"output_size", output_size}};
  });
  check_rank(input, dims, who);
  NABLA_CHECK(static_cast<int64_t>(output_size.size()) == dims, who, ": output_size must have ", dims,
              " elements, got ", shape_str(output_size));
  for (int64_t s : output_size)
    NABLA_CHECK(s >= 0, who, ": output_size must be non-negative, got ", shape_str(output_size));
  check_window_sizes(who, "output_size", output_size);  // (i + 1) · in then fits in an int64
  for (int64_t d = input.dim() - dims; d < input.dim(); ++d)
    NABLA_CHECK(input.size(d) > 0, who,
                ": Expected input to have non-zero size for non-batch dimensions, but input "
                "has sizes ",
                shape_str(input.shape()));
  const char* node = max ? "AdaptiveMaxPool2DBackward0" : "AdaptiveAvgPool2DBackward0";
  // Input sizes that are whole multiples of the output's make equal, disjoint windows: an ordinary average pooling
  // with kernel = stride = in / out, which oneDNN runs in the input's layout (global pooling after a conv stays
  // in its blocked layout).
  bool uniform = !max && input.dim() == dims + 2 && input.numel() > 0;
  PoolParams p{};
  for (int64_t d = 0; d < dims && uniform; ++d) {
    const int64_t in = input.size(input.dim() - dims + d), out = output_size[d];
    uniform = out > 0 && in % out == 0;
    p.kernel.push_back(uniform ? in / out : 1);
    p.stride.push_back(p.kernel.back());
    p.dilation.push_back(1);
  }
  if (uniform) {
    const Shape no_pad(dims, 0);
    const Tensor y = onednn::guarded(who, [&] {
      return pool_on_onednn(input, dnnl::algorithm::pooling_avg_exclude_padding, p, no_pad, no_pad, output_size, node);
    });
    return scope.output(input.is_quantized() ? make_quantized(y, input.qparams()) : y);
  }
  if (input.is_quantized())  // by loops, on the values
    return scope.output(quantize_per_tensor(adaptive_pool(input.dequantize(), output_size, max, dims, who),
                                            input.q_scale(), input.q_zero_point(), input.dtype()));
  return scope.output(pool_by_loops(input, windows_of(input, output_size), output_size, max, node));
}

// ---- the rank-specific spellings

template <size_t D>
PoolParams to_params(const MaxPoolOptions<D>& o, const std::string& who) {
  PoolParams p;
  p.kernel = expand_dims(o.kernel_size.values, D, "kernel_size", who);
  p.stride = o.stride.values.empty() ? p.kernel : expand_dims(o.stride.values, D, "stride", who);
  p.padding = expand_dims(o.padding.values, D, "padding", who);
  p.dilation = expand_dims(o.dilation.values, D, "dilation", who);
  p.ceil_mode = o.ceil_mode;
  return p;
}

template <size_t D>
PoolParams to_params(const AvgPoolOptions<D>& o, const std::string& who) {
  PoolParams p;
  p.max = false;
  p.kernel = expand_dims(o.kernel_size.values, D, "kernel_size", who);
  p.stride = o.stride.values.empty() ? p.kernel : expand_dims(o.stride.values, D, "stride", who);
  p.padding = expand_dims(o.padding.values, D, "padding", who);
  p.dilation = Shape(D, 1);
  p.ceil_mode = o.ceil_mode;
  p.count_include_pad = o.count_include_pad;
  return p;
}

template PoolParams to_params(const MaxPoolOptions<1>&, const std::string&);
template PoolParams to_params(const MaxPoolOptions<2>&, const std::string&);
template PoolParams to_params(const MaxPoolOptions<3>&, const std::string&);
template PoolParams to_params(const AvgPoolOptions<1>&, const std::string&);
template PoolParams to_params(const AvgPoolOptions<2>&, const std::string&);
template PoolParams to_params(const AvgPoolOptions<3>&, const std::string&);

Tensor max_pool1d(const Tensor& x, const MaxPoolOptions<1>& o) {
  return pool(x, to_params(o, "max_pool1d"), 1, "max_pool1d");
}
Tensor max_pool2d(const Tensor& x, const MaxPoolOptions<2>& o) {
  return pool(x, to_params(o, "max_pool2d"), 2, "max_pool2d");
}
Tensor max_pool3d(const Tensor& x, const MaxPoolOptions<3>& o) {
  return pool(x, to_params(o, "max_pool3d"), 3, "max_pool3d");
}
Tensor avg_pool1d(const Tensor& x, const AvgPoolOptions<1>& o) {
  return pool(x, to_params(o, "avg_pool1d"), 1, "avg_pool1d");
}
Tensor avg_pool2d(const Tensor& x, const AvgPoolOptions<2>& o) {
  return pool(x, to_params(o, "avg_pool2d"), 2, "avg_pool2d");
}
Tensor avg_pool3d(const Tensor& x, const AvgPoolOptions<3>& o) {
  return pool(x, to_params(o, "avg_pool3d"), 3, "avg_pool3d");
}

Tensor adaptive_avg_pool1d(const Tensor& x, const Dims<1>& s) {
  return adaptive_pool(x, expand_dims(s.values, 1, "output_size", "adaptive_avg_pool1d"), false, 1,
                       "adaptive_avg_pool1d");
}
Tensor adaptive_avg_pool2d(const Tensor& x, const Dims<2>& s) {
  return adaptive_pool(x, expand_dims(s.values, 2, "output_size", "adaptive_avg_pool2d"), false, 2,
                       "adaptive_avg_pool2d");
}
Tensor adaptive_avg_pool3d(const Tensor& x, const Dims<3>& s) {
  return adaptive_pool(x, expand_dims(s.values, 3, "output_size", "adaptive_avg_pool3d"), false, 3,
                       "adaptive_avg_pool3d");
}
Tensor adaptive_max_pool1d(const Tensor& x, const Dims<1>& s) {
  return adaptive_pool(x, expand_dims(s.values, 1, "output_size", "adaptive_max_pool1d"), true, 1,
                       "adaptive_max_pool1d");
}
Tensor adaptive_max_pool2d(const Tensor& x, const Dims<2>& s) {
  return adaptive_pool(x, expand_dims(s.values, 2, "output_size", "adaptive_max_pool2d"), true, 2,
                       "adaptive_max_pool2d");
}
Tensor adaptive_max_pool3d(const Tensor& x, const Dims<3>& s) {
  return adaptive_pool(x, expand_dims(s.values, 3, "output_size", "adaptive_max_pool3d"), true, 3,
                       "adaptive_max_pool3d");
}

}  // namespace nabla
