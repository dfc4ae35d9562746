// libFuzzer target: the data readers, chosen by the first byte: the IDX reader (plain and gzip), the text
// example's TSV reader and checkpoint vocabulary, and its mail decoder. Each input must be read or raise
// nabla::Error (the mail decoder takes any bytes: it must return text).
#include <zlib.h>

#include <nabla/nabla.hpp>

#include "fuzz_files.hpp"
#include "text_classifier/mail.hpp"
#include "text_classifier/text.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  nabla::set_memory_limit(int64_t{32} << 20);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t which = data[0] % 5;
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
      default: text_classifier::mail_text(std::string_view(reinterpret_cast<const char*>(data), size)); break;
    }
  } catch (const nabla::Error&) {
  }
  return 0;
}
