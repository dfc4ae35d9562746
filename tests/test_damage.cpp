// File damage, exhaustively on small files: every truncation and a flipped byte at every offset of a
// checkpoint and an IDX file (the TSV reader's twin is in test_text_classifier.cpp). Each must give a
// nabla::Error naming the file (and the offset), or load what a damaged file can still honestly hold;
// never a crash or a silently altered state.
#include <zlib.h>

#include <filesystem>

#include "helpers.hpp"

using namespace nabla;

using nabla::test::read_bytes;
using nabla::test::temp_path;
using nabla::test::write_bytes;

namespace {

// Every damaged version of `good`: each proper prefix, then each single byte inverted.
template <class Check>
void for_each_damage(const std::string& good, Check&& check) {
  for (size_t n = 0; n < good.size(); ++n) check(good.substr(0, n), "truncated to " + std::to_string(n) + " bytes");
  for (size_t i = 0; i < good.size(); ++i) {
    std::string flipped = good;
    flipped[i] = static_cast<char>(~flipped[i]);
    check(flipped, "byte " + std::to_string(i) + " flipped");
  }
}

// The error `load` raised for `path`, or "" when it loaded.
template <class Load>
std::string error_of(Load&& load) {
  try {
    load();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a checkpoint: every truncation and every flipped byte is refused, naming the file and the offset") {
  const std::string path = temp_path("checkpoint.safetensors");
  StateDict state;
  state.insert("weight", from_vector(std::vector<float>{0.5f, -1, 2, 3.25f}, {2, 2}));
  state.insert("steps", from_vector(std::vector<int64_t>{7}, {1}));
  state.insert("mask", from_vector(std::vector<bool>{true, false, true}, {3}));
  save(state, path, {{"epoch", "4"}});
  const std::string good = read_bytes(path);
  int refused = 0, cases = 0;
  for_each_damage(good, [&](const std::string& bytes, const std::string& damage) {
    write_bytes(path, bytes);
    const std::string error = error_of([&] { load(path); });
    ++cases;
    INFO(damage);
    CHECK(error.find("load: '" + path + "' is not a valid safetensors file: at byte offset") != std::string::npos);
    refused += !error.empty();
  });
  CHECK(refused == cases);  // header and data alike: the two CRC-32s leave no flip unseen
  MESSAGE(cases << " damaged checkpoints of " << good.size() << " bytes, " << refused << " refused");
  std::filesystem::remove(path);
}

TEST_CASE("an IDX file: every truncation and every header flip is refused; a data flip loads as a different value") {
  const std::string path = temp_path("images.idx");
  std::string good("\0\0\x08\x03\0\0\0\x02\0\0\0\x03\0\0\0\x02", 16);
  for (int i = 0; i < 12; ++i) good += static_cast<char>(i * 20);
  const size_t header = 16;
  for_each_damage(good, [&](const std::string& bytes, const std::string& damage) {
    write_bytes(path, bytes);
    const std::string error = error_of([&] { data::read_idx(path); });
    INFO(damage);
    const bool in_data = bytes.size() == good.size() && bytes.compare(0, header, good, 0, header) == 0;
    if (in_data)
      CHECK(error.empty());  // IDX has no checksum: the value changes, the shape does not
    else
      CHECK(error.find("read_idx: '" + path + "'") != std::string::npos);
  });
  // The same through gzip: a damaged compressed stream is refused, naming the file.
  const std::string gz = path + ".gz";
  gzFile f = gzopen(gz.c_str(), "wb");
  gzwrite(f, good.data(), static_cast<unsigned>(good.size()));
  gzclose(f);
  const std::string compressed = read_bytes(gz);
  for_each_damage(compressed, [&](const std::string& bytes, const std::string& damage) {
    write_bytes(gz, bytes);
    const std::string error = error_of([&] { data::read_idx(gz); });
    INFO(damage);
    CHECK((error.empty() || error.find("read_idx: '" + gz + "'") != std::string::npos));
    if (error.empty()) CHECK(data::read_idx(gz).shape() == Shape{2, 3, 2});  // only the name or time field hit
  });
  std::filesystem::remove(path);
  std::filesystem::remove(gz);
}
