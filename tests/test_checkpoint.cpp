// safetensors checkpoints: round trips, atomic saves, and clear errors on damaged files.
#include "helpers.hpp"

#include <filesystem>
#include <fstream>

using namespace nabla;

using nabla::test::read_bytes;
using nabla::test::temp_path;
using nabla::test::write_bytes;

TEST_CASE("save and load round-trip a module's state_dict") {
  const std::string path = temp_path("model.safetensors");
  nn::Sequential a(nn::Linear({.in_features = 3, .out_features = 2}), nn::ReLU());
  nn::Sequential b(nn::Linear({.in_features = 3, .out_features = 2}), nn::ReLU());
  save(a, path);
  load(b, path);
  CHECK(b.at<nn::Linear>(0).weight.to_vector<float>() == a.at<nn::Linear>(0).weight.to_vector<float>());
  StateDict mixed;
  mixed.insert("ints", arange(5));
  mixed.insert("mask", arange(3) > 0);
  mixed.insert("scalar", scalar_tensor(2.5));
  save(mixed, path, {{"epoch", "3"}});
  Metadata metadata;
  const StateDict loaded = load(path, &metadata);
  CHECK(loaded["ints"].to_vector<int64_t>() == std::vector<int64_t>{0, 1, 2, 3, 4});
  CHECK(loaded["mask"].to_vector<bool>() == std::vector<bool>{false, true, true});
  CHECK(loaded["scalar"].dim() == 0);
  CHECK(metadata["epoch"] == "3");
  std::filesystem::remove(path);
}

TEST_CASE("the file layout is safetensors: length, padded JSON header, raw data") {
  const std::string path = temp_path("layout.safetensors");
  StateDict d;
  d.insert("w", from_vector(std::vector<float>{1, 2}, {2}));
  save(d, path);
  const std::string bytes = read_bytes(path);
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  CHECK(n % 8 == 0);
  CHECK(bytes.substr(8, n).find("\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}") != std::string::npos);
  CHECK(bytes.size() == 8 + n + 8);
  float values[2];
  std::memcpy(values, bytes.data() + 8 + n, 8);
  CHECK(values[1] == 2.f);
  std::filesystem::remove(path);
}

TEST_CASE("a failed save leaves the previous checkpoint intact") {
  const std::string path = temp_path("keep.safetensors");
  StateDict good;
  good.insert("w", ones({3}));
  save(good, path);
  const std::string before = read_bytes(path);
  StateDict bad;
  bad.insert("w", ones({3}));
  bad.insert("undefined", Tensor());
  CHECK_THROWS_AS(save(bad, path), Error);
  CHECK(read_bytes(path) == before);
  CHECK_THROWS_WITH_AS(save(good, "/nonexistent-dir/x.safetensors"), doctest::Contains("does not exist"), Error);
  std::filesystem::remove(path);
}

TEST_CASE("truncated and corrupt files give an error naming the file and the offset") {
  const std::string path = temp_path("damaged.safetensors");
  StateDict d;
  d.insert("w", ones({4}));
  save(d, path);
  const std::string bytes = read_bytes(path);

  write_bytes(path, bytes.substr(0, bytes.size() - 3));
  const std::string expected = path + "' is not a valid safetensors file: at byte offset";
  CHECK_THROWS_WITH_AS(load(path), doctest::Contains(expected.c_str()), Error);
  CHECK_THROWS_WITH_AS(load(path), doctest::Contains("the tensors cover 16 data bytes but the file holds 13"), Error);

  write_bytes(path, bytes.substr(0, 5));
  CHECK_THROWS_WITH_AS(load(path), doctest::Contains("at byte offset 0: the file has 5 bytes"), Error);

  write_bytes(path, bytes.substr(0, 20));
  CHECK_THROWS_WITH_AS(load(path), doctest::Contains("at byte offset 0: the header claims"), Error);

  std::string corrupt = bytes;
  corrupt[8 + 4] = '#';
  write_bytes(path, corrupt);
  CHECK_THROWS_WITH_AS(load(path), doctest::Contains("the header is damaged"), Error);  // its CRC-32 tells

  CHECK_THROWS_WITH_AS(load(temp_path("missing")), doctest::Contains("cannot open"), Error);
  std::filesystem::remove(path);
}

TEST_CASE("a header whose shape overflows the byte count is refused, not loaded into a tiny buffer") {
  const std::string path = temp_path("huge.safetensors");
  const std::string header = R"({"w":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}})";
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i) file[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  write_bytes(path, file + header);
  CHECK_THROWS_WITH_AS(load(path), doctest::Contains("tensor 'w' has the impossible shape [4611686018427387904]"),
                       Error);
  std::filesystem::remove(path);
}

namespace {
// A safetensors file with this header text (padded to 8 bytes) and data bytes.
void write_safetensors(const std::string& path, std::string header, const std::string& data) {
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i) file[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  write_bytes(path, file + header + data);
}
}  // namespace

TEST_CASE("headers that do not describe the data exactly are refused (issue 14's damaged checkpoints)") {
  const std::string path = temp_path("forged.safetensors");
  const auto refused = [&](const std::string& header, const std::string& data, const char* why) {
    write_safetensors(path, header, data);
    CHECK_THROWS_WITH_AS(load(path), doctest::Contains(why), Error);
  };
  const std::string eight(8, '\1');
  refused(
      R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})",
      eight, "(overlap)");
  refused(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", eight,
          "starts at data byte 4 but the tensors "
          "before it end at 0 (gap)");
  refused(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", eight, "(trailing bytes)");
  refused(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":["0",8]}})", eight, "two unsigned integers");
  refused(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[null,8]}})", eight, "two unsigned integers");
  refused(
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
      eight, "names 'a' twice");
  refused(R"({"a":{"dtype":"BOOL","shape":[8],"data_offsets":[0,8]}})", std::string(7, '\1') + '\2',
          "at byte offset 71: tensor 'a' (BOOL) holds the byte 2");
  refused(R"({"__metadata__":{"n":3},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", eight, "is not a string");
  refused(R"({"a":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}})", eight, "which Nabla does not hold");
  write_safetensors(
      path,
      R"({"a":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"F32","shape":[0],"data_offsets":[2,2]}})",
      std::string("\1\0", 2));
  CHECK(load(path)["a"].to_vector<bool>() == std::vector<bool>{true, false});
  std::filesystem::remove(path);
}

TEST_CASE("a header shifted by one byte, and flipped data bits, are detected") {
  const std::string path = temp_path("shifted.safetensors");
  StateDict d;
  d.insert("w", arange(0, 6, 1, kFloat32));
  d.insert("b", ones({2}));
  save(d, path);
  std::string bytes = read_bytes(path);
  std::string shifted = bytes;
  shifted[0] = static_cast<char>(shifted[0] - 1);  // the header ends a byte early: every tensor would move by one
  write_bytes(path, shifted);
  CHECK_THROWS_AS(load(path), Error);
  std::string flipped = bytes;
  flipped[bytes.size() - 5] ^= 0x10;  // inside b's data: only the checksum can tell
  write_bytes(path, flipped);
  CHECK_THROWS_WITH_AS(load(path), doctest::Contains("the tensor data is damaged"), Error);
  std::filesystem::remove(path);
}

TEST_CASE("a save removes the temporary files that killed saves of the same path left behind") {
  const std::string path = temp_path("stale.safetensors");
  const std::string dead = path + ".tmp.999999999", other = path + ".tmp.notapid";
  write_bytes(dead, "half a checkpoint");
  write_bytes(other, "someone else's file");
  const std::string live = path + ".tmp." + std::to_string(::getppid());  // a process that exists
  write_bytes(live, "being written");
  StateDict d;
  d.insert("w", ones({2}));
  save(d, path);
  CHECK_FALSE(std::filesystem::exists(dead));
  CHECK(std::filesystem::exists(other));
  CHECK(std::filesystem::exists(live));
  CHECK_FALSE(std::filesystem::exists(path + ".tmp." + std::to_string(::getpid())));
  for (const auto& p : {path, other, live}) std::filesystem::remove(p);
}

TEST_CASE("a header number too large for a double is refused (found by fuzz_checkpoint: nlohmann's out_of_range)") {
  const std::string path = temp_path("number.safetensors");
  write_safetensors(path, R"({"a":{"dtype":888888888E888888888888888888888888,"shape":[],"data_offsets":[0,4]}})",
                    std::string(4, '\0'));
  CHECK_THROWS_WITH_AS(load(path), doctest::Contains("the JSON header does not parse"), Error);
  std::filesystem::remove(path);
}
