// libFuzzer target: the data readers, chosen by the first byte: the IDX reader (plain and gzip), the text
// example's TSV reader and checkpoint vocabulary, its mail decoder, and image files (PNG, JPEG) decoded in each
// read mode and put through the geometric and colour transforms. Each input must be read or raise nabla::Error
// (the mail decoder takes any bytes: it must return text).
#include <zlib.h>

#include <nabla/nabla.hpp>

#include "fuzz_files.hpp"
#include "text_classifier/mail.hpp"
#include "text_classifier/text.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  nabla::set_memory_limit(int64_t{32} << 20);
  return 0;
}

namespace {

// An image file in the mode its second byte picks; a decoded image goes through transforms of every family.
void image(const uint8_t* data, size_t size) {
  if (size == 0) return;
  using nabla::io::ImageReadMode;
  const auto mode = static_cast<ImageReadMode>(data[0] % 5);
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  const nabla::Tensor x = nabla::io::decode_image(bytes, mode, "fuzz");
  namespace F = nabla::transforms::functional;
  F::resize(x, {7, 5});
  F::rotate(x, 33.0, nabla::transforms::InterpolationMode::BILINEAR, true);
  F::pad(x, {2, 1}, 0, nabla::transforms::PaddingMode::symmetric);
  if (x.size(0) == 1 || x.size(0) == 3) F::adjust_hue(F::adjust_contrast(x, 0.5), 0.2);
  nabla::io::encode_png(x);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t which = data[0] % 6;
  ++data;
  --size;
  try {
    switch (which) {
      case 0: nabla::data::read_idx(fuzz::as_file(data, size, ".idx")); break;
      case 1: {  // the same bytes gzip-compressed
        const std::string path = fuzz::as_file(nullptr, 0, ".idx.gz");
        gzFile f = gzopen(path.c_str(), "wb");
        gzwrite(f, data, static_cast<unsigned>(size));
        gzclose(f);
        nabla::data::read_idx(path);
        break;
      }
      case 2: text_classifier::read_tsv(fuzz::as_file(data, size, ".tsv")); break;
      case 3: text_classifier::Vocabulary::from_text(std::string(reinterpret_cast<const char*>(data), size)); break;
      case 4: text_classifier::mail_text(std::string_view(reinterpret_cast<const char*>(data), size)); break;
      default: image(data, size); break;
    }
  } catch (const nabla::Error&) {
  }
  return 0;
}
