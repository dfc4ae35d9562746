#pragma once
/// @file
/// Image files as tensors (torchvision.io): PNG through libpng and JPEG through libjpeg-turbo, decoded to uint8
/// (C, H, W) tensors, and encoded back. A damaged or unsupported file is a nabla::Error naming it (and, for PNG, the
/// byte offset where decoding stopped).
///
/// @code
///   Tensor image = io::read_image("cat.jpg", io::ImageReadMode::RGB);   // uint8 [3, H, W]
///   io::write_png(image, "cat.png");
/// @endcode
/// @ingroup data
#include <cstdint>
#include <string>
#include <string_view>

#include "nabla/core/tensor.hpp"

namespace nabla::io {
/// @addtogroup data
/// @{

/// torchvision.io.ImageReadMode. UNCHANGED keeps the file's channels (grey 1, grey+alpha 2, RGB 3, RGB+alpha 4;
/// palettes become RGB, or RGB+alpha with a transparency chunk). The conversions are PIL's, as ImageFolder's
/// default loader (Image.convert) does them: grey = (19595·R + 38470·G + 7471·B + 2^15) >> 16, alpha dropped.
/// 16-bit PNGs keep their high byte.
enum class ImageReadMode { UNCHANGED, GRAY, GRAY_ALPHA, RGB, RGB_ALPHA };

/// Decodes PNG or JPEG bytes (told apart by their signature); `name` is used in errors.
Tensor decode_image(std::string_view bytes, ImageReadMode mode = ImageReadMode::UNCHANGED,
                    const std::string& name = "image");
/// Reads a PNG or JPEG file; a damaged file is a nabla::Error naming it and the byte offset.
Tensor read_image(const std::string& path, ImageReadMode mode = ImageReadMode::UNCHANGED);

/// A uint8 (C, H, W) tensor with 1 (grey), 2, 3 (RGB) or 4 channels as PNG bytes / a file (written atomically).
std::string encode_png(const Tensor& image, int compression_level = 6);
/// writes encode_png's bytes to `path`, atomically
void write_png(const Tensor& image, const std::string& path, int compression_level = 6);
/// A uint8 (C, H, W) tensor with 1 or 3 channels as baseline JPEG bytes (4:2:0 for colour) / a file.
std::string encode_jpeg(const Tensor& image, int quality = 75);
/// writes encode_jpeg's bytes to `path`, atomically
void write_jpeg(const Tensor& image, const std::string& path, int quality = 75);

/// @}
}  // namespace nabla::io
