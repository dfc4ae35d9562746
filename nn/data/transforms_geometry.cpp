// transforms::functional's geometry: crop, pad, flips, resize and the affine warps behind rotate and affine, each
// as torchvision 0.14 computes it on tensors (resize is F.interpolate, the warps are F.grid_sample with
// align_corners=False), in float32 in the same order of operations, so the pixels are torchvision's.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/core/shape.hpp"
#include "nabla/nn/data/image_ops.h"
#include "nabla/nn/data/transforms.hpp"

namespace nabla::transforms {
namespace detail {

ImageShape image_shape(const Tensor& image, const char* who) {
  NABLA_CHECK(image.defined() && image.dim() >= 2, who, ": expected an image tensor of shape (..., C, H, W), got ",
              image.defined() ? shape_str(image.shape()) : "an undefined tensor");
  NABLA_CHECK(image.dtype() == kUInt8 || image.dtype() == kFloat32, who, ": expected a uint8 or float32 image, got ",
              dtype_name(image.dtype()));
  const int64_t d = image.dim(), h = image.size(d - 1 - 1), w = image.size(d - 1);
  const int64_t c = d >= 3 ? image.size(d - 3) : 1;
  return {h * w * c == 0 ? 0 : image.numel() / (h * w * c), c, h, w};
}

Shape image_size(const Tensor& image, int64_t height, int64_t width) {
  Shape shape = image.shape();
  shape[shape.size() - 2] = height;
  shape[shape.size() - 1] = width;
  return shape;
}

Tensor gather(const Tensor& image, const std::vector<int64_t>& rows, const std::vector<int64_t>& cols, double fill) {
  const ImageShape s = image_shape(image, "transforms");
  const Tensor in = image.contiguous();
  Tensor out =
      empty(image_size(image, static_cast<int64_t>(rows.size()), static_cast<int64_t>(cols.size())), image.dtype());
  visit(image.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* src = in.const_data_ptr<T>();
    T* dst = out.data_ptr<T>();
    const T filler = convert<T>(fill);
    const int64_t oh = static_cast<int64_t>(rows.size()), ow = static_cast<int64_t>(cols.size());
    for (int64_t plane = 0; plane < s.images * s.channels; ++plane) {
      const T* p = src + plane * s.height * s.width;
      T* q = dst + plane * oh * ow;
      for (int64_t y = 0; y < oh; ++y) {
        const int64_t r = rows[static_cast<size_t>(y)];
        for (int64_t x = 0; x < ow; ++x) {
          const int64_t c = cols[static_cast<size_t>(x)];
          q[y * ow + x] = r < 0 || c < 0 ? filler : p[r * s.width + c];
        }
      }
    }
  });
  return out;
}

Tensor to_float(const Tensor& image) { return image.to(kFloat32).contiguous(); }

Tensor from_float(const Tensor& image, Dtype dtype) {
  if (dtype == kFloat32) return image;
  const Tensor rounded = empty(image.shape(), kFloat32);
  const float* in = image.const_data_ptr<float>();
  float* out = rounded.data_ptr<float>();
  const int64_t n = image.numel();
  for (int64_t i = 0; i < n; ++i) out[i] = std::nearbyint(in[i]);  // torch.round: half to even
  return rounded.to(dtype);
}

}  // namespace detail

namespace functional {
namespace {

std::vector<int64_t> iota(int64_t begin, int64_t count) {
  std::vector<int64_t> v(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) v[static_cast<size_t>(i)] = begin + i;
  return v;
}

// The source index of each output position along an axis of length n padded by (before, after): -1 for the fill.
std::vector<int64_t> padded_axis(int64_t n, int64_t before, int64_t after, PaddingMode mode) {
  NABLA_CHECK(n + before + after >= 0, "pad: padding (", before, ", ", after, ") removes more than the ", n,
              " pixels of the side");
  NABLA_CHECK(mode != PaddingMode::reflect || (before < n && after < n), "pad: padding size should be less than the ",
              "corresponding input dimension for reflect mode, but got padding (", before, ", ", after,
              ") at dimension of size ", n);
  std::vector<int64_t> index = iota(-before, n + before + after);
  for (int64_t& i : index) {
    if (i >= 0 && i < n) continue;
    switch (mode) {
      case PaddingMode::constant: i = -1; break;
      case PaddingMode::edge: i = i < 0 ? 0 : n - 1; break;
      case PaddingMode::reflect: i = i < 0 ? -i : 2 * n - 2 - i; break;
      case PaddingMode::symmetric:
        while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - 1 - i;
        break;
    }
  }
  return index;
}

std::array<int64_t, 2> size_pair(const std::vector<int64_t>& size, const char* who) {
  NABLA_CHECK(size.size() == 1 || size.size() == 2, who, ": size should be {s} or {h, w}, got ", size.size(),
              " values");
  return {size[0], size.back()};
}

// ATen's upsample_bilinear2d index and weights along one axis (align_corners=False), in float as ATen has them.
struct LinearAxis {
  std::vector<int64_t> i0, i1;
  std::vector<float> w0, w1;
};
LinearAxis linear_axis(int64_t in, int64_t out) {
  LinearAxis a;
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  for (int64_t o = 0; o < out; ++o) {
    // ATen: float scale × (o + 0.5) − 0.5 evaluated in double (the 0.5s are doubles), rounded once to float.
    float src = static_cast<float>(static_cast<double>(scale) * (static_cast<double>(o) + 0.5) - 0.5);
    src = src < 0 ? 0 : src;
    const auto i0 = static_cast<int64_t>(src);
    const float l1 = std::min(std::max(src - static_cast<float>(i0), 0.f), 1.f);
    a.i0.push_back(i0);
    a.i1.push_back(i0 + (i0 < in - 1 ? 1 : 0));
    a.w0.push_back(1.f - l1);
    a.w1.push_back(l1);
  }
  return a;
}

// ATen's nearest index (upsample_nearest2d): floor(o · in/out) in float, capped.
std::vector<int64_t> nearest_axis(int64_t in, int64_t out) {
  std::vector<int64_t> v;
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  for (int64_t o = 0; o < out; ++o) {
    // size-checked: o < out, so o · in/out < in
    const auto scaled = static_cast<int64_t>(std::floor(static_cast<float>(o) * scale));
    v.push_back(out == in ? o : out == 2 * in ? o >> 1 : std::min(scaled, in - 1));
  }
  return v;
}

// torchvision's _get_inverse_affine_matrix: output pixel → input pixel, about `center` (relative to the image's).
std::array<double, 6> inverse_affine_matrix(std::array<double, 2> center, double angle, std::array<double, 2> translate,
                                            double scale, std::array<double, 2> shear) {
  const double rot = angle * std::numbers::pi / 180, sx = shear[0] * std::numbers::pi / 180,
               sy = shear[1] * std::numbers::pi / 180;
  const auto [cx, cy] = center;
  const auto [tx, ty] = translate;
  const double a = std::cos(rot - sy) / std::cos(sy);
  const double b = -std::cos(rot - sy) * std::tan(sx) / std::cos(sy) - std::sin(rot);
  const double c = std::sin(rot - sy) / std::cos(sy);
  const double d = -std::sin(rot - sy) * std::tan(sx) / std::cos(sy) + std::cos(rot);
  std::array<double, 6> m = {d, -b, 0.0, -c, a, 0.0};
  for (double& v : m) v /= scale;
  m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty);
  m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty);
  m[2] += cx;
  m[5] += cy;
  return m;
}

// torchvision's _compute_affine_output_size (rotate with expand=True).
std::array<int64_t, 2> affine_output_size(const std::array<double, 6>& m, int64_t w, int64_t h) {
  const double pts[4][2] = {{-0.5 * w, -0.5 * h}, {-0.5 * w, 0.5 * h}, {0.5 * w, 0.5 * h}, {0.5 * w, -0.5 * h}};
  double lo[2] = {1e300, 1e300}, hi[2] = {-1e300, -1e300};
  for (const auto& p : pts)
    for (int k = 0; k < 2; ++k) {
      const auto v = static_cast<float>(m[3 * k] * p[0] + m[3 * k + 1] * p[1] + m[3 * k + 2]);
      lo[k] = std::min<double>(lo[k], v);
      hi[k] = std::max<double>(hi[k], v);
    }
  constexpr double tol = 1e-4;  // shifted to [0, w] × [0, h], as PIL; truncated to 1e-4 so that 1e-15 is not a pixel
  std::array<int64_t, 2> size{};
  for (int k = 0; k < 2; ++k) {
    const auto half = static_cast<float>(0.5 * static_cast<double>(k == 0 ? w : h));
    const float high = static_cast<float>(hi[k]) + half, low = static_cast<float>(lo[k]) + half;
    size[static_cast<size_t>(k)] = checked_cast_to_int64(
        std::ceil(std::trunc(high / tol) * tol) - std::floor(std::trunc(low / tol) * tol), "rotate: the expanded size");
  }
  return size;  // {ow, oh}
}

// torchvision's _gen_affine_grid + _apply_grid_transform: grid_sample (zeros padding, align_corners=False) of each
// output pixel's source point, with `fill` where the source falls outside (by nearest, or blended by the bilinear
// weight of the image inside).
Tensor warp(const Tensor& image, const std::array<double, 6>& matrix, int64_t ow, int64_t oh,
            InterpolationMode interpolation, const std::vector<double>& fill, const char* who) {
  const detail::ImageShape s = detail::image_shape(image, who);
  NABLA_CHECK(fill.empty() || fill.size() == 1 || static_cast<int64_t>(fill.size()) == s.channels, who,
              ": the fill should have one value or one per channel (", s.channels, "), got ", fill.size());
  const Tensor in = detail::to_float(image);
  Tensor out = empty(detail::image_size(image, oh, ow), kFloat32);
  const float* src = in.const_data_ptr<float>();
  float* dst = out.data_ptr<float>();
  const auto w = static_cast<float>(s.width), h = static_cast<float>(s.height);
  const float t[2][3] = {{static_cast<float>(matrix[0]) / (0.5f * w), static_cast<float>(matrix[1]) / (0.5f * w),
                          static_cast<float>(matrix[2]) / (0.5f * w)},
                         {static_cast<float>(matrix[3]) / (0.5f * h), static_cast<float>(matrix[4]) / (0.5f * h),
                          static_cast<float>(matrix[5]) / (0.5f * h)}};
  for (int64_t y = 0; y < oh; ++y) {
    const float gy0 = static_cast<float>(y) - static_cast<float>(oh) * 0.5f + 0.5f;
    for (int64_t x = 0; x < ow; ++x) {
      const float gx0 = static_cast<float>(x) - static_cast<float>(ow) * 0.5f + 0.5f;
      const float gx = gx0 * t[0][0] + gy0 * t[0][1] + t[0][2], gy = gx0 * t[1][0] + gy0 * t[1][1] + t[1][2];
      // Beyond a pixel outside the image a source point samples only zeros: clamped there, the casts stay defined
      // for any matrix (a scale of 1e-30, a NaN angle).
      const auto bounded = [](float v, float size) { return std::isnan(v) ? -2.f : std::clamp(v, -2.f, size + 1.f); };
      const float ix = bounded(((gx + 1.f) * w - 1.f) / 2.f, w), iy = bounded(((gy + 1.f) * h - 1.f) / 2.f, h);
      // Up to four source pixels and weights; those outside weigh nothing (zeros padding).
      int64_t px[4], py[4];
      float wt[4];
      int taps = 0;
      if (interpolation == InterpolationMode::NEAREST) {
        px[0] = static_cast<int64_t>(std::nearbyint(ix)), py[0] = static_cast<int64_t>(std::nearbyint(iy)), wt[0] = 1;
        taps = 1;
      } else {
        // ATen's grid_sampler_2d weights: each corner's by the opposite corner's distances.
        const float fx = std::floor(ix), fy = std::floor(iy), east = fx + 1 - ix, south = fy + 1 - iy;
        const float west = ix - fx, north = iy - fy;
        const auto x0 = static_cast<int64_t>(fx), y0 = static_cast<int64_t>(fy);
        const int64_t xs[4] = {x0, x0 + 1, x0, x0 + 1}, ys[4] = {y0, y0, y0 + 1, y0 + 1};
        const float ws[4] = {east * south, west * south, east * north, west * north};
        for (int k = 0; k < 4; ++k) px[k] = xs[k], py[k] = ys[k], wt[k] = ws[k];
        taps = 4;
      }
      float inside = 0;  // the sampled mask channel
      for (int k = 0; k < taps; ++k)
        if (px[k] < 0 || px[k] >= s.width || py[k] < 0 || py[k] >= s.height)
          wt[k] = 0;
        else
          inside += wt[k];
      for (int64_t plane = 0; plane < s.images * s.channels; ++plane) {
        const float* p = src + plane * s.height * s.width;
        float v = 0;
        for (int k = 0; k < taps; ++k)
          if (wt[k] != 0) v += wt[k] * p[py[k] * s.width + px[k]];
        if (!fill.empty()) {
          const auto f = static_cast<float>(fill.size() == 1 ? fill[0] : fill[static_cast<size_t>(plane % s.channels)]);
          if (interpolation == InterpolationMode::NEAREST)
            v = inside < 0.5f ? f : v;
          else
            v = v * inside + (1.f - inside) * f;
        }
        dst[(plane * oh + y) * ow + x] = v;
      }
    }
  }
  return detail::from_float(out, image.dtype());
}

std::array<double, 2> relative_center(const std::optional<std::array<double, 2>>& center, int64_t w, int64_t h) {
  if (!center) return {0.0, 0.0};
  return {(*center)[0] - static_cast<double>(w) * 0.5, (*center)[1] - static_cast<double>(h) * 0.5};
}

}  // namespace

Tensor crop(const Tensor& image, int64_t top, int64_t left, int64_t height, int64_t width) {
  const detail::ImageShape s = detail::image_shape(image, "crop");
  NABLA_CHECK(height >= 0 && width >= 0, "crop: expected a non-negative height and width, got ", height, " and ",
              width);
  std::vector<int64_t> rows = iota(top, height), cols = iota(left, width);
  for (int64_t& r : rows) r = r >= 0 && r < s.height ? r : -1;  // outside: zeros, as torchvision pads
  for (int64_t& c : cols) c = c >= 0 && c < s.width ? c : -1;
  return detail::gather(image, rows, cols);
}

Tensor center_crop(const Tensor& image, const std::vector<int64_t>& output_size) {
  const detail::ImageShape s = detail::image_shape(image, "center_crop");
  const auto [ch, cw] = size_pair(output_size, "center_crop");
  // torchvision pads a crop larger than the image first; the zero border then splits as (d // 2, (d + 1) // 2).
  const int64_t pad_top = ch > s.height ? (ch - s.height) / 2 : 0, pad_left = cw > s.width ? (cw - s.width) / 2 : 0;
  const int64_t h = std::max(s.height, ch), w = std::max(s.width, cw);
  const auto top = static_cast<int64_t>(std::nearbyint(static_cast<double>(h - ch) / 2.0)) - pad_top;
  const auto left = static_cast<int64_t>(std::nearbyint(static_cast<double>(w - cw) / 2.0)) - pad_left;
  return crop(image, top, left, ch, cw);
}

Tensor pad(const Tensor& image, const std::vector<int64_t>& padding, double fill, PaddingMode padding_mode) {
  const detail::ImageShape s = detail::image_shape(image, "pad");
  NABLA_CHECK(padding.size() == 1 || padding.size() == 2 || padding.size() == 4,
              "pad: Padding must be an int or a 1, 2, or 4 element tuple, not a ", padding.size(), " element tuple");
  const int64_t left = padding[0], top = padding.size() == 1 ? padding[0] : padding[1];
  const int64_t right = padding.size() == 4 ? padding[2] : left, bottom = padding.size() == 4 ? padding[3] : top;
  return detail::gather(image, padded_axis(s.height, top, bottom, padding_mode),
                        padded_axis(s.width, left, right, padding_mode), fill);
}

Tensor hflip(const Tensor& image) {
  const detail::ImageShape s = detail::image_shape(image, "hflip");
  std::vector<int64_t> cols = iota(0, s.width);
  std::reverse(cols.begin(), cols.end());
  return detail::gather(image, iota(0, s.height), cols);
}

Tensor vflip(const Tensor& image) {
  const detail::ImageShape s = detail::image_shape(image, "vflip");
  std::vector<int64_t> rows = iota(0, s.height);
  std::reverse(rows.begin(), rows.end());
  return detail::gather(image, rows, iota(0, s.width));
}

Tensor resize(const Tensor& image, const std::vector<int64_t>& size, InterpolationMode interpolation,
              std::optional<int64_t> max_size) {
  const detail::ImageShape s = detail::image_shape(image, "resize");
  NABLA_CHECK(size.size() == 1 || size.size() == 2,
              "resize: Size must be an int or a 1 or 2 element tuple/list, not a ", size.size(), " element tuple/list");
  NABLA_CHECK(!max_size || size.size() == 1,
              "resize: max_size should only be passed if size specifies the length of "
              "the smaller edge, i.e. size should be an int or a sequence of length 1");
  int64_t oh = size[0], ow = size.back();
  if (size.size() == 1) {  // torchvision's _compute_resized_output_size
    const bool wide = s.width > s.height;
    const int64_t shorter = wide ? s.height : s.width, longer = wide ? s.width : s.height;
    int64_t new_short = size[0], new_long = static_cast<int64_t>(static_cast<double>(size[0]) * longer / shorter);
    if (max_size) {
      NABLA_CHECK(*max_size > new_short, "resize: max_size = ", *max_size,
                  " must be strictly greater than the "
                  "requested size for the smaller edge size = ",
                  new_short);
      if (new_long > *max_size) {
        new_short = static_cast<int64_t>(static_cast<double>(*max_size) * new_short / new_long);
        new_long = *max_size;
      }
    }
    oh = wide ? new_short : new_long;
    ow = wide ? new_long : new_short;
  }
  NABLA_CHECK(oh > 0 && ow > 0, "resize: the output size (", oh, ", ", ow, ") of a ", s.height, " x ", s.width,
              " image must be positive");
  if (oh == s.height && ow == s.width) return image;
  if (interpolation == InterpolationMode::NEAREST)
    return detail::gather(image, nearest_axis(s.height, oh), nearest_axis(s.width, ow));
  const LinearAxis ay = linear_axis(s.height, oh), ax = linear_axis(s.width, ow);
  const Tensor in = detail::to_float(image);
  Tensor out = empty(detail::image_size(image, oh, ow), kFloat32);
  const float* src = in.const_data_ptr<float>();
  float* dst = out.data_ptr<float>();
  for (int64_t plane = 0; plane < s.images * s.channels; ++plane) {
    const float* p = src + plane * s.height * s.width;
    for (int64_t y = 0; y < oh; ++y) {
      const auto yi = static_cast<size_t>(y);
      const float* r0 = p + ay.i0[yi] * s.width;
      const float* r1 = p + ay.i1[yi] * s.width;
      float* q = dst + (plane * oh + y) * ow;
      for (int64_t x = 0; x < ow; ++x) {
        const auto xi = static_cast<size_t>(x);
        const float top = r0[ax.i0[xi]] * ax.w0[xi] + r0[ax.i1[xi]] * ax.w1[xi];
        const float bottom = r1[ax.i0[xi]] * ax.w0[xi] + r1[ax.i1[xi]] * ax.w1[xi];
        q[x] = top * ay.w0[yi] + bottom * ay.w1[yi];
      }
    }
  }
  return detail::from_float(out, image.dtype());
}

Tensor resized_crop(const Tensor& image, int64_t top, int64_t left, int64_t height, int64_t width,
                    const std::vector<int64_t>& size, InterpolationMode interpolation) {
  return resize(crop(image, top, left, height, width), size, interpolation);
}

Tensor rotate(const Tensor& image, double angle, InterpolationMode interpolation, bool expand,
              std::optional<std::array<double, 2>> center, const std::vector<double>& fill) {
  const detail::ImageShape s = detail::image_shape(image, "rotate");
  const auto matrix = inverse_affine_matrix(relative_center(center, s.width, s.height), -angle, {0, 0}, 1.0, {0, 0});
  const auto [ow, oh] = expand ? affine_output_size(matrix, s.width, s.height) : std::array{s.width, s.height};
  return warp(image, matrix, ow, oh, interpolation, fill, "rotate");
}

Tensor affine(const Tensor& image, double angle, std::array<double, 2> translate, double scale,
              std::array<double, 2> shear, InterpolationMode interpolation, const std::vector<double>& fill,
              std::optional<std::array<double, 2>> center) {
  const detail::ImageShape s = detail::image_shape(image, "affine");
  NABLA_CHECK(scale > 0, "affine: Argument scale should be positive, got ", scale);
  const auto matrix = inverse_affine_matrix(relative_center(center, s.width, s.height), angle, translate, scale, shear);
  return warp(image, matrix, s.width, s.height, interpolation, fill, "affine");
}

}  // namespace functional
}  // namespace nabla::transforms
