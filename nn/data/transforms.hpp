#pragma once
/// @file
/// Image transforms with torchvision.transforms' names, parameters and semantics (torchvision 0.14, on tensors):
/// images are uint8 or float32 tensors of shape (..., C, H, W). Random transforms draw from data::sample_generator(),
/// which a DataLoader seeds per sample; each has a static get_params, as torchvision's, and applies the matching
/// function of transforms::functional (torchvision.transforms.functional), so its output for given parameters is
/// torchvision's.
///
///   auto augment = transforms::Compose({transforms::RandomCrop({.size = {28}, .padding = {2}}),
///                                       transforms::RandomHorizontalFlip(),
///                                       transforms::ToTensor(),
///                                       transforms::Normalize({.mean = {0.2860}, .std = {0.3530}})});
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla::transforms {

using Transform = std::function<Tensor(const Tensor&)>;

enum class InterpolationMode { NEAREST, BILINEAR };
enum class PaddingMode { constant, edge, reflect, symmetric };

namespace functional {
/// uint8 → float32 in [0, 1]; float32 → uint8 as torchvision (× 255.999, truncated); same dtype: unchanged.
Tensor convert_image_dtype(const Tensor& image, Dtype dtype = kFloat32);
Tensor to_tensor(const Tensor& image);  ///< a uint8 image as float32 in [0, 1]
Tensor normalize(const Tensor& image, const std::vector<double>& mean, const std::vector<double>& std);
/// size: {h, w}, or {s}: the smaller edge becomes s, keeping the aspect ratio (max_size caps the longer one).
Tensor resize(const Tensor& image, const std::vector<int64_t>& size,
              InterpolationMode interpolation = InterpolationMode::BILINEAR, std::optional<int64_t> max_size = {});
Tensor crop(const Tensor& image, int64_t top, int64_t left, int64_t height, int64_t width);  ///< zeros outside
Tensor center_crop(const Tensor& image, const std::vector<int64_t>& output_size);
Tensor resized_crop(const Tensor& image, int64_t top, int64_t left, int64_t height, int64_t width,
                    const std::vector<int64_t>& size, InterpolationMode interpolation = InterpolationMode::BILINEAR);
/// padding: {all}, {left/right, top/bottom} or {left, top, right, bottom}; negative values crop.
Tensor pad(const Tensor& image, const std::vector<int64_t>& padding, double fill = 0,
           PaddingMode padding_mode = PaddingMode::constant);
Tensor hflip(const Tensor& image);
Tensor vflip(const Tensor& image);
/// Degrees counter-clockwise about the centre (or `center`, in pixels); outside the image: `fill` (per channel or one).
Tensor rotate(const Tensor& image, double angle, InterpolationMode interpolation = InterpolationMode::NEAREST,
              bool expand = false, std::optional<std::array<double, 2>> center = {},
              const std::vector<double>& fill = {});
Tensor affine(const Tensor& image, double angle, std::array<double, 2> translate, double scale,
              std::array<double, 2> shear, InterpolationMode interpolation = InterpolationMode::NEAREST,
              const std::vector<double>& fill = {}, std::optional<std::array<double, 2>> center = {});
Tensor rgb_to_grayscale(const Tensor& image, int64_t num_output_channels = 1);
Tensor adjust_brightness(const Tensor& image, double brightness_factor);
Tensor adjust_contrast(const Tensor& image, double contrast_factor);
Tensor adjust_saturation(const Tensor& image, double saturation_factor);
Tensor adjust_hue(const Tensor& image, double hue_factor);  ///< hue_factor in [-0.5, 0.5]
/// Sets image[..., i:i+h, j:j+w] to `value` (broadcast over the region: (C, h, w), (C, 1, 1) or a scalar tensor).
Tensor erase(const Tensor& image, int64_t i, int64_t j, int64_t h, int64_t w, const Tensor& value);
}  // namespace functional

/// Applies the transforms in order.
class Compose {
 public:
  explicit Compose(std::vector<Transform> transforms) : transforms_(std::move(transforms)) {}
  Tensor operator()(const Tensor& image) const;

 private:
  std::vector<Transform> transforms_;
};

struct ToTensor {
  Tensor operator()(const Tensor& image) const { return functional::to_tensor(image); }
};

struct ConvertImageDtype {
  explicit ConvertImageDtype(Dtype dtype) : dtype(dtype) {}
  Tensor operator()(const Tensor& image) const { return functional::convert_image_dtype(image, dtype); }
  Dtype dtype;
};

struct NormalizeOptions {
  std::vector<double> mean;  ///< per channel, or one for all
  std::vector<double> std;
};
struct Normalize {
  explicit Normalize(NormalizeOptions options);
  Tensor operator()(const Tensor& image) const;
  NormalizeOptions options;
};

struct ResizeOptions {
  std::vector<int64_t> size;  ///< {h, w}, or {s}: the smaller edge
  InterpolationMode interpolation = InterpolationMode::BILINEAR;
  std::optional<int64_t> max_size{};
};
struct Resize {
  explicit Resize(ResizeOptions options);
  Tensor operator()(const Tensor& image) const;
  ResizeOptions options;
};

struct CenterCrop {
  explicit CenterCrop(std::vector<int64_t> size);  ///< {h, w} or {s}: square
  Tensor operator()(const Tensor& image) const { return functional::center_crop(image, size); }
  std::vector<int64_t> size;
};

struct PadOptions {
  std::vector<int64_t> padding;
  double fill = 0;
  PaddingMode padding_mode = PaddingMode::constant;
};
struct Pad {
  explicit Pad(PadOptions options);
  Tensor operator()(const Tensor& image) const;
  PadOptions options;
};

struct CropParams {
  int64_t top, left, height, width;
};

struct RandomCropOptions {
  std::vector<int64_t> size;       ///< {h, w} or {s}
  std::vector<int64_t> padding{};  ///< as Pad's, applied first
  bool pad_if_needed = false;
  double fill = 0;
  PaddingMode padding_mode = PaddingMode::constant;
};
struct RandomCrop {
  explicit RandomCrop(RandomCropOptions options);
  Tensor operator()(const Tensor& image) const;
  static CropParams get_params(const Tensor& image, std::array<int64_t, 2> output_size);
  RandomCropOptions options;
};

struct RandomResizedCropOptions {
  std::vector<int64_t> size;
  std::array<double, 2> scale = {0.08, 1.0};
  std::array<double, 2> ratio = {3.0 / 4.0, 4.0 / 3.0};
  InterpolationMode interpolation = InterpolationMode::BILINEAR;
};
struct RandomResizedCrop {
  explicit RandomResizedCrop(RandomResizedCropOptions options);
  Tensor operator()(const Tensor& image) const;
  static CropParams get_params(const Tensor& image, std::array<double, 2> scale, std::array<double, 2> ratio);
  RandomResizedCropOptions options;
};

struct RandomHorizontalFlip {
  explicit RandomHorizontalFlip(double p = 0.5);
  Tensor operator()(const Tensor& image) const;
  double p;
};
struct RandomVerticalFlip {
  explicit RandomVerticalFlip(double p = 0.5);
  Tensor operator()(const Tensor& image) const;
  double p;
};

struct RandomRotationOptions {
  std::vector<double> degrees;  ///< {d}: [-d, d], or {min, max}
  InterpolationMode interpolation = InterpolationMode::NEAREST;
  bool expand = false;
  std::optional<std::array<double, 2>> center{};
  std::vector<double> fill = {0};
};
struct RandomRotation {
  explicit RandomRotation(RandomRotationOptions options);
  Tensor operator()(const Tensor& image) const;
  static double get_params(std::array<double, 2> degrees);
  RandomRotationOptions options;
};

struct AffineParams {
  double angle;
  std::array<double, 2> translate;  ///< whole pixels
  double scale;
  std::array<double, 2> shear;
};
struct RandomAffineOptions {
  std::vector<double> degrees;                       ///< {d}: [-d, d], or {min, max}
  std::optional<std::array<double, 2>> translate{};  ///< fractions of width and height
  std::optional<std::array<double, 2>> scale{};
  std::vector<double> shear{};  ///< {s}: x in [-s, s]; {min, max}: x; {xmin, xmax, ymin, ymax}
  InterpolationMode interpolation = InterpolationMode::NEAREST;
  std::vector<double> fill = {0};
  std::optional<std::array<double, 2>> center{};
};
struct RandomAffine {
  explicit RandomAffine(RandomAffineOptions options);
  Tensor operator()(const Tensor& image) const;
  /// image_size: {width, height}, as torchvision's.
  static AffineParams get_params(std::array<double, 2> degrees, std::optional<std::array<double, 2>> translate,
                                 std::optional<std::array<double, 2>> scale_ranges, const std::vector<double>& shears,
                                 std::array<int64_t, 2> image_size);
  RandomAffineOptions options;
  std::array<double, 2> degree_range;
  std::vector<double> shear_range;
};

/// Each factor: {x}: [max(0, 1 - x), 1 + x] (hue: [-x, x]), or {min, max}; {} or {0}: left alone.
struct ColorJitterOptions {
  std::vector<double> brightness{};
  std::vector<double> contrast{};
  std::vector<double> saturation{};
  std::vector<double> hue{};
};
struct ColorJitterParams {
  std::array<int64_t, 4> order;  ///< of brightness, contrast, saturation, hue
  std::optional<double> brightness, contrast, saturation, hue;
};
struct ColorJitter {
  explicit ColorJitter(ColorJitterOptions options = {});
  Tensor operator()(const Tensor& image) const;
  static ColorJitterParams get_params(std::optional<std::array<double, 2>> brightness,
                                      std::optional<std::array<double, 2>> contrast,
                                      std::optional<std::array<double, 2>> saturation,
                                      std::optional<std::array<double, 2>> hue);
  std::optional<std::array<double, 2>> brightness, contrast, saturation, hue;
};

struct Grayscale {
  explicit Grayscale(int64_t num_output_channels = 1);
  Tensor operator()(const Tensor& image) const { return functional::rgb_to_grayscale(image, num_output_channels); }
  int64_t num_output_channels;
};

struct RandomErasingOptions {
  double p = 0.5;
  std::array<double, 2> scale = {0.02, 0.33};
  std::array<double, 2> ratio = {0.3, 3.3};
  std::vector<double> value = {0};  ///< per channel or one; {} : random normal values ("random")
  bool inplace = false;
};
struct ErasingParams {
  int64_t i, j, h, w;
  Tensor value;
};
struct RandomErasing {
  explicit RandomErasing(RandomErasingOptions options = {});
  Tensor operator()(const Tensor& image) const;
  static ErasingParams get_params(const Tensor& image, std::array<double, 2> scale, std::array<double, 2> ratio,
                                  const std::vector<double>& value);
  RandomErasingOptions options;
};

struct Lambda {
  explicit Lambda(Transform lambda) : lambda(std::move(lambda)) {}
  Tensor operator()(const Tensor& image) const { return lambda(image); }
  Transform lambda;
};

}  // namespace nabla::transforms
