#include "common/png.hpp"

#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <memory>

#include <nabla/core/error.hpp>
#include <nabla/core/file.hpp>

namespace examples {
namespace {

// libpng's error callback: keeps the message for the nabla::Error thrown once back in C++ frames, and jumps to
// the setjmp of the function that called libpng (returning would make libpng print the message itself).
[[noreturn]] void keep_message(png_structp png, png_const_charp message) {
  *static_cast<std::string*>(png_get_error_ptr(png)) = message;
  png_longjmp(png, 1);
}

// libpng's write callback: the encoded bytes go to a string, written to the file in one atomic write.
void append_bytes(png_structp png, png_bytep data, png_size_t size) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<const char*>(data), size);
}

// The libpng calls, each behind a setjmp in a function with only trivially destructible locals (longjmp
// skips destructors). false: libpng failed, the message is in the error string.
bool write_rows(png_structp png, png_infop info, std::string* bytes, const GreyImage& image) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_write_fn(png, bytes, append_bytes, nullptr);
  png_set_IHDR(png, info, static_cast<png_uint_32>(image.width), static_cast<png_uint_32>(image.height), 8,
               PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int64_t row = 0; row < image.height; ++row) png_write_row(png, image.pixels.data() + row * image.width);
  png_write_end(png, nullptr);
  return true;
}

bool read_header(png_structp png, png_infop info, std::FILE* file) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_init_io(png, file);
  png_read_info(png, info);
  return true;
}

bool read_rows(png_structp png, GreyImage& image) {
  if (setjmp(png_jmpbuf(png))) return false;
  for (int64_t row = 0; row < image.height; ++row) png_read_row(png, image.pixels.data() + row * image.width, nullptr);
  png_read_end(png, nullptr);
  return true;
}

using File = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

}  // namespace

void write_png(const std::string& path, const GreyImage& image) {
  NABLA_CHECK(
      image.width > 0 && image.height > 0 && static_cast<int64_t>(image.pixels.size()) == image.width * image.height,
      "write_png: '", path, "': expected ", image.width, " x ", image.height, " pixels, got ", image.pixels.size());
  std::string bytes, error;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &error, keep_message, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  const bool written = info && write_rows(png, info, &bytes, image);
  png_destroy_write_struct(&png, &info);
  NABLA_CHECK(written, "write_png: '", path, "': libpng: ", error.empty() ? "out of memory" : error);
  nabla::write_file(path, bytes, "write_png");  // the previous picture, if any, stays until this one is whole
}

GreyImage read_png(const std::string& path) {
  nabla::check_readable_file(path, "read_png");
  File file(std::fopen(path.c_str(), "rb"), &std::fclose);
  NABLA_CHECK(file, "read_png: cannot open '", path, "'");
  std::string error;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &error, keep_message, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  GreyImage image;
  bool read = info && read_header(png, info, file.get());
  if (read && (png_get_color_type(png, info) != PNG_COLOR_TYPE_GRAY || png_get_bit_depth(png, info) != 8)) {
    error = "not an 8-bit grey image";
    read = false;
  }
  if (read) {
    image.width = png_get_image_width(png, info);
    image.height = png_get_image_height(png, info);
    image.pixels.resize(static_cast<size_t>(image.width * image.height));
    read = read_rows(png, image);
  }
  png_destroy_read_struct(&png, &info, nullptr);
  NABLA_CHECK(read, "read_png: '", path, "': ", error.empty() ? "libpng could not start" : error);
  return image;
}

}  // namespace examples
