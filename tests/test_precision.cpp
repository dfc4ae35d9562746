// Reduced precision (tools/make_precision_fixtures.py): bfloat16, uint8 and int8 tensors convert, print and save as
// PyTorch's do.
#include <doctest/doctest.h>

#include <bit>
#include <fstream>

#include <nabla/nabla.hpp>

#include "helpers.hpp"

using namespace nabla;
using namespace nabla::test;
namespace F = nabla::nn::functional;

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

// ---- autocast (PyTorch 1.13's CPU autocast; NABLA_BF16=force in the unit test's environment makes it run bfloat16
// on any CPU, and the suite passes with NABLA_BF16=off as well)

namespace {

Tensor fixture_tensor(const FixtureCase& c, const std::string& values, const std::string& shape) {
  return floats(c.at(values)).reshape(numbers(c.at(shape)));
}

// Runs `op` on the case's inputs under autocast; checks the dtype, the values and the float32 input gradients.
void check_autocast_case(const std::string& kind, const std::function<Tensor(const std::vector<Tensor>&)>& op) {
  const auto c = conversion(kind);
  std::vector<Tensor> inputs;
  for (int i = 0; c.count("x" + std::to_string(i)); ++i)
    inputs.push_back(fixture_tensor(c, "x" + std::to_string(i), "shape" + std::to_string(i)).requires_grad_());
  Tensor y;
  {
    AutocastGuard autocast;
    y = op(inputs);
  }
  // bfloat16 here: PyTorch's autocast values (the same oneDNN kernels; bfloat16 operands, float sums, one rounding
  // of the result: ~0.4 %). float32 (where bfloat16 does not pay): PyTorch's values without autocast.
  const bool bf16 = c.at("dtype") == "bfloat16" && autocast::bfloat16_pays();
  CHECK(y.dtype() == (bf16 ? kBFloat16 : kFloat32));
  const double tolerance = bf16 ? 2e-2 : 1e-4;
  const std::string y_name = bf16 ? "y" : "y32", dx_name = bf16 ? "dx" : "dx32";
  check_close(y.to(kFloat32), fixture_tensor(c, y_name, "yshape"), tolerance, tolerance);
  (y.to(kFloat32) * fixture_tensor(c, "g", "yshape")).sum().backward();
  for (size_t i = 0; i < inputs.size(); ++i) {
    CAPTURE(i);
    CHECK(inputs[i].grad().dtype() == kFloat32);
    check_close(inputs[i].grad(), fixture_tensor(c, dx_name + std::to_string(i), "shape" + std::to_string(i)),
                3 * tolerance, 3 * tolerance);
  }
}

}  // namespace

TEST_CASE("autocast runs conv, linear and matmul in bfloat16 as PyTorch's does, gradients float32") {
  check_autocast_case("autocast_conv2d",
                      [](const std::vector<Tensor>& in) { return F::conv2d(in[0], in[1], in[2], {.padding = 1}); });
  check_autocast_case("autocast_conv1d",
                      [](const std::vector<Tensor>& in) { return F::conv1d(in[0], in[1], in[2], {.stride = 2}); });
  check_autocast_case("autocast_conv3d",
                      [](const std::vector<Tensor>& in) { return F::conv3d(in[0], in[1], in[2], {.padding = 1}); });
  check_autocast_case("autocast_linear", [](const std::vector<Tensor>& in) { return F::linear(in[0], in[1], in[2]); });
  // 16 rows: the matmul primitive (up to 4 rows take oneDNN's inner product)
  check_autocast_case("autocast_batched_linear",
                      [](const std::vector<Tensor>& in) { return F::linear(in[0], in[1], in[2]); });
  check_autocast_case("autocast_mm", [](const std::vector<Tensor>& in) { return mm(in[0], in[1]); });
  check_autocast_case("autocast_matmul", [](const std::vector<Tensor>& in) { return matmul(in[0], in[1]); });
}

TEST_CASE("autocast keeps transposed convolutions in float32, as PyTorch 1.13's float32 list") {
  check_autocast_case("autocast_conv_transpose2d",
                      [](const std::vector<Tensor>& in) { return F::conv_transpose2d(in[0], in[1]); });
}

TEST_CASE("under autocast, bfloat16 flows through ReLU, pooling, batch norm, dropout and softmax; losses are float32") {
  const Dtype low = autocast::bfloat16_pays() ? kBFloat16 : kFloat32;
  manual_seed(1);
  nn::Conv2d conv({.in_channels = 3, .out_channels = 8, .kernel_size = 3});
  nn::BatchNorm2d norm({.num_features = 8});
  nn::Linear fc({.in_features = 8 * 3 * 3, .out_features = 5});
  const Tensor x = randn({4, 3, 8, 8});
  const Tensor target = from_vector(std::vector<int64_t>{0, 1, 2, 3}, {4});
  AutocastGuard autocast;
  const Tensor c = conv.forward_relu(x);
  CHECK(c.dtype() == low);
  const Tensor n = F::relu(norm(c));
  CHECK(n.dtype() == low);
  const Tensor p = F::max_pool2d(n, {.kernel_size = 2});
  CHECK(p.dtype() == low);
  CHECK(F::avg_pool2d(n, {.kernel_size = 2}).dtype() == low);
  CHECK(F::adaptive_avg_pool2d(n, {1}).dtype() == low);
  const Tensor d = F::dropout(p, 0.25, true);
  CHECK(d.dtype() == low);
  const Tensor logits = fc(d.flatten(1));
  CHECK(logits.dtype() == low);
  const Tensor log_p = F::log_softmax(logits, 1);
  CHECK(log_p.dtype() == low);
  CHECK((logits * 2.0 + logits).dtype() == low);       // elementwise math keeps bfloat16
  CHECK((logits + ones({4, 5})).dtype() == kFloat32);  // promoted by a float32 operand, as PyTorch
  const Tensor masked = masked_fill(logits, logits > scalar_tensor(0.0, low), -1.5);  // the text model's masking
  CHECK(masked.dtype() == low);
  CHECK(std::get<0>(masked.max(1)).dtype() == low);
  CHECK(where(logits > scalar_tensor(0.0, low), logits, 0.0).dtype() == low);
  const Tensor loss = F::nll_loss(log_p, target);
  CHECK(loss.dtype() == kFloat32);
  CHECK(F::cross_entropy(logits, target).dtype() == kFloat32);
  CHECK(F::mse_loss(logits, zeros({4, 5})).dtype() == kFloat32);
  loss.backward();
  for (const Tensor& parameter : {conv.weight, conv.bias, norm.weight, norm.bias, fc.weight, fc.bias}) {
    REQUIRE(parameter.grad().defined());
    CHECK(parameter.grad().dtype() == kFloat32);
  }
  CHECK(norm.running_mean.dtype() == kFloat32);
}

TEST_CASE("bfloat16 through GELU, sigmoid, layer, group and instance norm: bfloat16 results close to float32's") {
  manual_seed(3);
  const Tensor x = randn({2, 4, 3, 5});
  nn::LayerNorm layer({.normalized_shape = {5}});
  nn::GroupNorm group({.num_groups = 2, .num_channels = 4});
  nn::InstanceNorm2d instance({.num_features = 4, .affine = true});
  const std::vector<std::function<Tensor(const Tensor&)>> ops{
      [](const Tensor& t) { return F::gelu(t); }, [](const Tensor& t) { return F::sigmoid(t); },
      [&](const Tensor& t) { return layer(t); }, [&](const Tensor& t) { return group(t); },
      [&](const Tensor& t) { return instance(t); }};
  for (size_t i = 0; i < ops.size(); ++i) {
    CAPTURE(i);
    const Tensor y = ops[i](x.to(kBFloat16));
    CHECK(y.dtype() == kBFloat16);
    check_close(y.to(kFloat32), ops[i](x), 3e-2, 2e-2);
    const Tensor input = x.clone().requires_grad_();
    ops[i](input.to(kBFloat16)).to(kFloat32).sum().backward();
    CHECK(input.grad().dtype() == kFloat32);
  }
}

TEST_CASE("autocast makes a weight's bfloat16 copy once per weight version, not once per forward") {
  nn::Conv2d conv({.in_channels = 4, .out_channels = 8, .kernel_size = 3});
  nn::Linear fc({.in_features = 8, .out_features = 3});
  optim::SGD sgd(conv.parameters(), {.lr = 0.1});
  const Tensor x = randn({2, 4, 6, 6});
  const auto step = [&] {
    AutocastGuard autocast;
    fc(conv(x).mean({2, 3})).sum().backward();
  };
  step();
  const uint64_t before = weight_copies();
  step();
  CHECK(weight_copies() == before);  // the same versions: the cached copies
  {
    NoGradGuard no_grad;
    sgd.step();  // a new version of the conv's weight (and bias), not of fc's
  }
  step();
  CHECK(weight_copies() == before + 1);  // the conv weight's copy (bfloat16, or float32 blocked), made again
}

TEST_CASE("two bfloat16 convolutions in a row pass their values with no reorder or cast between them") {
  nn::Conv2d conv1({.in_channels = 16, .out_channels = 16, .kernel_size = 3, .padding = 1});
  nn::Conv2d conv2({.in_channels = 16, .out_channels = 16, .kernel_size = 3, .padding = 1});
  const Tensor x = randn({2, 16, 8, 8});
  const auto reorders_of_chain = [&](bool bfloat16) {
    AutocastGuard autocast(kBFloat16, bfloat16);
    NoGradGuard no_grad;
    conv2(conv1(x));  // builds the primitives and the weights' copies
    const uint64_t before = layout_reorders();
    const Tensor y = conv2.forward_relu(conv1.forward_relu(x));
    CHECK(y.dtype() == (bfloat16 && autocast::bfloat16_pays() ? kBFloat16 : kFloat32));
    return layout_reorders() - before;
  };
  // At most one more: the float32 input's conversion into the first conv.
  CHECK(reorders_of_chain(true) <= reorders_of_chain(false) + 1);
}

TEST_CASE("a bfloat16 input outside autocast is refused by conv and linear, naming what to change") {
  const Tensor x = randn({1, 3, 5, 5}).to(kBFloat16);
  CHECK_THROWS_WITH_AS(F::conv2d(x, randn({2, 3, 3, 3})), doctest::Contains("AutocastGuard"), Error);
  CHECK_THROWS_WITH_AS(F::linear(randn({2, 3}).to(kBFloat16), randn({4, 3})), doctest::Contains("same dtype"), Error);
}
