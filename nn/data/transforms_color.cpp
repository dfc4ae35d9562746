// transforms::functional's colour and value operations, as torchvision 0.14's functional_tensor computes them:
// float32 arithmetic in the same order, and truncation (not rounding) where torchvision casts back to uint8.
#include <algorithm>
#include <cmath>

#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/core/shape.hpp"
#include "nabla/nn/data/image_ops.h"
#include "nabla/nn/data/transforms.hpp"

namespace nabla::transforms::functional {
namespace {

void check_channels(const detail::ImageShape& s, const char* who) {
  NABLA_CHECK(s.channels == 1 || s.channels == 3, who,
              ": Input image tensor permitted channel values are [1, 3], but found ", s.channels);
}

// float32 values cast back to `dtype` as Tensor.to does: uint8 truncates.
Tensor cast_back(const Tensor& values, Dtype dtype) { return dtype == kFloat32 ? values : values.to(dtype); }

// The grey plane of each image (0.2989 R + 0.587 G + 0.114 B in float32, cast to the image's dtype), as float32.
Tensor grey_planes(const Tensor& image, const detail::ImageShape& s) {
  const Tensor in = detail::to_float(image);
  Tensor out = empty({s.images, 1, s.height, s.width}, kFloat32);
  const float* src = in.const_data_ptr<float>();
  float* dst = out.data_ptr<float>();
  const int64_t plane = s.height * s.width;
  const bool truncate = image.dtype() == kUInt8;
  for (int64_t n = 0; n < s.images; ++n) {
    const float* rgb = src + n * s.channels * plane;
    for (int64_t i = 0; i < plane; ++i) {
      const float l =
          s.channels == 1 ? rgb[i] : 0.2989f * rgb[i] + 0.587f * rgb[plane + i] + 0.114f * rgb[2 * plane + i];
      dst[n * plane + i] = truncate ? std::trunc(l) : l;
    }
  }
  return out;
}

// torchvision's _blend: ratio·image + (1 − ratio)·other, clamped to the dtype's range, cast back. `other` holds one
// value per image (other_plane 0), or one plane per image broadcast over the channels.
Tensor blend(const Tensor& image, const detail::ImageShape& s, const float* other, int64_t other_plane, double ratio) {
  const Tensor in = detail::to_float(image);
  Tensor out = empty(image.shape(), kFloat32);
  const float* src = in.const_data_ptr<float>();
  float* dst = out.data_ptr<float>();
  const auto a = static_cast<float>(ratio), b = static_cast<float>(1.0 - ratio);
  const float bound = image.dtype() == kUInt8 ? 255.f : 1.f;
  const int64_t plane = s.height * s.width;
  for (int64_t n = 0; n < s.images; ++n)
    for (int64_t c = 0; c < s.channels; ++c) {
      const int64_t at = (n * s.channels + c) * plane;
      const float* o = other + n * (other_plane == 0 ? 1 : other_plane);
      for (int64_t i = 0; i < plane; ++i)
        dst[at + i] = std::clamp(a * src[at + i] + b * o[other_plane == 0 ? 0 : i], 0.f, bound);
    }
  return cast_back(out, image.dtype());
}

}  // namespace

Tensor convert_image_dtype(const Tensor& image, Dtype dtype) {
  detail::image_shape(image, "convert_image_dtype");
  NABLA_CHECK(dtype == kUInt8 || dtype == kFloat32, "convert_image_dtype: converts between uint8 and float32, not to ",
              dtype_name(dtype));
  if (image.dtype() == dtype) return image;
  const Tensor in = image.contiguous();
  Tensor out = empty(image.shape(), kFloat32);
  float* dst = out.data_ptr<float>();
  const int64_t n = image.numel();
  if (dtype == kFloat32) {  // uint8 → float: / 255
    const uint8_t* src = in.const_data_ptr<uint8_t>();
    for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(src[i]) / 255.f;
    return out;
  }
  // float → uint8: × (255 + 1 − 1e-3), truncated, so that 1.0 is 255 and the 256 bins are equal.
  const float* src = in.const_data_ptr<float>();
  for (int64_t i = 0; i < n; ++i) dst[i] = src[i] * 255.999f;
  return cast_back(out, dtype);
}

Tensor to_tensor(const Tensor& image) {
  const detail::ImageShape s = detail::image_shape(image, "ToTensor");
  (void)s;
  NABLA_CHECK(image.dtype() == kUInt8, "ToTensor: expected a uint8 image (as read_image gives), got ",
              dtype_name(image.dtype()), " (use ConvertImageDtype for float images)");
  return convert_image_dtype(image, kFloat32);
}

Tensor normalize(const Tensor& image, const std::vector<double>& mean, const std::vector<double>& std) {
  const detail::ImageShape s = detail::image_shape(image, "normalize");
  NABLA_CHECK(image.dtype() == kFloat32, "normalize: Input tensor should be a float tensor. Got ",
              dtype_name(image.dtype()), " (convert it first, e.g. with ToTensor)");
  const auto per_channel = [&](const std::vector<double>& v, const char* name) {
    NABLA_CHECK(v.size() == 1 || static_cast<int64_t>(v.size()) == s.channels, "normalize: ", name,
                " should have one value or one per channel (", s.channels, "), got ", v.size());
  };
  per_channel(mean, "mean");
  per_channel(std, "std");
  for (double d : std)
    NABLA_CHECK(static_cast<float>(d) != 0.f,
                "normalize: std evaluated to zero after conversion to float32, leading "
                "to division by zero.");
  const Tensor in = image.contiguous();
  Tensor out = empty(image.shape(), kFloat32);
  const float* src = in.const_data_ptr<float>();
  float* dst = out.data_ptr<float>();
  const int64_t plane = s.height * s.width;
  for (int64_t n = 0; n < s.images; ++n)
    for (int64_t c = 0; c < s.channels; ++c) {
      const auto m = static_cast<float>(mean.size() == 1 ? mean[0] : mean[static_cast<size_t>(c)]);
      const auto d = static_cast<float>(std.size() == 1 ? std[0] : std[static_cast<size_t>(c)]);
      const int64_t at = (n * s.channels + c) * plane;
      for (int64_t i = 0; i < plane; ++i) dst[at + i] = (src[at + i] - m) / d;
    }
  return out;
}

Tensor rgb_to_grayscale(const Tensor& image, int64_t num_output_channels) {
  const detail::ImageShape s = detail::image_shape(image, "rgb_to_grayscale");
  check_channels(s, "rgb_to_grayscale");
  NABLA_CHECK(num_output_channels == 1 || num_output_channels == 3,
              "rgb_to_grayscale: num_output_channels should be either 1 or 3, got ", num_output_channels);
  Tensor grey = cast_back(grey_planes(image, s), image.dtype());
  Shape shape = image.shape();
  if (image.dim() >= 3) shape[shape.size() - 3] = 1;
  grey = grey.reshape(shape);
  if (num_output_channels == 1 || image.dim() < 3) return grey;
  shape[shape.size() - 3] = 3;
  return grey.expand(shape).contiguous();
}

Tensor adjust_brightness(const Tensor& image, double brightness_factor) {
  const detail::ImageShape s = detail::image_shape(image, "adjust_brightness");
  NABLA_CHECK(brightness_factor >= 0, "adjust_brightness: brightness_factor (", brightness_factor,
              ") is not non-negative.");
  check_channels(s, "adjust_brightness");
  const std::vector<float> zero(static_cast<size_t>(s.images), 0.f);
  return blend(image, s, zero.data(), 0, brightness_factor);
}

Tensor adjust_contrast(const Tensor& image, double contrast_factor) {
  const detail::ImageShape s = detail::image_shape(image, "adjust_contrast");
  NABLA_CHECK(contrast_factor >= 0, "adjust_contrast: contrast_factor (", contrast_factor, ") is not non-negative.");
  check_channels(s, "adjust_contrast");
  const Tensor grey = grey_planes(image, s);
  const float* g = grey.const_data_ptr<float>();
  const int64_t plane = s.height * s.width;
  std::vector<float> means;
  for (int64_t n = 0; n < s.images; ++n) {
    double sum = 0;  // the mean over (C, H, W) of the grey image; each channel of a grey image is that plane
    for (int64_t i = 0; i < plane; ++i) sum += g[n * plane + i];
    means.push_back(static_cast<float>(sum / static_cast<double>(plane)));
  }
  return blend(image, s, means.data(), 0, contrast_factor);
}

Tensor adjust_saturation(const Tensor& image, double saturation_factor) {
  const detail::ImageShape s = detail::image_shape(image, "adjust_saturation");
  NABLA_CHECK(saturation_factor >= 0, "adjust_saturation: saturation_factor (", saturation_factor,
              ") is not non-negative.");
  check_channels(s, "adjust_saturation");
  if (s.channels == 1) return image;
  const Tensor grey = grey_planes(image, s);
  return blend(image, s, grey.const_data_ptr<float>(), s.height * s.width, saturation_factor);
}

Tensor adjust_hue(const Tensor& image, double hue_factor) {
  const detail::ImageShape s = detail::image_shape(image, "adjust_hue");
  NABLA_CHECK(hue_factor >= -0.5 && hue_factor <= 0.5, "adjust_hue: hue_factor (", hue_factor,
              ") is not in [-0.5, 0.5].");
  check_channels(s, "adjust_hue");
  if (s.channels == 1) return image;
  const Tensor in = detail::to_float(image);
  Tensor out = empty(image.shape(), kFloat32);
  const float* src = in.const_data_ptr<float>();
  float* dst = out.data_ptr<float>();
  const int64_t plane = s.height * s.width;
  const bool bytes = image.dtype() == kUInt8;
  const auto shift = static_cast<float>(hue_factor);
  for (int64_t n = 0; n < s.images; ++n)
    for (int64_t i = 0; i < plane; ++i) {
      const int64_t at = n * 3 * plane + i;
      float rgb[3];
      for (int c = 0; c < 3; ++c) rgb[c] = bytes ? src[at + c * plane] / 255.f : src[at + c * plane];
      // torchvision's _rgb2hsv
      const float r = rgb[0], g = rgb[1], b = rgb[2];
      const float maxc = std::max({r, g, b}), minc = std::min({r, g, b}), cr = maxc - minc;
      const bool eqc = maxc == minc;
      const float sat = cr / (eqc ? 1.f : maxc), divisor = eqc ? 1.f : cr;
      const float rc = (maxc - r) / divisor, gc = (maxc - g) / divisor, bc = (maxc - b) / divisor;
      const float hr = maxc == r ? bc - gc : 0.f;
      const float hg = maxc == g && maxc != r ? 2.f + rc - bc : 0.f;
      const float hb = maxc != g && maxc != r ? 4.f + gc - rc : 0.f;
      float h = std::fmod((hr + hg + hb) / 6.f + 1.f, 1.f);
      h = h + shift;
      h = h - std::floor(h / 1.f) * 1.f;  // Python's % (torch.remainder)
      // torchvision's _hsv2rgb
      const float v = maxc, i6 = std::floor(h * 6.f), f = h * 6.f - i6;
      const float p = std::clamp(v * (1.f - sat), 0.f, 1.f), q = std::clamp(v * (1.f - sat * f), 0.f, 1.f);
      const float t = std::clamp(v * (1.f - sat * (1.f - f)), 0.f, 1.f);
      const int sector = ((static_cast<int>(i6) % 6) + 6) % 6;
      const float table[6][3] = {{v, t, p}, {q, v, p}, {p, v, t}, {p, q, v}, {t, p, v}, {v, p, q}};
      for (int c = 0; c < 3; ++c) dst[at + c * plane] = bytes ? table[sector][c] * 255.f : table[sector][c];
    }
  return cast_back(out, image.dtype());
}

Tensor erase(const Tensor& image, int64_t i, int64_t j, int64_t h, int64_t w, const Tensor& value) {
  const detail::ImageShape s = detail::image_shape(image, "erase");
  NABLA_CHECK(i >= 0 && j >= 0 && h >= 0 && w >= 0 && i <= s.height - h && j <= s.width - w, "erase: the region (i=", i,
              ", j=", j, ", h=", h, ", w=", w, ") does not fit in a ", s.height, " x ", s.width, " image");
  NABLA_CHECK(
      value.defined() && (value.numel() == 1 || value.numel() == s.channels || value.numel() == s.channels * h * w),
      "erase: value should hold one number, one per channel or (C, h, w) numbers, got ",
      value.defined() ? shape_str(value.shape()) : "undefined");
  Tensor out = image.contiguous().clone();
  const Tensor v = value.to(kFloat32).contiguous();
  const float* values = v.const_data_ptr<float>();
  const int64_t per_channel = value.numel() == s.channels * h * w ? h * w : value.numel() == 1 ? 0 : 1;
  visit(image.dtype(), [&](auto zero) {
    using T = decltype(zero);
    T* p = out.data_ptr<T>();
    for (int64_t n = 0; n < s.images; ++n)
      for (int64_t c = 0; c < s.channels; ++c)
        for (int64_t y = 0; y < h; ++y)
          for (int64_t x = 0; x < w; ++x) {
            const float f = values[per_channel == 0 ? 0 : c * per_channel + (per_channel == 1 ? 0 : y * w + x)];
            p[((n * s.channels + c) * s.height + i + y) * s.width + j + x] = convert<T>(f);
          }
  });
  return out;
}

}  // namespace nabla::transforms::functional
