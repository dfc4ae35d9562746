// Reduced precision (tools/make_precision_fixtures.py): bfloat16, uint8 and int8 tensors convert, print and save as
// PyTorch's do.
#include <doctest/doctest.h>

#include <bit>
#include <fstream>

#include <nabla/nabla.hpp>

#include "helpers.hpp"

using namespace nabla;
using namespace nabla::test;

namespace {

// Parsed with strtof: a double → float conversion would flush the denormals (Nabla's threads flush to zero).
Tensor floats(const std::string& text) {
  std::vector<float> f;
  std::stringstream s(text);
  for (std::string item; std::getline(s, item, ',');) f.push_back(std::strtof(item.c_str(), nullptr));
  return from_vector(f, {static_cast<int64_t>(f.size())});
}

FixtureCase conversion(const std::string& kind) {
  const auto cases = fixture_cases("precision.txt", kind);
  REQUIRE(cases.size() == 1);
  return cases[0];
}

}  // namespace

TEST_CASE("float32 to bfloat16 rounds to nearest even, bit for bit as PyTorch") {
  const auto c = conversion("to_bfloat16");
  const Tensor b = floats(c.at("x")).to(kBFloat16);
  CHECK(b.dtype() == kBFloat16);
  const auto expected = numbers(c.at("y"));
  const auto got = b.to_vector<BFloat16>();
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    const bool nan_both = std::isnan(static_cast<float>(got[i])) && (expected[i] & 0x7FFF) > 0x7F80;
    CHECK_MESSAGE((got[i].bits == expected[i] || nan_both),
                  "element " << i << ": bits " << got[i].bits << ", PyTorch " << expected[i]);
  }
}

TEST_CASE("bfloat16 to float32 is exact, denormals and -0 included") {
  const auto c = conversion("from_bfloat16");
  std::vector<BFloat16> bits;
  for (int64_t v : numbers(c.at("x"))) bits.push_back(BFloat16::from_bits(static_cast<uint16_t>(v)));
  const Tensor b = from_vector(bits, {static_cast<int64_t>(bits.size())});
  const auto expected = floats(c.at("y")).to_vector<float>();
  const auto got = b.to(kFloat32).to_vector<float>();
  for (size_t i = 0; i < got.size(); ++i)
    CHECK_MESSAGE((std::bit_cast<uint32_t>(got[i]) == std::bit_cast<uint32_t>(expected[i]) ||
                   (std::isnan(got[i]) && std::isnan(expected[i]))),
                  "element " << i);
}

TEST_CASE("float32 to uint8, int8 and int64 truncates and wraps as PyTorch on x86") {
  for (const auto& [kind, dtype] : {std::pair{"to_uint8", kUInt8}, {"to_int8", kInt8}, {"to_int64", kInt64}}) {
    CAPTURE(kind);
    const auto c = conversion(kind);
    const Tensor t = floats(c.at("x")).to(dtype);
    CHECK(t.dtype() == dtype);
    const auto expected = numbers(c.at("y"));
    const auto got = t.to_vector<int64_t>();
    for (size_t i = 0; i < got.size(); ++i) CHECK_MESSAGE(got[i] == expected[i], "element " << i);
  }
}

TEST_CASE("uint8 and int8 tensors convert between integers by wrapping") {
  const Tensor i = from_vector(std::vector<int64_t>{1, 2, 300, -5, 128}, {5});
  CHECK(i.to(kUInt8).to_vector<int64_t>() == std::vector<int64_t>{1, 2, 44, 251, 128});
  CHECK(i.to(kInt8).to_vector<int64_t>() == std::vector<int64_t>{1, 2, 44, -5, -128});
  CHECK(i.to(kUInt8).to(kFloat32).to_vector<float>() == std::vector<float>{1, 2, 44, 251, 128});
  CHECK(i.to(kBool).to(kInt8).to_vector<int64_t>() == std::vector<int64_t>{1, 1, 1, 1, 1});
}

TEST_CASE("bfloat16, uint8 and int8 tensors print as PyTorch's") {
  const Tensor b = from_vector(std::vector<float>{1.5f, 2.25f, -3.f, 1e-5f}, {2, 2}).to(kBFloat16);
  CHECK(to_string(b) ==
        "tensor([[ 1.5000e+00,  2.2500e+00],\n        [-3.0000e+00,  1.0014e-05]], "
        "dtype=torch.bfloat16)");
  CHECK(to_string(scalar_tensor(2.5).to(kBFloat16)) == "tensor(2.5000, dtype=torch.bfloat16)");
  CHECK(to_string(from_vector(std::vector<int64_t>{1, 2, 255}, {3}).to(kUInt8)) ==
        "tensor([  1,   2, 255], dtype=torch.uint8)");
  CHECK(to_string(from_vector(std::vector<int64_t>{1, -2}, {2}).to(kInt8)) == "tensor([ 1, -2], dtype=torch.int8)");
}

TEST_CASE("casts between floating dtypes are differentiable; the gradient comes back in the source's dtype") {
  const Tensor x = from_vector(std::vector<float>{1.f, 2.f, 3.f}, {3}).requires_grad_();
  const Tensor b = x.to(kBFloat16);
  CHECK(b.grad_fn()->name == "ToCopyBackward0");
  (b.to(kFloat32) * 3.0).sum().backward();
  CHECK(x.grad().dtype() == kFloat32);
  CHECK(x.grad().to_vector<float>() == std::vector<float>{3.f, 3.f, 3.f});
  CHECK_FALSE(x.to(kInt64).requires_grad());  // integers are outside the graph, as in PyTorch
}

TEST_CASE("bfloat16, uint8 and int8 tensors save and load as safetensors BF16, U8 and I8") {
  const std::string path = temp_path("precision.safetensors");
  const Tensor b = from_vector(std::vector<float>{1.00390625f, -2.7f, NAN}, {3}).to(kBFloat16);
  const Tensor u = from_vector(std::vector<int64_t>{0, 7, 255}, {3}).to(kUInt8);
  const Tensor i = from_vector(std::vector<int64_t>{-128, 0, 127}, {3}).to(kInt8);
  StateDict tensors;
  tensors.insert("b", b);
  tensors.insert("u", u);
  tensors.insert("i", i);
  save(tensors, path);
  std::ifstream file(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(file)), {});
  CHECK(bytes.find("\"dtype\":\"BF16\"") != std::string::npos);
  CHECK(bytes.find("\"dtype\":\"U8\"") != std::string::npos);
  CHECK(bytes.find("\"dtype\":\"I8\"") != std::string::npos);
  const StateDict loaded = load(path);
  CHECK(loaded.find("b")->dtype() == kBFloat16);
  const auto bits = loaded.find("b")->to_vector<BFloat16>();
  CHECK(bits[0].bits == 0x3F80);  // the tie rounded to even
  CHECK(std::isnan(static_cast<float>(bits[2])));
  CHECK(loaded.find("u")->to_vector<int64_t>() == std::vector<int64_t>{0, 7, 255});
  CHECK(loaded.find("i")->to_vector<int64_t>() == std::vector<int64_t>{-128, 0, 127});
}
