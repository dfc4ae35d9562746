#pragma once
/// @file
/// Image transforms with torchvision.transforms' names, parameters and semantics (torchvision 0.14, on tensors):
/// images are uint8 or float32 tensors of shape (..., C, H, W). Random transforms draw from data::sample_generator(),
/// which a DataLoader seeds per sample; each has a static get_params, as torchvision's, and applies the matching
/// function of transforms::functional (torchvision.transforms.functional), so its output for given parameters is
/// torchvision's.
///
/// @code
///   auto augment = transforms::Compose({transforms::RandomCrop({.size = {28}, .padding = {2}}),
///                                       transforms::RandomHorizontalFlip(),
///                                       transforms::ToTensor(),
///                                       transforms::Normalize({.mean = {0.2860}, .std = {0.3530}})});
/// @endcode
/// @ingroup data
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla::transforms {
/// @addtogroup data
/// @{

/// Any transform: an image tensor in, an image tensor out (every class below converts to it).
using Transform = std::function<Tensor(const Tensor&)>;

/// torchvision's InterpolationMode: how resampling transforms read between pixels.
enum class InterpolationMode {
  NEAREST,   ///< the nearest pixel
  BILINEAR,  ///< linear in both directions
};
/// How Pad fills the border (torchvision's padding_mode).
enum class PaddingMode {
  constant,   ///< `fill`
  edge,       ///< the last pixel repeated
  reflect,    ///< mirrored without repeating the edge (2 1 | 1 2 3 → 3 2 | 1 2 3)
  symmetric,  ///< mirrored repeating the edge
};

/// torchvision.transforms.functional: the transforms' functions with explicit parameters.
namespace functional {
/// uint8 → float32 in [0, 1]; float32 → uint8 as torchvision (× 255.999, truncated); same dtype: unchanged.
Tensor convert_image_dtype(const Tensor& image, Dtype dtype = kFloat32);
Tensor to_tensor(const Tensor& image);  ///< a uint8 image as float32 in [0, 1]
/// (image - mean) / std per channel, of a float image; a nabla::Error for a zero std or a channel-count mismatch.
Tensor normalize(const Tensor& image, const std::vector<double>& mean, const std::vector<double>& std);
/// size: {h, w}, or {s}: the smaller edge becomes s, keeping the aspect ratio (max_size caps the longer one).
Tensor resize(const Tensor& image, const std::vector<int64_t>& size,
              InterpolationMode interpolation = InterpolationMode::BILINEAR, std::optional<int64_t> max_size = {});
Tensor crop(const Tensor& image, int64_t top, int64_t left, int64_t height, int64_t width);  ///< zeros outside
/// The central output_size ({h, w} or {s}) region, zero-padded when the image is smaller.
Tensor center_crop(const Tensor& image, const std::vector<int64_t>& output_size);
/// crop, then resize to `size`.
Tensor resized_crop(const Tensor& image, int64_t top, int64_t left, int64_t height, int64_t width,
                    const std::vector<int64_t>& size, InterpolationMode interpolation = InterpolationMode::BILINEAR);
/// padding: {all}, {left/right, top/bottom} or {left, top, right, bottom}; negative values crop.
Tensor pad(const Tensor& image, const std::vector<int64_t>& padding, double fill = 0,
           PaddingMode padding_mode = PaddingMode::constant);
Tensor hflip(const Tensor& image);  ///< mirrored left to right
Tensor vflip(const Tensor& image);  ///< mirrored top to bottom
/// Degrees counter-clockwise about the centre (or `center`, in pixels); outside the image: `fill` (per channel or one).
Tensor rotate(const Tensor& image, double angle, InterpolationMode interpolation = InterpolationMode::NEAREST,
              bool expand = false, std::optional<std::array<double, 2>> center = {},
              const std::vector<double>& fill = {});
/// Rotation by `angle` degrees, translation in pixels, scale and shear (degrees, x and y) about the centre, in
/// torchvision's order of composition; outside the image: `fill`.
Tensor affine(const Tensor& image, double angle, std::array<double, 2> translate, double scale,
              std::array<double, 2> shear, InterpolationMode interpolation = InterpolationMode::NEAREST,
              const std::vector<double>& fill = {}, std::optional<std::array<double, 2>> center = {});
/// ITU-R 601-2 luma of an RGB image (0.2989 R + 0.587 G + 0.114 B), as 1 or 3 equal channels.
Tensor rgb_to_grayscale(const Tensor& image, int64_t num_output_channels = 1);
Tensor adjust_brightness(const Tensor& image, double brightness_factor);  ///< pixels × factor, clamped
Tensor adjust_contrast(const Tensor& image, double contrast_factor);      ///< blended with the grey mean by the factor
Tensor adjust_saturation(const Tensor& image, double saturation_factor);  ///< blended with the grey image
Tensor adjust_hue(const Tensor& image, double hue_factor);                ///< hue_factor in [-0.5, 0.5]
/// Sets image[..., i:i+h, j:j+w] to `value` (broadcast over the region: (C, h, w), (C, 1, 1) or a scalar tensor).
Tensor erase(const Tensor& image, int64_t i, int64_t j, int64_t h, int64_t w, const Tensor& value);
}  // namespace functional

/// Applies the transforms in order (torchvision's Compose).
class Compose {
 public:
  explicit Compose(std::vector<Transform> transforms) : transforms_(std::move(transforms)) {}  ///< in this order
  Tensor operator()(const Tensor& image) const;  ///< each transform on the previous one's result

 private:
  std::vector<Transform> transforms_;
};

/// A uint8 image (C, H, W) as float32 in [0, 1] (torchvision's ToTensor on a tensor image; no HWC conversion).
struct ToTensor {
  Tensor operator()(const Tensor& image) const { return functional::to_tensor(image); }  ///< to_tensor(image)
};

/// functional::convert_image_dtype as a transform.
struct ConvertImageDtype {
  explicit ConvertImageDtype(Dtype dtype) : dtype(dtype) {}  ///< to `dtype`
  /// convert_image_dtype(image, dtype)
  Tensor operator()(const Tensor& image) const { return functional::convert_image_dtype(image, dtype); }
  Dtype dtype;  ///< the target dtype
};

/// The options of Normalize.
struct NormalizeOptions {
  std::vector<double> mean;  ///< per channel, or one for all
  std::vector<double> std;   ///< per channel, or one for all; none may be 0
};
/// (image - mean) / std per channel, of a float image (torchvision's Normalize).
struct Normalize {
  explicit Normalize(NormalizeOptions options);  ///< checks the options
  Tensor operator()(const Tensor& image) const;  ///< functional::normalize
  NormalizeOptions options;                      ///< as constructed
};

/// The options of Resize.
struct ResizeOptions {
  std::vector<int64_t> size;                                      ///< {h, w}, or {s}: the smaller edge
  InterpolationMode interpolation = InterpolationMode::BILINEAR;  ///< how pixels are resampled
  std::optional<int64_t> max_size{};                              ///< with {s}: the longer edge's cap
};
/// Resizes to a size or a smaller edge (torchvision's Resize, antialias off).
struct Resize {
  explicit Resize(ResizeOptions options);        ///< checks the options
  Tensor operator()(const Tensor& image) const;  ///< functional::resize
  ResizeOptions options;                         ///< as constructed
};

/// The central region of a size (torchvision's CenterCrop).
struct CenterCrop {
  explicit CenterCrop(std::vector<int64_t> size);  ///< {h, w} or {s}: square
  /// functional::center_crop(image, size)
  Tensor operator()(const Tensor& image) const { return functional::center_crop(image, size); }
  std::vector<int64_t> size;  ///< {h, w} or {s}
};

/// The options of Pad.
struct PadOptions {
  std::vector<int64_t> padding;                      ///< {all}, {left/right, top/bottom} or {left, top, right, bottom}
  double fill = 0;                                   ///< the constant mode's value
  PaddingMode padding_mode = PaddingMode::constant;  ///< how the border is filled
};
/// Pads the borders (torchvision's Pad).
struct Pad {
  explicit Pad(PadOptions options);              ///< checks the options
  Tensor operator()(const Tensor& image) const;  ///< functional::pad
  PadOptions options;                            ///< as constructed
};

/// A crop's box, as the random crops' get_params return it.
struct CropParams {
  int64_t top;     ///< the first row
  int64_t left;    ///< the first column
  int64_t height;  ///< rows
  int64_t width;   ///< columns
};

/// The options of RandomCrop.
struct RandomCropOptions {
  std::vector<int64_t> size;                         ///< {h, w} or {s}
  std::vector<int64_t> padding{};                    ///< as Pad's, applied first
  bool pad_if_needed = false;                        ///< pads an image smaller than size instead of failing
  double fill = 0;                                   ///< the constant padding's value
  PaddingMode padding_mode = PaddingMode::constant;  ///< how padding fills
};
/// A crop at a random place (torchvision's RandomCrop).
struct RandomCrop {
  explicit RandomCrop(RandomCropOptions options);  ///< checks the options
  Tensor operator()(const Tensor& image) const;    ///< pads, then crops at get_params' box
  /// A uniformly random box of output_size ({h, w}) inside the image.
  static CropParams get_params(const Tensor& image, std::array<int64_t, 2> output_size);
  RandomCropOptions options;  ///< as constructed
};

/// The options of RandomResizedCrop.
struct RandomResizedCropOptions {
  std::vector<int64_t> size;                             ///< the output's {h, w} or {s}
  std::array<double, 2> scale = {0.08, 1.0};             ///< the crop's area range, as fractions of the image's
  std::array<double, 2> ratio = {3.0 / 4.0, 4.0 / 3.0};  ///< the crop's aspect-ratio range (width / height)
  InterpolationMode interpolation = InterpolationMode::BILINEAR;  ///< how the crop is resized
};
/// A crop of random area and aspect ratio, resized to `size` (torchvision's RandomResizedCrop; ImageNet's
/// augmentation).
struct RandomResizedCrop {
  explicit RandomResizedCrop(RandomResizedCropOptions options);  ///< checks the options
  Tensor operator()(const Tensor& image) const;                  ///< resized_crop at get_params' box
  /// torchvision's draw: up to 10 tries at a box of random area and log-uniform ratio, else a central crop.
  static CropParams get_params(const Tensor& image, std::array<double, 2> scale, std::array<double, 2> ratio);
  RandomResizedCropOptions options;  ///< as constructed
};

/// Mirrors left to right with probability p (torchvision's RandomHorizontalFlip).
struct RandomHorizontalFlip {
  explicit RandomHorizontalFlip(double p = 0.5);  ///< a nabla::Error unless 0 <= p <= 1
  Tensor operator()(const Tensor& image) const;   ///< hflip, or the image itself
  double p;                                       ///< the flip probability
};
/// Mirrors top to bottom with probability p (torchvision's RandomVerticalFlip).
struct RandomVerticalFlip {
  explicit RandomVerticalFlip(double p = 0.5);   ///< a nabla::Error unless 0 <= p <= 1
  Tensor operator()(const Tensor& image) const;  ///< vflip, or the image itself
  double p;                                      ///< the flip probability
};

/// The options of RandomRotation.
struct RandomRotationOptions {
  std::vector<double> degrees;                                   ///< {d}: [-d, d], or {min, max}
  InterpolationMode interpolation = InterpolationMode::NEAREST;  ///< how pixels are resampled
  bool expand = false;                                           ///< grow the output to hold the whole rotated image
  std::optional<std::array<double, 2>> center{};  ///< the rotation's centre in pixels (default: the image's)
  std::vector<double> fill = {0};                 ///< outside the image: per channel or one
};
/// Rotates by a uniformly random angle (torchvision's RandomRotation).
struct RandomRotation {
  explicit RandomRotation(RandomRotationOptions options);   ///< checks the options
  Tensor operator()(const Tensor& image) const;             ///< functional::rotate by get_params' angle
  static double get_params(std::array<double, 2> degrees);  ///< an angle uniform in [min, max]
  RandomRotationOptions options;                            ///< as constructed
};

/// An affine transform's parameters, as RandomAffine::get_params returns them.
struct AffineParams {
  double angle;                     ///< degrees
  std::array<double, 2> translate;  ///< whole pixels
  double scale;                     ///< the zoom factor
  std::array<double, 2> shear;      ///< degrees, x and y
};
/// The options of RandomAffine.
struct RandomAffineOptions {
  std::vector<double> degrees;                       ///< {d}: [-d, d], or {min, max}
  std::optional<std::array<double, 2>> translate{};  ///< fractions of width and height
  std::optional<std::array<double, 2>> scale{};      ///< the zoom's range (default: no zoom)
  std::vector<double> shear{};                       ///< {s}: x in [-s, s]; {min, max}: x; {xmin, xmax, ymin, ymax}
  InterpolationMode interpolation = InterpolationMode::NEAREST;  ///< how pixels are resampled
  std::vector<double> fill = {0};                                ///< outside the image: per channel or one
  std::optional<std::array<double, 2>> center{};  ///< the transform's centre in pixels (default: the image's)
};
/// A random rotation, translation, zoom and shear (torchvision's RandomAffine).
struct RandomAffine {
  explicit RandomAffine(RandomAffineOptions options);  ///< checks the options
  Tensor operator()(const Tensor& image) const;        ///< functional::affine with get_params' parameters
  /// image_size: {width, height}, as torchvision's.
  static AffineParams get_params(std::array<double, 2> degrees, std::optional<std::array<double, 2>> translate,
                                 std::optional<std::array<double, 2>> scale_ranges, const std::vector<double>& shears,
                                 std::array<int64_t, 2> image_size);
  RandomAffineOptions options;         ///< as constructed
  std::array<double, 2> degree_range;  ///< degrees as {min, max}
  std::vector<double> shear_range;     ///< shear as {xmin, xmax[, ymin, ymax]}, or empty
};

/// Each factor: {x}: [max(0, 1 - x), 1 + x] (hue: [-x, x]), or {min, max}; {} or {0}: left alone.
struct ColorJitterOptions {
  std::vector<double> brightness{};  ///< the brightness factor's range
  std::vector<double> contrast{};    ///< the contrast factor's range
  std::vector<double> saturation{};  ///< the saturation factor's range
  std::vector<double> hue{};         ///< the hue shift's range, within [-0.5, 0.5]
};
/// ColorJitter's draw: the order of the four adjustments and each factor (absent: left alone).
struct ColorJitterParams {
  std::array<int64_t, 4> order;      ///< of brightness, contrast, saturation, hue
  std::optional<double> brightness;  ///< the brightness factor
  std::optional<double> contrast;    ///< the contrast factor
  std::optional<double> saturation;  ///< the saturation factor
  std::optional<double> hue;         ///< the hue shift
};
/// Random brightness, contrast, saturation and hue, in random order (torchvision's ColorJitter).
struct ColorJitter {
  explicit ColorJitter(ColorJitterOptions options = {});  ///< checks the ranges
  Tensor operator()(const Tensor& image) const;           ///< the adjustments of get_params, in its order
  /// A random order and a factor uniform in each given range.
  static ColorJitterParams get_params(std::optional<std::array<double, 2>> brightness,
                                      std::optional<std::array<double, 2>> contrast,
                                      std::optional<std::array<double, 2>> saturation,
                                      std::optional<std::array<double, 2>> hue);
  std::optional<std::array<double, 2>> brightness;  ///< the range in force, if any
  std::optional<std::array<double, 2>> contrast;    ///< the range in force, if any
  std::optional<std::array<double, 2>> saturation;  ///< the range in force, if any
  std::optional<std::array<double, 2>> hue;         ///< the range in force, if any
};

/// An RGB image as grey (torchvision's Grayscale).
struct Grayscale {
  explicit Grayscale(int64_t num_output_channels = 1);  ///< 1 or 3
  /// functional::rgb_to_grayscale(image, num_output_channels)
  Tensor operator()(const Tensor& image) const { return functional::rgb_to_grayscale(image, num_output_channels); }
  int64_t num_output_channels;  ///< 1 or 3 equal channels
};

/// The options of RandomErasing.
struct RandomErasingOptions {
  double p = 0.5;                              ///< the probability of erasing
  std::array<double, 2> scale = {0.02, 0.33};  ///< the box's area range, as fractions of the image's
  std::array<double, 2> ratio = {0.3, 3.3};    ///< the box's aspect-ratio range
  std::vector<double> value = {0};             ///< per channel or one; {} : random normal values ("random")
  bool inplace = false;                        ///< write into the input's storage
};
/// RandomErasing's draw: the box and the values written there.
struct ErasingParams {
  int64_t i;     ///< the first row
  int64_t j;     ///< the first column
  int64_t h;     ///< rows
  int64_t w;     ///< columns
  Tensor value;  ///< what fills the box (broadcast)
};
/// Erases a random box of a (float) image tensor with probability p (torchvision's RandomErasing; after ToTensor).
struct RandomErasing {
  explicit RandomErasing(RandomErasingOptions options = {});  ///< checks the options
  Tensor operator()(const Tensor& image) const;               ///< functional::erase at get_params' box, or the image
  /// Up to 10 tries at a box of random area and log-uniform ratio; none fitting: the whole image, unchanged.
  static ErasingParams get_params(const Tensor& image, std::array<double, 2> scale, std::array<double, 2> ratio,
                                  const std::vector<double>& value);
  RandomErasingOptions options;  ///< as constructed
};

/// A function as a transform (torchvision's Lambda).
struct Lambda {
  explicit Lambda(Transform lambda) : lambda(std::move(lambda)) {}        ///< wraps `lambda`
  Tensor operator()(const Tensor& image) const { return lambda(image); }  ///< lambda(image)
  Transform lambda;                                                       ///< the function
};

/// @}
}  // namespace nabla::transforms
