// The transform classes: options checked once at construction, random parameters drawn by get_params from the
// sample's generator in torchvision's order, the work done by transforms::functional.
#include "nabla/nn/data/transforms.hpp"

#include <cmath>

#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/nn/data/generator.hpp"
#include "nabla/nn/data/image_ops.h"

namespace nabla::transforms {
namespace {

namespace F = functional;

std::array<int64_t, 2> crop_size(const std::vector<int64_t>& size, const char* who) {
  NABLA_CHECK((size.size() == 1 || size.size() == 2) && size[0] > 0 && size.back() > 0, who,
              ": size should be {s} or {h, w} of positive numbers");
  return {size[0], size.back()};
}

// {d} → [-d, d] (d ≥ 0); {a, b} → [a, b] (a ≤ b): torchvision's _setup_angle / degrees checks.
std::array<double, 2> symmetric_range(const std::vector<double>& v, const char* who, const char* name) {
  NABLA_CHECK(v.size() == 1 || v.size() == 2, who, ": ", name, " should be a single number or a sequence of 2, got ",
              v.size(), " values");
  if (v.size() == 1) {
    NABLA_CHECK(v[0] >= 0, who, ": If ", name, " is a single number, it must be positive, got ", v[0]);
    return {-v[0], v[0]};
  }
  NABLA_CHECK(v[0] <= v[1], who, ": ", name, " should be a range (min <= max), got [", v[0], ", ", v[1], "]");
  return {v[0], v[1]};
}

// ColorJitter's _check_input: {x} → [center − x, center + x] (clipped at 0 unless hue); nothing when it is the
// identity ([center, center]).
std::optional<std::array<double, 2>> jitter_range(const std::vector<double>& v, const char* name, double center,
                                                  std::array<double, 2> bound, bool clip_first_to_zero) {
  if (v.empty()) return {};
  NABLA_CHECK(v.size() <= 2, "ColorJitter: ", name, " should be a single number or a sequence of 2");
  std::array<double, 2> r{};
  if (v.size() == 1) {
    NABLA_CHECK(v[0] >= 0, "ColorJitter: If ", name, " is a single number, it must be non negative.");
    r = {center - v[0], center + v[0]};
    if (clip_first_to_zero) r[0] = std::max(r[0], 0.0);
  } else {
    r = {v[0], v[1]};
  }
  NABLA_CHECK(bound[0] <= r[0] && r[0] <= r[1] && r[1] <= bound[1], "ColorJitter: ", name,
              " values should be between [", bound[0], ", ", bound[1], "], got [", r[0], ", ", r[1], "]");
  if (r[0] == center && r[1] == center) return {};
  return r;
}

// A (C, 1, 1) tensor of per-channel fill values.
std::vector<double> channel_fill(const std::vector<double>& fill, int64_t channels) {
  if (fill.size() != 1) return fill;
  return std::vector<double>(static_cast<size_t>(channels), fill[0]);
}

// torchvision's draw of a box covering a random fraction `scale` of `area` with a log-uniform aspect ratio:
// (round(√(a·r)), round(√(a/r))). The same draws, in the same order, for RandomResizedCrop and RandomErasing.
std::array<int64_t, 2> random_box(data::Generator& g, double area, std::array<double, 2> scale,
                                  std::array<double, 2> ratio) {
  const double target = area * g.uniform(scale[0], scale[1]);
  const double aspect = std::exp(g.uniform(std::log(ratio[0]), std::log(ratio[1])));
  return {static_cast<int64_t>(std::nearbyint(std::sqrt(target * aspect))),  // size-checked: at most √(2 · area · r)
          static_cast<int64_t>(std::nearbyint(std::sqrt(target / aspect)))};
}

}  // namespace

Tensor Compose::operator()(const Tensor& image) const {
  Tensor x = image;
  for (const auto& t : transforms_) x = t(x);
  return x;
}

Normalize::Normalize(NormalizeOptions o) : options(std::move(o)) {
  NABLA_CHECK(!options.mean.empty() && !options.std.empty(), "Normalize: mean and std are required");
  for (double d : options.std) NABLA_CHECK(d != 0, "Normalize: std should not contain zeros");
}
Tensor Normalize::operator()(const Tensor& image) const { return F::normalize(image, options.mean, options.std); }

Resize::Resize(ResizeOptions o) : options(std::move(o)) { crop_size(options.size, "Resize"); }
Tensor Resize::operator()(const Tensor& image) const {
  return F::resize(image, options.size, options.interpolation, options.max_size);
}

CenterCrop::CenterCrop(std::vector<int64_t> s) : size(std::move(s)) { crop_size(size, "CenterCrop"); }

Pad::Pad(PadOptions o) : options(std::move(o)) {
  NABLA_CHECK(options.padding.size() == 1 || options.padding.size() == 2 || options.padding.size() == 4,
              "Pad: Padding must be an int or a 1, 2, or 4 element tuple, not a ", options.padding.size(),
              " element tuple");
}
Tensor Pad::operator()(const Tensor& image) const {
  return F::pad(image, options.padding, options.fill, options.padding_mode);
}

RandomCrop::RandomCrop(RandomCropOptions o) : options(std::move(o)) {
  crop_size(options.size, "RandomCrop");
  NABLA_CHECK(options.padding.empty() || options.padding.size() == 1 || options.padding.size() == 2 ||
                  options.padding.size() == 4,
              "RandomCrop: padding must be an int or a 1, 2, or 4 element tuple");
}

CropParams RandomCrop::get_params(const Tensor& image, std::array<int64_t, 2> output_size) {
  const detail::ImageShape s = detail::image_shape(image, "RandomCrop");
  const auto [th, tw] = output_size;
  NABLA_CHECK(s.height >= th && s.width >= tw, "RandomCrop: Required crop size (", th, ", ", tw,
              ") is larger than input image size (", s.height, ", ", s.width, ")");
  if (s.height == th && s.width == tw) return {0, 0, th, tw};
  auto& g = data::sample_generator();
  const int64_t i = g.randint(0, s.height - th + 1), j = g.randint(0, s.width - tw + 1);
  return {i, j, th, tw};
}

Tensor RandomCrop::operator()(const Tensor& image) const {
  Tensor x = options.padding.empty() ? image : F::pad(image, options.padding, options.fill, options.padding_mode);
  const auto [th, tw] = crop_size(options.size, "RandomCrop");
  auto s = detail::image_shape(x, "RandomCrop");
  if (options.pad_if_needed && s.width < tw) x = F::pad(x, {tw - s.width, 0}, options.fill, options.padding_mode);
  s = detail::image_shape(x, "RandomCrop");
  if (options.pad_if_needed && s.height < th) x = F::pad(x, {0, th - s.height}, options.fill, options.padding_mode);
  const CropParams p = get_params(x, {th, tw});
  return F::crop(x, p.top, p.left, p.height, p.width);
}

RandomResizedCrop::RandomResizedCrop(RandomResizedCropOptions o) : options(std::move(o)) {
  crop_size(options.size, "RandomResizedCrop");
  NABLA_CHECK(options.scale[0] <= options.scale[1] && options.ratio[0] <= options.ratio[1] && options.ratio[0] > 0,
              "RandomResizedCrop: scale and ratio should be of kind (min, max), ratio positive");
}

CropParams RandomResizedCrop::get_params(const Tensor& image, std::array<double, 2> scale,
                                         std::array<double, 2> ratio) {
  const detail::ImageShape s = detail::image_shape(image, "RandomResizedCrop");
  auto& g = data::sample_generator();
  for (int attempt = 0; attempt < 10; ++attempt) {
    const auto [w, h] = random_box(g, static_cast<double>(s.height * s.width), scale, ratio);
    if (0 < w && w <= s.width && 0 < h && h <= s.height) {
      const int64_t i = g.randint(0, s.height - h + 1), j = g.randint(0, s.width - w + 1);
      return {i, j, h, w};
    }
  }
  // Fallback to a central crop of the allowed ratio.
  const double in_ratio = static_cast<double>(s.width) / static_cast<double>(s.height);
  int64_t w = s.width, h = s.height;
  if (in_ratio < ratio[0])
    h = static_cast<int64_t>(std::nearbyint(static_cast<double>(w) / ratio[0]));
  else if (in_ratio > ratio[1])
    w = static_cast<int64_t>(std::nearbyint(static_cast<double>(h) * ratio[1]));
  return {(s.height - h) / 2, (s.width - w) / 2, h, w};
}

Tensor RandomResizedCrop::operator()(const Tensor& image) const {
  const CropParams p = get_params(image, options.scale, options.ratio);
  return F::resized_crop(image, p.top, p.left, p.height, p.width, options.size, options.interpolation);
}

RandomHorizontalFlip::RandomHorizontalFlip(double p) : p(p) {
  NABLA_CHECK(p >= 0 && p <= 1, "RandomHorizontalFlip: p should be a probability in [0, 1], got ", p);
}
Tensor RandomHorizontalFlip::operator()(const Tensor& image) const {
  return data::sample_generator().uniform() < p ? F::hflip(image) : image;
}

RandomVerticalFlip::RandomVerticalFlip(double p) : p(p) {
  NABLA_CHECK(p >= 0 && p <= 1, "RandomVerticalFlip: p should be a probability in [0, 1], got ", p);
}
Tensor RandomVerticalFlip::operator()(const Tensor& image) const {
  return data::sample_generator().uniform() < p ? F::vflip(image) : image;
}

RandomRotation::RandomRotation(RandomRotationOptions o) : options(std::move(o)) {
  symmetric_range(options.degrees, "RandomRotation", "degrees");
}
double RandomRotation::get_params(std::array<double, 2> degrees) {
  return data::sample_generator().uniform(degrees[0], degrees[1]);
}
Tensor RandomRotation::operator()(const Tensor& image) const {
  const double angle = get_params(symmetric_range(options.degrees, "RandomRotation", "degrees"));
  const auto s = detail::image_shape(image, "RandomRotation");
  return F::rotate(image, angle, options.interpolation, options.expand, options.center,
                   channel_fill(options.fill, s.channels));
}

RandomAffine::RandomAffine(RandomAffineOptions o)
    : options(std::move(o)), degree_range(symmetric_range(options.degrees, "RandomAffine", "degrees")) {
  if (options.translate)
    for (double t : *options.translate)
      NABLA_CHECK(t >= 0 && t <= 1, "RandomAffine: translation values should be between 0 and 1, got ", t);
  if (options.scale)
    NABLA_CHECK((*options.scale)[0] > 0 && (*options.scale)[0] <= (*options.scale)[1],
                "RandomAffine: scale values should be positive and a range (min <= max)");
  if (options.shear.size() == 4) {
    shear_range = options.shear;
  } else if (!options.shear.empty()) {
    const auto r = symmetric_range(options.shear, "RandomAffine", "shear");
    shear_range = {r[0], r[1]};
  }
}

AffineParams RandomAffine::get_params(std::array<double, 2> degrees, std::optional<std::array<double, 2>> translate,
                                      std::optional<std::array<double, 2>> scale_ranges,
                                      const std::vector<double>& shears, std::array<int64_t, 2> image_size) {
  auto& g = data::sample_generator();
  AffineParams p{g.uniform(degrees[0], degrees[1]), {0, 0}, 1.0, {0, 0}};
  if (translate) {
    const double max_dx = (*translate)[0] * static_cast<double>(image_size[0]);
    const double max_dy = (*translate)[1] * static_cast<double>(image_size[1]);
    p.translate[0] = std::nearbyint(g.uniform(-max_dx, max_dx));
    p.translate[1] = std::nearbyint(g.uniform(-max_dy, max_dy));
  }
  if (scale_ranges) p.scale = g.uniform((*scale_ranges)[0], (*scale_ranges)[1]);
  if (!shears.empty()) p.shear[0] = g.uniform(shears[0], shears[1]);
  if (shears.size() == 4) p.shear[1] = g.uniform(shears[2], shears[3]);
  return p;
}

Tensor RandomAffine::operator()(const Tensor& image) const {
  const auto s = detail::image_shape(image, "RandomAffine");
  const AffineParams p = get_params(degree_range, options.translate, options.scale, shear_range, {s.width, s.height});
  return F::affine(image, p.angle, p.translate, p.scale, p.shear, options.interpolation,
                   channel_fill(options.fill, s.channels), options.center);
}

ColorJitter::ColorJitter(ColorJitterOptions o)
    : brightness(jitter_range(o.brightness, "brightness", 1, {0, 1e300}, true)),
      contrast(jitter_range(o.contrast, "contrast", 1, {0, 1e300}, true)),
      saturation(jitter_range(o.saturation, "saturation", 1, {0, 1e300}, true)),
      hue(jitter_range(o.hue, "hue", 0, {-0.5, 0.5}, false)) {}

ColorJitterParams ColorJitter::get_params(std::optional<std::array<double, 2>> b,
                                          std::optional<std::array<double, 2>> c,
                                          std::optional<std::array<double, 2>> s,
                                          std::optional<std::array<double, 2>> h) {
  auto& g = data::sample_generator();
  ColorJitterParams p{};
  const auto order = g.randperm(4);
  std::copy(order.begin(), order.end(), p.order.begin());
  const auto draw = [&](const std::optional<std::array<double, 2>>& r) -> std::optional<double> {
    if (!r) return {};
    return g.uniform((*r)[0], (*r)[1]);
  };
  p.brightness = draw(b);
  p.contrast = draw(c);
  p.saturation = draw(s);
  p.hue = draw(h);
  return p;
}

Tensor ColorJitter::operator()(const Tensor& image) const {
  const ColorJitterParams p = get_params(brightness, contrast, saturation, hue);
  Tensor x = image;
  for (int64_t fn : p.order) {
    if (fn == 0 && p.brightness) x = F::adjust_brightness(x, *p.brightness);
    if (fn == 1 && p.contrast) x = F::adjust_contrast(x, *p.contrast);
    if (fn == 2 && p.saturation) x = F::adjust_saturation(x, *p.saturation);
    if (fn == 3 && p.hue) x = F::adjust_hue(x, *p.hue);
  }
  return x;
}

Grayscale::Grayscale(int64_t n) : num_output_channels(n) {
  NABLA_CHECK(n == 1 || n == 3, "Grayscale: num_output_channels should be either 1 or 3, got ", n);
}

RandomErasing::RandomErasing(RandomErasingOptions o) : options(std::move(o)) {
  NABLA_CHECK(options.p >= 0 && options.p <= 1, "RandomErasing: Random erasing probability should be between 0 and 1");
  NABLA_CHECK(options.scale[0] >= 0 && options.scale[1] <= 1 && options.scale[0] <= options.scale[1],
              "RandomErasing: Scale should be between 0 and 1, as (min, max)");
  NABLA_CHECK(options.ratio[0] > 0 && options.ratio[0] <= options.ratio[1],
              "RandomErasing: ratio should be positive, as (min, max)");
}

ErasingParams RandomErasing::get_params(const Tensor& image, std::array<double, 2> scale, std::array<double, 2> ratio,
                                        const std::vector<double>& value) {
  const detail::ImageShape s = detail::image_shape(image, "RandomErasing");
  auto& g = data::sample_generator();
  for (int attempt = 0; attempt < 10; ++attempt) {
    const auto [h, w] = random_box(g, static_cast<double>(s.height * s.width), scale, ratio);
    if (!(h < s.height && w < s.width)) continue;
    Tensor v;
    if (value.empty()) {  // "random": standard normal noise
      std::vector<float> noise(static_cast<size_t>(s.channels * h * w));
      for (float& x : noise) x = static_cast<float>(g.normal());
      v = from_vector(noise, {s.channels, h, w});
    } else {
      v = from_vector(std::vector<float>(value.begin(), value.end()), {static_cast<int64_t>(value.size()), 1, 1});
    }
    const int64_t i = g.randint(0, s.height - h + 1), j = g.randint(0, s.width - w + 1);
    return {i, j, h, w, v};
  }
  return {0, 0, s.height, s.width, image};  // no fitting region: the image erased by itself, i.e. unchanged
}

Tensor RandomErasing::operator()(const Tensor& image) const {
  const detail::ImageShape s = detail::image_shape(image, "RandomErasing");
  NABLA_CHECK(options.value.size() <= 1 || static_cast<int64_t>(options.value.size()) == s.channels,
              "RandomErasing: If value is a sequence, it should have either a single value or ", s.channels,
              " (number of input channels)");
  if (!(data::sample_generator().uniform() < options.p)) return image;
  const ErasingParams p = get_params(image, options.scale, options.ratio, options.value);
  return F::erase(image, p.i, p.j, p.h, p.w, p.value);
}

}  // namespace nabla::transforms
