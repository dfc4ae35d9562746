#include "nabla/nn/data/image.hpp"

#include <png.h>
#include <turbojpeg.h>

#include <csetjmp>
#include <cstring>
#include <memory>
#include <vector>

#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/core/file.hpp"
#include "nabla/core/shape.hpp"

namespace nabla::io {
namespace {

// ---- pixels: interleaved (H, W, C) bytes while decoding, converted between channel layouts, then planar CHW.

struct Pixels {
  int64_t height = 0, width = 0, channels = 0;
  std::vector<uint8_t> data;  // interleaved
};

int64_t channels_of(ImageReadMode mode, int64_t file_channels) {
  switch (mode) {
    case ImageReadMode::GRAY: return 1;
    case ImageReadMode::GRAY_ALPHA: return 2;
    case ImageReadMode::RGB: return 3;
    case ImageReadMode::RGB_ALPHA: return 4;
    case ImageReadMode::UNCHANGED: break;
  }
  return file_channels;
}

// PIL's RGB → L conversion (libImaging/Convert.c), so that grey images match torchvision's ImageFolder loader.
uint8_t luma(const uint8_t* rgb) {
  return static_cast<uint8_t>((rgb[0] * 19595u + rgb[1] * 38470u + rgb[2] * 7471u + 0x8000u) >> 16);
}

// Converts between 1 (grey), 2 (grey+alpha), 3 (RGB) and 4 (RGB+alpha) interleaved channels.
Pixels convert_channels(Pixels in, int64_t channels) {
  if (in.channels == channels) return in;
  Pixels out{in.height, in.width, channels, std::vector<uint8_t>(static_cast<size_t>(in.height * in.width * channels))};
  const bool in_colour = in.channels >= 3, in_alpha = in.channels % 2 == 0, out_alpha = channels % 2 == 0;
  const size_t n = static_cast<size_t>(in.height * in.width);
  for (size_t p = 0; p < n; ++p) {
    const uint8_t* s = &in.data[p * static_cast<size_t>(in.channels)];
    uint8_t* d = &out.data[p * static_cast<size_t>(channels)];
    const uint8_t alpha = in_alpha ? s[in.channels - 1] : 255;
    if (channels >= 3) {
      for (int c = 0; c < 3; ++c) d[c] = in_colour ? s[c] : s[0];
    } else {
      d[0] = in_colour ? luma(s) : s[0];
    }
    if (out_alpha) d[channels - 1] = alpha;
  }
  return out;
}

Tensor to_chw(const Pixels& p) {
  Tensor image = empty({p.channels, p.height, p.width}, kUInt8);
  uint8_t* out = image.data_ptr<uint8_t>();
  const int64_t plane = p.height * p.width;
  for (int64_t c = 0; c < p.channels; ++c)
    for (int64_t i = 0; i < plane; ++i) out[c * plane + i] = p.data[static_cast<size_t>(i * p.channels + c)];
  return image;
}

Pixels from_chw(const Tensor& image, const char* who, std::initializer_list<int64_t> allowed_channels) {
  NABLA_CHECK(image.defined() && image.dtype() == kUInt8 && image.dim() == 3, who,
              ": expected a uint8 image tensor of shape (C, H, W), got ",
              image.defined() ? std::string(dtype_name(image.dtype())) + " " + shape_str(image.shape()) : "undefined");
  const int64_t c = image.size(0), h = image.size(1), w = image.size(2);
  bool allowed = false;
  for (int64_t a : allowed_channels) allowed = allowed || a == c;
  NABLA_CHECK(allowed && h > 0 && w > 0 && h <= 65535 && w <= 65535, who, ": cannot encode an image of shape ",
              shape_str(image.shape()), " (channels: 1 or 3, up to 65535 pixels a side)");
  const Tensor chw = image.contiguous();
  const uint8_t* in = chw.const_data_ptr<uint8_t>();
  Pixels p{h, w, c, std::vector<uint8_t>(static_cast<size_t>(c * h * w))};
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t i = 0; i < h * w; ++i) p.data[static_cast<size_t>(i * c + ch)] = in[ch * h * w + i];
  return p;
}

// A header's size is checked against memory before its pixels are allocated: a forged or decompression-bomb file
// is an error, not an allocation of gigabytes. (A decoded image needs its pixels twice: interleaved, then CHW.)
void check_pixels(const Pixels& p, const std::string& name) {
  check_allocatable({2, p.channels, p.height, p.width}, kUInt8, "decode_image: '" + name + "'");
}

// ---- PNG (libpng). Its errors longjmp: each libpng call sits in a function with only trivially destructible
// locals, behind its own setjmp.

struct PngReader {
  std::string_view bytes;
  size_t offset = 0;
  std::string error;
};

[[noreturn]] void keep_message(png_structp png, png_const_charp message) {
  static_cast<PngReader*>(png_get_error_ptr(png))->error = message;
  png_longjmp(png, 1);
}

void read_bytes(png_structp png, png_bytep out, png_size_t size) {
  auto* r = static_cast<PngReader*>(png_get_io_ptr(png));
  if (size > r->bytes.size() - r->offset) png_error(png, "the file ends early");
  std::memcpy(out, r->bytes.data() + r->offset, size);
  r->offset += size;
}

// Reads the header and sets the expansions: palettes to RGB, low bit depths to 8, transparency to alpha, 16 to 8 bits.
bool png_header(png_structp png, png_infop info, PngReader* reader, Pixels* p) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_read_fn(png, reader, read_bytes);
  png_set_user_limits(png, 1u << 16, 1u << 16);
  png_read_info(png, info);
  const int type = png_get_color_type(png, info);
  if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (type == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
  png_set_strip_16(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  p->height = png_get_image_height(png, info);
  p->width = png_get_image_width(png, info);
  p->channels = png_get_channels(png, info);
  return true;
}

bool png_rows(png_structp png, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_image(png, rows);
  png_read_end(png, nullptr);
  return true;
}

// libpng's read structs, destroyed however decode_png is left (a size check may throw between libpng calls).
struct PngRead {
  png_structp png;
  png_infop info;
  explicit PngRead(PngReader* reader)
      : png(png_create_read_struct(PNG_LIBPNG_VER_STRING, reader, keep_message, nullptr)),
        info(png ? png_create_info_struct(png) : nullptr) {}
  ~PngRead() { png_destroy_read_struct(&png, &info, nullptr); }
  PngRead(const PngRead&) = delete;
  PngRead& operator=(const PngRead&) = delete;
};

Pixels decode_png(std::string_view bytes, const std::string& name) {
  PngReader reader{bytes, 0, {}};
  PngRead structs(&reader);
  png_structp png = structs.png;
  png_infop info = structs.info;
  Pixels p;
  bool ok = info && png_header(png, info, &reader, &p);
  if (ok) {
    check_pixels(p, name);
    p.data.resize(static_cast<size_t>(p.height * p.width * p.channels));
    std::vector<png_bytep> rows(static_cast<size_t>(p.height));
    for (int64_t y = 0; y < p.height; ++y)
      rows[static_cast<size_t>(y)] = &p.data[static_cast<size_t>(y * p.width * p.channels)];
    ok = png_rows(png, rows.data());
  }
  NABLA_CHECK(ok, "decode_image: '", name, "': damaged PNG at byte ", reader.offset, ": ",
              reader.error.empty() ? "libpng could not start" : reader.error);
  return p;
}

void append_bytes(png_structp png, png_bytep data, png_size_t size) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<const char*>(data), size);
}

bool png_write(png_structp png, png_infop info, std::string* out, const Pixels& p, int level) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_write_fn(png, out, append_bytes, nullptr);
  png_set_compression_level(png, level);
  static constexpr int kTypes[] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                   PNG_COLOR_TYPE_RGB_ALPHA};
  png_set_IHDR(png, info, static_cast<png_uint_32>(p.width), static_cast<png_uint_32>(p.height), 8, kTypes[p.channels],
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int64_t y = 0; y < p.height; ++y) png_write_row(png, &p.data[static_cast<size_t>(y * p.width * p.channels)]);
  png_write_end(png, nullptr);
  return true;
}

// ---- JPEG (libjpeg-turbo's TurboJPEG API: the same decoder, DCT and upsampling as Pillow's).

using TurboHandle = std::unique_ptr<void, int (*)(tjhandle)>;

Pixels decode_jpeg(std::string_view bytes, int64_t channels, const std::string& name) {
  TurboHandle tj(tjInitDecompress(), tjDestroy);
  NABLA_CHECK(tj, "decode_image: '", name, "': libjpeg-turbo could not start");
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  NABLA_CHECK(tjDecompressHeader3(tj.get(), data, bytes.size(), &width, &height, &subsampling, &colorspace) == 0,
              "decode_image: '", name, "': damaged JPEG: ", tjGetErrorStr2(tj.get()));
  NABLA_CHECK(colorspace != TJCS_CMYK && colorspace != TJCS_YCCK, "decode_image: '", name,
              "': CMYK JPEGs are not supported (convert it to RGB)");
  const bool grey_file = colorspace == TJCS_GRAY;
  // A colour file read as grey is decoded to RGB first and converted as PIL does (not libjpeg's own Y channel).
  Pixels p{height, width, grey_file ? 1 : 3, {}};
  if (channels == 1 && grey_file) p.channels = 1;
  check_pixels(p, name);
  p.data.resize(static_cast<size_t>(p.height * p.width * p.channels));
  const int status = tjDecompress2(tj.get(), data, bytes.size(), p.data.data(), width, 0, height,
                                   p.channels == 1 ? TJPF_GRAY : TJPF_RGB, TJFLAG_STOPONWARNING);
  NABLA_CHECK(status == 0, "decode_image: '", name, "': damaged JPEG: ", tjGetErrorStr2(tj.get()));
  return p;
}

}  // namespace

Tensor decode_image(std::string_view bytes, ImageReadMode mode, const std::string& name) {
  static constexpr unsigned char kPng[] = {0x89, 'P', 'N', 'G'}, kJpeg[] = {0xFF, 0xD8, 0xFF};
  const auto starts_with = [&](const unsigned char* magic, size_t n) {
    return bytes.size() >= n && std::memcmp(bytes.data(), magic, n) == 0;
  };
  Pixels p;
  if (starts_with(kPng, sizeof kPng)) {
    p = decode_png(bytes, name);
  } else {
    NABLA_CHECK(starts_with(kJpeg, sizeof kJpeg), "decode_image: '", name,
                "': not a PNG or JPEG file (unknown signature at byte 0)");
    p = decode_jpeg(bytes, channels_of(mode, 0), name);
  }
  const int64_t channels = channels_of(mode, p.channels);
  return to_chw(convert_channels(std::move(p), channels));
}

Tensor read_image(const std::string& path, ImageReadMode mode) {
  return decode_image(read_file(path, "read_image"), mode, path);
}

std::string encode_png(const Tensor& image, int compression_level) {
  NABLA_CHECK(compression_level >= 0 && compression_level <= 9,
              "encode_png: compression_level should be between 0 and 9, got ", compression_level);
  const Pixels p = from_chw(image, "encode_png", {1, 2, 3, 4});
  std::string bytes;
  PngReader errors;  // only its error message is used
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &errors, keep_message, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  const bool ok = info && png_write(png, info, &bytes, p, compression_level);
  png_destroy_write_struct(&png, &info);
  NABLA_CHECK(ok, "encode_png: libpng failed to encode a ", shape_str(image.shape()), " image: ", errors.error);
  return bytes;
}

void write_png(const Tensor& image, const std::string& path, int compression_level) {
  write_file(path, encode_png(image, compression_level), "write_png");
}

std::string encode_jpeg(const Tensor& image, int quality) {
  NABLA_CHECK(quality >= 1 && quality <= 100, "encode_jpeg: quality should be between 1 and 100, got ", quality);
  const Pixels p = from_chw(image, "encode_jpeg", {1, 3});
  TurboHandle tj(tjInitCompress(), tjDestroy);
  NABLA_CHECK(tj, "encode_jpeg: libjpeg-turbo could not start");
  unsigned char* out = nullptr;
  unsigned long size = 0;
  const int status = tjCompress2(tj.get(), p.data.data(), static_cast<int>(p.width), 0, static_cast<int>(p.height),
                                 p.channels == 1 ? TJPF_GRAY : TJPF_RGB, &out, &size,
                                 p.channels == 1 ? TJSAMP_GRAY : TJSAMP_420, quality, 0);
  const std::unique_ptr<unsigned char, void (*)(unsigned char*)> owned(out, tjFree);
  NABLA_CHECK(status == 0, "encode_jpeg: ", tjGetErrorStr2(tj.get()));
  return std::string(reinterpret_cast<const char*>(out), size);
}

void write_jpeg(const Tensor& image, const std::string& path, int quality) {
  write_file(path, encode_jpeg(image, quality), "write_jpeg");
}

}  // namespace nabla::io
