#pragma once
// Private: what the transforms share. An image tensor is (..., C, H, W): `images` counts the leading dims' product.
#include <cstdint>
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla::transforms::detail {

struct ImageShape {
  int64_t images, channels, height, width;
};

// Checks `image` is a uint8 or float32 tensor with at least 2 dims ((H, W) is one grey channel).
ImageShape image_shape(const Tensor& image, const char* who);

// The shape of `image` with (H, W) replaced.
Shape image_size(const Tensor& image, int64_t height, int64_t width);

// out[..., y, x] = image[..., rows[y], cols[x]], or `fill` where an index is -1: crops, pads and flips in one loop.
Tensor gather(const Tensor& image, const std::vector<int64_t>& rows, const std::vector<int64_t>& cols, double fill = 0);

// The image as float32 (uint8 values unscaled), and back: integers rounded half to even, as torchvision's casts.
Tensor to_float(const Tensor& image);
Tensor from_float(const Tensor& image, Dtype dtype);

}  // namespace nabla::transforms::detail
