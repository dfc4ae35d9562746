// interpolate: oneDNN's resampling where it computes PyTorch's numbers (linear modes without align_corners when
// PyTorch's scale is in/out; nearest for whole-number upscaling), our own loops otherwise; each with its backward.
#include "nabla/ops/interpolate.hpp"
#include "nabla/core/trace.hpp"

#include <array>
#include <cmath>

#include "nabla/autograd/node.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "ops/kernels.h"
#include "ops/onednn.h"

namespace nabla {
namespace {

// Along one dim, output index o reads input i0 with weight w0 and i1 with w1 (nearest: i0 alone).
struct Taps {
  std::vector<int64_t> i0, i1;
  std::vector<float> w0, w1;
};

// PyTorch's source coordinates (aten/src/ATen/native/UpSample.h), in float as its CPU kernels compute them.
Taps taps(int64_t in, int64_t out, std::optional<double> scale_factor, bool linear, bool align_corners) {
  Taps t;
  const auto scale = [&]() -> float {
    if (align_corners) return out > 1 ? static_cast<float>(in - 1) / static_cast<float>(out - 1) : 0.f;
    return scale_factor && *scale_factor > 0 ? static_cast<float>(1.0 / *scale_factor)
                                             : static_cast<float>(in) / static_cast<float>(out);
  }();
  for (int64_t o = 0; o < out; ++o) {
    if (!linear) {  // nearest_idx
      const int64_t i = out == in ? o
                        : out == 2 * in
                            ? o >> 1
                            // size-checked: o · scale < 2 · in
                            : std::min(static_cast<int64_t>(std::floor(static_cast<float>(o) * scale)), in - 1);
      t.i0.push_back(i), t.i1.push_back(i), t.w0.push_back(1.f), t.w1.push_back(0.f);
      continue;
    }
    float src = align_corners ? scale * static_cast<float>(o) : scale * (static_cast<float>(o) + 0.5f) - 0.5f;
    if (src < 0) src = 0;
    // size-checked: src < 2 · in
    const int64_t i0 = std::min(static_cast<int64_t>(std::floor(src)), in - 1);
    const float lambda = std::min(std::max(src - static_cast<float>(i0), 0.f), 1.f);
    t.i0.push_back(i0), t.i1.push_back(i0 + (i0 < in - 1 ? 1 : 0)), t.w0.push_back(1.f - lambda),
        t.w1.push_back(lambda);
  }
  return t;
}

// The interpolation as loops over (planes, D, H, W) (missing dims of size 1): visit(o, i, w) for each output
// element o and each input element i it reads, with weight w.
struct Grid {
  int64_t planes;
  std::array<int64_t, 3> in, out;
  std::array<Taps, 3> taps;

  template <class Visit>
  void for_each(Visit&& visit) const {
    int64_t o = 0;
    for (int64_t p = 0; p < planes; ++p)
      for (int64_t d = 0; d < out[0]; ++d)
        for (int64_t h = 0; h < out[1]; ++h)
          for (int64_t w = 0; w < out[2]; ++w, ++o)
            for (int a = 0; a < 2; ++a) {
              const float wa = a ? taps[0].w1[d] : taps[0].w0[d];
              if (wa == 0.f) continue;
              const int64_t ia = p * in[0] + (a ? taps[0].i1[d] : taps[0].i0[d]);
              for (int b = 0; b < 2; ++b) {
                const float wb = b ? taps[1].w1[h] : taps[1].w0[h];
                if (wb == 0.f) continue;
                const int64_t ib = ia * in[1] + (b ? taps[1].i1[h] : taps[1].i0[h]);
                for (int c = 0; c < 2; ++c) {
                  const float wc = c ? taps[2].w1[w] : taps[2].w0[w];
                  if (wc == 0.f) continue;
                  visit(o, ib * in[2] + (c ? taps[2].i1[w] : taps[2].i0[w]), wa * wb * wc);
                }
              }
            }
  }
};

Tensor interpolate_by_loops(const Tensor& input, const Grid& grid, const Shape& out_shape) {
  const Tensor x = input.detach().contiguous();
  Tensor y = zeros(out_shape);
  const float* px = x.const_data_ptr<float>();
  float* py = y.data_ptr<float>();
  grid.for_each([&](int64_t o, int64_t i, float w) { py[o] += w * px[i]; });
  return autograd::record(
      "UpsampleBackward0", y, {input},
      [grid, in_shape = input.shape()](const Tensor& g, const autograd::Needs&) {
        Tensor gx = zeros(in_shape);
        const Tensor dy = g.contiguous();
        const float* pg = dy.const_data_ptr<float>();
        float* out = gx.data_ptr<float>();
        grid.for_each([&](int64_t o, int64_t i, float w) { out[i] += w * pg[o]; });
        return autograd::Grads{gx};
      },
      autograd::Saves::Nothing);
}

onednn::Recipe<dnnl::resampling_forward, dnnl::resampling_backward> resampling_recipe("resampling");

// On oneDNN, in the input's layout (a conv's blocked output stays blocked).
Tensor interpolate_on_onednn(const Tensor& input, dnnl::algorithm algorithm, const Shape& out_shape) {
  const Tensor x = onednn::dense(input.detach());
  const dnnl::memory::desc src = onednn::layout_of(x);
  onednn::Key key("resampling");
  key << static_cast<int64_t>(algorithm) << src << out_shape;
  const auto prims = resampling_recipe.get(key);
  onednn::Args forward(prims->forward(autograd::needs_graph({input}), [&](dnnl::prop_kind kind) {
    return dnnl::resampling_forward::desc(kind, algorithm, src, onednn::any_desc(out_shape));
  }));
  forward.in(DNNL_ARG_SRC, x).out(DNNL_ARG_DST, out_shape).run();
  return autograd::record(
      "UpsampleBackward0", forward.result(DNNL_ARG_DST), {input},
      [prims, algorithm, x](const Tensor& g, const autograd::Needs&) {
        onednn::Args backward(prims->backward<0>([&](const auto& hint) {
          return dnnl::resampling_backward::desc(algorithm, hint.src_desc(), hint.dst_desc());
        }));
        backward.in(DNNL_ARG_DIFF_DST, onednn::dense(g)).out(DNNL_ARG_DIFF_SRC, x.shape(), x).run();
        return autograd::Grads{backward.result(DNNL_ARG_DIFF_SRC)};
      },
      autograd::Saves::Nothing);
}

}  // namespace

Tensor interpolate(const Tensor& input, const InterpolateOptions& o) {
  trace::Scope scope("interpolate", {input}, [&] {
    return trace::Attributes{{"mode", o.mode}, {"align_corners", int64_t{o.align_corners.value_or(false)}}};
  });
  const char* who = "interpolate";
  kernels::check_float(input, who);
  NABLA_CHECK(input.dim() >= 3 && input.dim() <= 5, who, ": expected a 3-D, 4-D or 5-D input (N, C, *spatial), got ",
              shape_str(input.shape()));
  const int64_t dims = input.dim() - 2;
  const bool linear = o.mode != "nearest";
  static const char* const kLinear[] = {"linear", "bilinear", "trilinear"};
  NABLA_CHECK(o.mode == "nearest" || o.mode == "linear" || o.mode == "bilinear" || o.mode == "trilinear", who,
              ": mode must be one of nearest, linear, bilinear, trilinear; got '", o.mode, "'");
  NABLA_CHECK(!linear || o.mode == kLinear[dims - 1], who, ": Got ", input.dim(), "D input, but ", o.mode,
              " mode needs ",
              o.mode == "linear"     ? 3
              : o.mode == "bilinear" ? 4
                                     : 5,
              "D input");
  NABLA_CHECK(linear || !o.align_corners.has_value(), who,
              ": align_corners option can only be set with the "
              "interpolating modes: linear | bilinear | bicubic | trilinear");
  NABLA_CHECK(o.size.empty() != o.scale_factor.empty(), who,
              ": either size or scale_factor should be defined, "
              "not both and not neither");
  const auto count = o.size.empty() ? o.scale_factor.size() : o.size.size();
  NABLA_CHECK(count == 1 || static_cast<int64_t>(count) == dims, who,
              ": Input and output must have the same number "
              "of spatial dimensions, but got input with spatial dimensions of ",
              dims, " and output size of ", count);
  NABLA_CHECK(o.size.empty() || !o.recompute_scale_factor, who,
              ": recompute_scale_factor is not meaningful with an explicit size.");
  const bool align = o.align_corners.value_or(false);
  // The output's size first, checked against the memory limit before any table of it is built.
  Shape out_shape{input.size(0), input.size(1)};
  std::vector<std::optional<double>> scales(static_cast<size_t>(dims));
  for (int64_t d = 0; d < dims; ++d) {
    const int64_t in = input.size(2 + d);
    int64_t out;
    if (!o.size.empty()) {
      out = o.size[count == 1 ? 0 : d];
    } else {
      const double scale = o.scale_factor[count == 1 ? 0 : d];
      NABLA_CHECK(std::isfinite(scale) && scale > 0, who, ": scale_factor must be positive, got ", scale);
      out = checked_cast_to_int64(std::floor(static_cast<double>(in) * scale), "interpolate: the output size");
      if (!o.recompute_scale_factor) scales[static_cast<size_t>(d)] = scale;
    }
    NABLA_CHECK(in > 0 && out > 0, who, ": Input and output sizes should be greater than 0, but got input (",
                shape_str(input.shape()), ") and output size ", out);
    out_shape.push_back(out);
  }
  // The output, and the index tables (two int64 indices and two float weights per position along each dim).
  int64_t positions = 0;
  for (int64_t d = 0; d < dims; ++d) positions = checked_add(positions, out_shape[static_cast<size_t>(2 + d)], who);
  check_allocatable({checked_add(numel(out_shape), checked_mul(positions, 6, who), who)}, kFloat32, who);
  Grid grid{input.size(0) * input.size(1), {1, 1, 1}, {1, 1, 1}, {}};
  for (int64_t d = 0; d < dims; ++d) {
    const size_t slot = static_cast<size_t>(3 - dims + d);
    grid.in[slot] = input.size(2 + d), grid.out[slot] = out_shape[static_cast<size_t>(2 + d)];
    grid.taps[slot] = taps(grid.in[slot], grid.out[slot], scales[static_cast<size_t>(d)], linear, align);
  }
  for (size_t slot = 0; slot < static_cast<size_t>(3 - dims); ++slot) grid.taps[slot] = taps(1, 1, {}, false, false);
  if (input.numel() == 0) return scope.output(zeros(out_shape));
  // oneDNN computes src = (dst + 0.5)·in/out - 0.5: PyTorch's linear coordinates when its scale is in/out, and
  // its nearest ones for whole-number upscaling.
  bool onednn_matches = !align;
  for (int64_t d = 0; d < dims; ++d) {
    const int64_t in = input.size(2 + d), out = out_shape[2 + d];
    const bool scale_is_ratio = o.size.empty() && !o.recompute_scale_factor
                                    ? static_cast<float>(1.0 / o.scale_factor[count == 1 ? 0 : d]) ==
                                          static_cast<float>(in) / static_cast<float>(out)
                                    : true;
    onednn_matches &= linear ? scale_is_ratio : out % in == 0 && scale_is_ratio;
  }
  if (onednn_matches)
    return scope.output(interpolate_on_onednn(
        input, linear ? dnnl::algorithm::resampling_linear : dnnl::algorithm::resampling_nearest, out_shape));
  return scope.output(interpolate_by_loops(input, grid, out_shape));
}

}  // namespace nabla
