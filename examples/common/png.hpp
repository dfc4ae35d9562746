#pragma once
// 8-bit grey PNG files, through Debian's libpng: what the examples write for people to look at.
#include <cstdint>
#include <string>
#include <vector>

namespace examples {

struct GreyImage {
  int64_t width = 0, height = 0;
  std::vector<uint8_t> pixels;  // row by row, height · width
};

// Writes atomically (a temporary file renamed over `path`); an error names the path.
void write_png(const std::string& path, const GreyImage& image);
// Reads an 8-bit grey PNG (what write_png writes); an error names the path and what is wrong.
GreyImage read_png(const std::string& path);

}  // namespace examples
