// int8 quantization against PyTorch 1.13 (tools/make_quantization_fixtures.py): quantize/dequantize bit for bit,
// observers' scales and zero points bit for bit, the int8 conv, linear and pooling within one quantization step of
// PyTorch's onednn engine; then prepare/convert on whole models.
#include <doctest/doctest.h>

#include <nabla/nabla.hpp>

#include <cmath>
#include <sstream>

#include "helpers.hpp"

namespace F = nabla::nn::functional;

using namespace nabla;
using namespace nabla::test;

namespace {

std::vector<float> floats(const std::string& text) {
  std::vector<float> f;
  std::stringstream s(text);
  for (std::string item; std::getline(s, item, ',');) f.push_back(std::strtof(item.c_str(), nullptr));
  return f;
}

std::vector<double> doubles(const std::string& text) {
  std::vector<double> d;
  std::stringstream s(text);
  for (std::string item; std::getline(s, item, ',');) d.push_back(std::strtod(item.c_str(), nullptr));
  return d;
}

Tensor tensor_of(const FixtureCase& c, const std::string& values, const std::string& shape) {
  return from_vector(floats(c.at(values)), numbers(c.at(shape)));
}

std::vector<int64_t> integers_of(const Tensor& q) {
  std::vector<int64_t> out;
  const Tensor r = q.int_repr();
  if (r.dtype() == kUInt8)
    for (uint8_t v : r.to_vector<uint8_t>()) out.push_back(v);
  else
    for (int8_t v : r.to_vector<int8_t>()) out.push_back(v);
  return out;
}

// Every integer within `steps` of PyTorch's (0: bit for bit).
void check_integers(const Tensor& q, const std::string& expected_text, int64_t steps, const std::string& kind) {
  const auto got = integers_of(q), expected = numbers(expected_text);
  REQUIRE_MESSAGE(got.size() == expected.size(), kind);
  int64_t worst = 0;
  for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(got[i] - expected[i]));
  CHECK_MESSAGE(worst <= steps, kind << ": an integer " << worst << " steps from PyTorch's");
}

}  // namespace

TEST_CASE("quantize_per_tensor and dequantize agree with PyTorch bit for bit: ties to even, NaN, inf, saturation") {
  for (const auto& prefix : {"quantize_quint8", "quantize_qint8"}) {
    const auto cases = fixture_cases("quantization.txt", prefix);
    REQUIRE(cases.size() == 3);
    for (const auto& c : cases) {
      const auto x = floats(c.at("x"));
      const Dtype dtype = std::string(prefix) == "quantize_quint8" ? kUInt8 : kInt8;
      const Tensor q = quantize_per_tensor(from_vector(x, {static_cast<int64_t>(x.size())}), std::stod(c.at("scale")),
                                           std::stoll(c.at("zero_point")), dtype);
      CHECK(q.is_quantized());
      CHECK(q.dtype() == dtype);
      CHECK(q.qscheme() == QScheme::PerTensorAffine);
      CHECK(q.q_scale() == std::stod(c.at("scale")));
      check_integers(q, c.at("y"), 0, c.at("line").substr(0, 60));
      const auto dq = q.dequantize().to_vector<float>(), expected = floats(c.at("dq"));
      for (size_t i = 0; i < dq.size(); ++i) CHECK(dq[i] == doctest::Approx(expected[i]).epsilon(1e-6));
    }
  }
}

TEST_CASE("quantize_per_channel agrees with PyTorch along either axis") {
  const auto cases = fixture_cases("quantization.txt", "quantize_per_channel");
  REQUIRE(cases.size() == 2);
  for (const auto& c : cases) {
    const int64_t axis = std::stoll(c.at("axis"));
    const Tensor q = quantize_per_channel(tensor_of(c, "x", "shape"), doubles(c.at("scales")),
                                          numbers(c.at("zero_points")), axis, kInt8);
    CHECK(q.qscheme() == QScheme::PerChannelAffine);
    CHECK(q.q_per_channel_axis() == axis);
    CHECK(q.q_per_channel_scales().to_vector<double>() == doubles(c.at("scales")));
    check_integers(q, c.at("y"), 0, "quantize_per_channel");
    check_close(q.dequantize().flatten(), from_vector(floats(c.at("dq")), {12}), 1e-6, 1e-6);
    // A view that keeps the channels keeps the parameters; one that moves or cuts them is plain integers.
    CHECK(q.narrow(1 - axis, 0, 2).is_quantized());
    CHECK(!q.transpose(0, 1).is_quantized());
    CHECK(!q.narrow(axis, 0, 1).is_quantized());
  }
}

TEST_CASE("quantized tensors print as PyTorch's and keep their parameters through views") {
  const Tensor q = quantize_per_tensor(from_vector(std::vector<float>{0.5f, -1.2f, 3.3f}, {3}), 0.1, 10, kUInt8);
  CHECK(to_string(q) ==
        "tensor([ 0.5000, -1.0000,  3.3000], size=(3,), dtype=torch.quint8,\n"
        "       quantization_scheme=torch.per_tensor_affine, scale=0.1, zero_point=10)");
  const Tensor v = q.reshape({1, 3}).narrow(1, 1, 2);
  CHECK(v.is_quantized());
  CHECK(v.q_zero_point() == 10);
  CHECK(v.dequantize().to_vector<float>() == std::vector<float>{-1.0f, 3.3f});
  CHECK(q.clone().q_scale() == 0.1);
  CHECK_THROWS_WITH_AS(q.to(kFloat32), doctest::Contains("please use dequantize"), Error);
  CHECK_THROWS_WITH_AS(q + q, doctest::Contains("call dequantize() first"), Error);
  // An int8 model's logits: softmax, argmax and the losses read the values they stand for.
  const Tensor logits = quantize_per_tensor(randn({4, 3}), 0.05, 128, kUInt8);
  const Tensor target = from_vector(std::vector<int64_t>{0, 2, 1, 0}, {4});
  CHECK(F::cross_entropy(logits, target).item<float>() == F::cross_entropy(logits.dequantize(), target).item<float>());
  CHECK(logits.argmax(1).to_vector<int64_t>() == logits.dequantize().argmax(1).to_vector<int64_t>());
  CHECK(F::log_softmax(logits, 1).to_vector<float>() == F::log_softmax(logits.dequantize(), 1).to_vector<float>());
  CHECK_THROWS_WITH_AS(quantize_per_tensor(ones({2}), 0.1, 300, kUInt8), doctest::Contains("above upper bound"), Error);
  CHECK_THROWS_WITH_AS(quantize_per_tensor(ones({2}), 0.0, 0, kUInt8), doctest::Contains("positive"), Error);
  CHECK_THROWS_WITH_AS(quantize_per_tensor(ones({2}), 0.1, 0, kFloat32), doctest::Contains("quantized dtype"), Error);
  CHECK_THROWS_WITH_AS(q.q_per_channel_scales(), doctest::Contains("per tensor"), Error);
  CHECK_THROWS_WITH_AS(ones({2}).q_scale(), doctest::Contains("expected a quantized tensor"), Error);
}

TEST_CASE("observers choose PyTorch's scales and zero points, bit for bit") {
  const auto cases = fixture_cases("quantization.txt", "observer_");
  REQUIRE(cases.size() == 7);
  for (const auto& c : cases) {
    const std::string kind = c.at("kind");
    INFO(kind);
    quantization::ObserverOptions options;
    options.dtype = kind.find("qint8") != std::string::npos ? kInt8 : kUInt8;
    options.reduce_range = kind.find("reduce_range") != std::string::npos;
    const bool symmetric = kind.find("symmetric") != std::string::npos;
    std::unique_ptr<quantization::Observer> observer;
    if (kind.find("perchannel") != std::string::npos) {
      options.qscheme = symmetric ? QScheme::PerChannelSymmetric : QScheme::PerChannelAffine;
      options.ch_axis = kind.find("axis1") != std::string::npos ? 1 : 0;
      observer = std::make_unique<quantization::PerChannelMinMaxObserver>(options);
    } else {
      options.qscheme = symmetric ? QScheme::PerTensorSymmetric : QScheme::PerTensorAffine;
      observer = std::make_unique<quantization::MinMaxObserver>(options);
    }
    for (int i = 0; c.count("x" + std::to_string(i)); ++i) (*observer)(tensor_of(c, "x" + std::to_string(i), "shape"));
    const QParams q = observer->calculate_qparams();
    const auto scales = doubles(c.at("scales"));
    REQUIRE(q.scales.size() == scales.size());
    for (size_t i = 0; i < scales.size(); ++i) CHECK(static_cast<float>(q.scales[i]) == static_cast<float>(scales[i]));
    CHECK(q.zero_points == numbers(c.at("zero_points")));
  }
  quantization::MinMaxObserver fresh;
  CHECK_THROWS_WITH_AS(fresh.calculate_qparams(), doctest::Contains("nothing was observed"), Error);
}

namespace {

// A case's input and weight quantized as the fixture script quantized them.
std::pair<Tensor, Tensor> quantized_operands(const FixtureCase& c) {
  const Tensor x = quantize_per_tensor(tensor_of(c, "x", "xshape"), std::stod(c.at("in_scale")),
                                       std::stoll(c.at("in_zero_point")), kUInt8);
  return {x, quantization::quantize_weight(tensor_of(c, "w", "wshape"))};
}

}  // namespace

TEST_CASE("the int8 convolution is within one step of PyTorch's onednn quantized conv2d") {
  const auto cases = fixture_cases("quantization.txt", "qconv_");
  REQUIRE(cases.size() == 5);
  for (const auto& c : cases) {
    INFO(c.at("kind"));
    const auto [x, w] = quantized_operands(c);
    if (c.count("wq")) check_integers(w, c.at("wq"), 0, "weight");
    ConvParams p;
    p.stride = {std::stoll(c.at("stride")), std::stoll(c.at("stride"))};
    p.padding = {std::stoll(c.at("padding")), std::stoll(c.at("padding"))};
    p.dilation = {std::stoll(c.at("dilation")), std::stoll(c.at("dilation"))};
    p.groups = std::stoll(c.at("groups"));
    p.relu = c.at("relu") == "1";
    const Tensor b = from_vector(floats(c.at("b")), {w.size(0)});
    const Tensor y = quantized_convolution(x, w, b, p, 2, std::stod(c.at("out_scale")),
                                           std::stoll(c.at("out_zero_point")), "conv2d");
    CHECK(y.q_scale() == std::stod(c.at("out_scale")));
    check_integers(y, c.at("y"), 1, c.at("kind"));
  }
}

TEST_CASE("the int8 linear is within one step of PyTorch's onednn quantized linear") {
  const auto cases = fixture_cases("quantization.txt", "qlinear_");
  REQUIRE(cases.size() == 2);
  for (const auto& c : cases) {
    INFO(c.at("kind"));
    const auto [x, w] = quantized_operands(c);
    const Tensor b = from_vector(floats(c.at("b")), {w.size(0)});
    const Tensor y = quantized_linear(x, w, b, std::stod(c.at("out_scale")), std::stoll(c.at("out_zero_point")));
    check_integers(y, c.at("y"), 1, c.at("kind"));
    // Batched (*, in) input: the same rows.
    const Tensor y3 =
        quantized_linear(x.unsqueeze(0), w, b, std::stod(c.at("out_scale")), std::stoll(c.at("out_zero_point")));
    CHECK(y3.dim() == 3);
    CHECK(integers_of(y3) == integers_of(y));
  }
}

TEST_CASE("int8 pooling pools the integers as PyTorch's quantized pooling") {
  const auto cases = fixture_cases("quantization.txt", "qpool_");
  REQUIRE(cases.size() == 4);
  for (const auto& c : cases) {
    const std::string kind = c.at("kind");
    INFO(kind);
    const Tensor x = quantize_per_tensor(tensor_of(c, "x", "xshape"), std::stod(c.at("scale")),
                                         std::stoll(c.at("zero_point")), kUInt8);
    Tensor y;
    if (kind == "qpool_max") y = F::max_pool2d(x, {.kernel_size = 2});
    if (kind == "qpool_max_padded") y = F::max_pool2d(x, {.kernel_size = 3, .stride = 2, .padding = 1});
    if (kind == "qpool_avg") y = F::avg_pool2d(x, {.kernel_size = 2});
    if (kind == "qpool_adaptive_avg") y = F::adaptive_avg_pool2d(x, 1);
    REQUIRE(y.defined());
    CHECK(y.shape() == Shape(numbers(c.at("yshape"))));
    CHECK(y.q_zero_point() == std::stoll(c.at("zero_point")));
    check_integers(y, c.at("y"), kind.find("avg") != std::string::npos ? 1 : 0, kind);
  }
}

TEST_CASE("the int8 kernels refuse what they cannot run, naming it") {
  const Tensor x = quantize_per_tensor(ones({1, 2, 4, 4}), 0.1, 0, kUInt8);
  const Tensor w = quantize_per_channel(ones({3, 2, 3, 3}), {0.1, 0.1, 0.1}, {0, 0, 0}, 0, kInt8);
  ConvParams p;
  p.stride = p.dilation = {1, 1};
  p.padding = {0, 0};
  CHECK_THROWS_WITH_AS(quantized_convolution(ones({1, 2, 4, 4}), w, {}, p, 2, 0.1, 0, "conv2d"),
                       doctest::Contains("uint8 input quantized per tensor"), Error);
  const Tensor w_zp = quantize_per_channel(ones({3, 2, 3, 3}), {0.1, 0.1, 0.1}, {0, 1, 0}, 0, kInt8);
  CHECK_THROWS_WITH_AS(quantized_convolution(x, w_zp, {}, p, 2, 0.1, 0, "conv2d"),
                       doctest::Contains("symmetric weights"), Error);
  CHECK_THROWS_WITH_AS(quantized_convolution(x, w, {}, p, 2, 0.1, 256, "conv2d"),
                       doctest::Contains("above upper bound"), Error);
  // No input channels: the bias alone (relu'd when fused), as the float conv gives it.
  ConvParams relu = p;
  relu.relu = true;
  const Tensor none = quantize_per_tensor(ones({1, 0, 4, 4}), 0.1, 0, kUInt8);
  const Tensor w0 = quantize_per_channel(ones({2, 0, 3, 3}), {0.1, 0.1}, {0, 0}, 0, kInt8);
  const Tensor b = from_vector(std::vector<float>{-0.5f, 0.7f}, {2});
  CHECK(quantized_convolution(none, w0, b, relu, 2, 0.1, 10, "conv2d").dequantize().sum({2, 3}).to_vector<float>() ==
        std::vector<float>{0.f, 0.7f * 4});
  const Tensor wl = quantize_per_channel(ones({3, 5}), {0.1, 0.1, 0.1}, {0, 0, 0}, 0, kInt8);
  CHECK_THROWS_WITH_AS(quantized_linear(quantize_per_tensor(ones({2, 4}), 0.1, 0, kUInt8), wl, {}, 0.1, 0),
                       doctest::Contains("expected input of shape (*, 5)"), Error);
}

namespace {

struct SmallNet : nn::Layer<SmallNet> {
  SmallNet() {
    register_module("conv1", conv1);
    register_module("conv2", conv2);
    register_module("fc", fc);
  }
  nn::Conv2d conv1{{.in_channels = 1, .out_channels = 8, .kernel_size = 3, .padding = 1}};
  nn::Conv2d conv2{{.in_channels = 8, .out_channels = 16, .kernel_size = 3, .stride = 2, .padding = 1}};
  nn::Linear fc{{.in_features = 16 * 4 * 4, .out_features = 10}};
  Tensor forward(const Tensor& x) {
    Tensor y = conv1.forward_relu(x);
    y = conv2.forward_relu(y);
    y = F::max_pool2d(y, {.kernel_size = 2});
    return F::log_softmax(fc(y.flatten(1)), 1);
  }
};

}  // namespace

TEST_CASE("prepare, calibrate, convert: a model runs in int8 close to its float32 self") {
  manual_seed(5);
  SmallNet net;
  net.eval();
  const Tensor images = randn({64, 1, 16, 16});
  NoGradGuard no_grad;
  const Tensor reference = net(images);
  CHECK_THROWS_WITH_AS(quantization::convert(net), doctest::Contains("no prepared layer"), Error);
  quantization::prepare(net);
  CHECK(net(images).to_vector<float>() == reference.to_vector<float>());  // observing changes nothing
  quantization::convert(net);
  CHECK(net.conv1.quantization_state()->converted());  // the member and the registered copy share it
  const Tensor quantized = net(images);
  CHECK(!quantized.is_quantized());  // log_softmax ran on the dequantized logits
  const auto a = quantized.to_vector<float>(), b = reference.to_vector<float>();
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, static_cast<double>(std::fabs(a[i] - b[i])));
  CHECK(worst < 0.1);
  // The int8 path's intermediate values stay quantized, in the convs' layout.
  const Tensor y = net.conv2.forward_relu(net.conv1.forward_relu(images));
  CHECK(y.is_quantized());
  CHECK(y.dtype() == kUInt8);
}

TEST_CASE("prepare folds a Sequential's conv + BatchNorm (+ ReLU) into one int8 conv; the BatchNorm leaves the state") {
  manual_seed(8);
  nn::Sequential model(nn::Conv2d({.in_channels = 2, .out_channels = 4, .kernel_size = 3, .bias = false}),
                       nn::BatchNorm2d({.num_features = 4}), nn::ReLU(),
                       nn::Conv2d({.in_channels = 4, .out_channels = 3, .kernel_size = 3}),
                       nn::BatchNorm2d({.num_features = 3}));
  NoGradGuard no_grad;
  for (size_t i : {1, 4}) {  // running statistics far from the identity
    auto& bn = model.at<nn::BatchNorm2d>(i);
    bn.running_mean.copy_(randn(bn.running_mean.shape()));
    bn.running_var.copy_(rand(bn.running_var.shape()) + 0.5);
    bn.weight.copy_(rand(bn.weight.shape()) + 0.5);
  }
  model.eval();
  const Tensor x = randn({8, 2, 10, 10});
  const Tensor reference = model(x);
  quantization::prepare(model, {.activation_observer = quantization::ObserverKind::MinMax});
  check_close(model(x), reference, 1e-5, 1e-5);  // folded, still float32: the same function
  quantization::convert(model);
  const Tensor y = model(x);
  CHECK(y.is_quantized());
  check_close(y.dequantize(), reference, 2 * y.q_scale(), 0);
  // The first conv's ReLU was fused: its output is observed (and quantized) from 0 up.
  CHECK(model.at<nn::Conv2d>(0).quantization_state()->output_zero_point() == 0);
  CHECK(model.at<nn::Conv2d>(3).quantization_state()->output_zero_point() != 0);
  const StateDict state = quantization::state_dict(model);
  CHECK(state.keys() == std::vector<std::string>{"0.weight", "0.bias", "0.scale", "0.zero_point", "0.input_scale",
                                                 "0.input_zero_point", "3.weight", "3.bias", "3.scale", "3.zero_point",
                                                 "3.input_scale", "3.input_zero_point"});
  manual_seed(9);  // another model's own weights and statistics: what runs must come from the state
  nn::Sequential other(nn::Conv2d({.in_channels = 2, .out_channels = 4, .kernel_size = 3, .bias = false}),
                       nn::BatchNorm2d({.num_features = 4}), nn::ReLU(),
                       nn::Conv2d({.in_channels = 4, .out_channels = 3, .kernel_size = 3}),
                       nn::BatchNorm2d({.num_features = 3}));
  other.eval();
  quantization::prepare(other);
  quantization::load_state_dict(other, state);
  CHECK(integers_of(other(x)) == integers_of(y));
}

TEST_CASE("prepare folds the BatchNorms `fuse` names in a hand-written model, and refuses what it cannot fold") {
  struct Model : nn::Layer<Model> {
    Model() {
      register_module("conv", conv);
      register_module("bn", bn);
      register_module("relu", relu);
    }
    nn::Conv2d conv{{.in_channels = 1, .out_channels = 2, .kernel_size = 3}};
    nn::BatchNorm2d bn{{.num_features = 2}};
    nn::ReLU relu;
    Tensor forward(const Tensor& x) { return relu(bn(conv(x))); }
  };
  NoGradGuard no_grad;
  const Tensor x = randn({4, 1, 6, 6});
  Model model;
  model.eval();
  model.bn.running_mean.fill_(0.5);
  const Tensor reference = model(x);
  quantization::prepare(model, {}, {{"conv", "bn", "relu"}});
  model(x);
  quantization::convert(model);
  const Tensor y = model(x);
  CHECK(y.q_zero_point() == 0);  // observed after the ReLU
  check_close(y.dequantize(), reference, 2 * y.q_scale(), 0);

  const auto refused = [&](const std::vector<std::vector<std::string>>& fuse, const char* message, bool train = false) {
    Model other;
    if (!train) other.eval();
    if (train) other.conv.eval();
    CHECK_THROWS_WITH_AS(quantization::prepare(other, {}, fuse), doctest::Contains(message), Error);
  };
  refused({{"conv", "missing"}}, "fuse names 'missing', which is not a submodule");
  refused({{"bn", "conv"}}, "'bn' is a BatchNorm2d, not a quantized conv");
  refused({{"conv", "relu", "bn"}}, "'relu' is a ReLU, not a BatchNorm");
  refused({{"conv"}}, "groups of a conv and a BatchNorm");
  refused({{"conv", "bn"}}, "Fusion only for eval! Call eval() on the BatchNorm2d first", true);
}

TEST_CASE("HistogramObserver builds PyTorch's histogram and picks its range: the same scales and zero points") {
  const auto cases = fixture_cases("quantization.txt", "histogram_");
  REQUIRE(cases.size() == 6);
  for (const auto& c : cases) {
    const std::string kind = c.at("kind");
    INFO(kind);
    quantization::ObserverOptions options;
    options.reduce_range = kind.find("reduce_range") != std::string::npos;
    if (kind.find("qint8_symmetric") != std::string::npos) {
      options.dtype = kInt8;
      options.qscheme = QScheme::PerTensorSymmetric;
    }
    quantization::HistogramObserver observer(options);
    for (int i = 0; c.count("x" + std::to_string(i)); ++i)
      observer(tensor_of(c, "x" + std::to_string(i), "shape" + std::to_string(i)));
    CHECK(observer.min_val == std::stof(c.at("min_val")));
    CHECK(observer.max_val == std::stof(c.at("max_val")));
    const auto expected = floats(c.at("histogram"));
    REQUIRE(observer.histogram.size() == expected.size());
    float worst = 0;
    for (size_t i = 0; i < expected.size(); ++i)
      worst = std::max(worst, std::fabs(observer.histogram[i] - expected[i]));
    CHECK(worst <= 1e-4f);
    const QParams q = observer.calculate_qparams();
    CHECK(static_cast<float>(q.scales[0]) == static_cast<float>(std::stod(c.at("scales"))));
    CHECK(q.zero_points[0] == std::stoll(c.at("zero_points")));
  }
  quantization::HistogramObserver observer;
  CHECK_THROWS_WITH_AS(observer.calculate_qparams(), doctest::Contains("nothing was observed"), Error);
  CHECK_THROWS_WITH_AS(observer(full({3}, std::nan(""))), doctest::Contains("NaN"), Error);
  CHECK_THROWS_WITH_AS(quantization::HistogramObserver({.qscheme = QScheme::PerChannelAffine}),
                       doctest::Contains("per tensor only"), Error);
  observer(full({4}, 2.0));  // one value: a range of 1 either side, as torch.histc
  CHECK(observer.histogram[1024] == 4);
  quantization::HistogramObserver extremes;  // ranges where float32 bins degenerate: no crash, finite parameters
  extremes(full({3}, 1e30));
  extremes(from_vector(std::vector<float>{-1e38f, 1e38f}, {2}));
  extremes(full({2}, 1.0));
  CHECK(std::isfinite(extremes.calculate_qparams().scales[0]));
  quantization::HistogramObserver beyond;  // a range wider than float32's: a clear error
  beyond(from_vector(std::vector<float>{-3e38f, 3e38f}, {2}));
  CHECK_THROWS_WITH_AS(beyond(full({2}, 1.0)), doctest::Contains("HistogramObserver"), Error);
}

TEST_CASE("quantized add and cat: within one step of the float ops' results quantized") {
  manual_seed(10);
  const Tensor a = randn({2, 3, 4, 5}), b = randn({2, 3, 4, 5}) * 2;
  const Tensor qa = quantize_per_tensor(a, 0.02, 120, kUInt8), qb = quantize_per_tensor(b, 0.05, 90, kUInt8);
  for (const auto& [relu, zero_point] : {std::pair{false, 100}, std::pair{true, 0}, std::pair{true, 30}}) {
    INFO(relu << " " << zero_point);
    const Tensor sum = quantized_add(qa, qb, 0.06, zero_point, relu);
    const Tensor values = qa.dequantize() + qb.dequantize();
    const Tensor expected = quantize_per_tensor(relu ? nabla::relu(values) : values, 0.06, zero_point, kUInt8);
    const auto got = integers_of(sum), want = integers_of(expected);
    int64_t worst = 0;
    for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(got[i] - want[i]));
    CHECK(worst <= 1);
  }
  // cat: the same parameters copy the integers; others requantize.
  const Tensor same = quantized_cat({qa, qa}, 1, 0.02, 120);
  CHECK(same.int_repr().to_vector<uint8_t>() == cat({qa.int_repr(), qa.int_repr()}, 1).to_vector<uint8_t>());
  const Tensor mixed = quantized_cat({qa, qb}, 0, 0.05, 100);
  CHECK(integers_of(mixed) ==
        integers_of(quantize_per_tensor(cat({qa.dequantize(), qb.dequantize()}, 0), 0.05, 100, kUInt8)));
  CHECK_THROWS_WITH_AS(quantized_add(qa, qb.narrow(0, 0, 1), 0.1, 0), doctest::Contains("shapes must match"), Error);
  CHECK_THROWS_WITH_AS(quantized_cat({qa, a}, 0, 0.1, 0), doctest::Contains("at position 1"), Error);
}

TEST_CASE("prepare refuses a model in training mode; convert names a layer calibration never reached") {
  SmallNet net;
  CHECK_THROWS_WITH_AS(quantization::prepare(net), doctest::Contains("call eval() first"), Error);
  net.eval();
  quantization::prepare(net);
  NoGradGuard no_grad;
  net.conv1(randn({1, 1, 8, 8}));
  CHECK_THROWS_WITH_AS(quantization::convert(net), doctest::Contains("'conv2' never ran during calibration"), Error);
}

TEST_CASE("a converted model saves and loads: the same int8 results, the parameters in the file's metadata") {
  manual_seed(6);
  SmallNet net;
  net.eval();
  const Tensor images = randn({32, 1, 16, 16});
  NoGradGuard no_grad;
  quantization::prepare(net);
  net(images);
  quantization::convert(net);
  const Tensor expected = net(images);
  const std::string path = temp_path("int8.safetensors");
  save(quantization::state_dict(net), path);
  const StateDict loaded = load(path);
  CHECK(loaded["conv1.weight"].is_quantized());
  CHECK(loaded["conv1.weight"].q_per_channel_scales().to_vector<double>() ==
        net.conv1.quantization_state()->weight().q_per_channel_scales().to_vector<double>());

  manual_seed(7);  // other float weights: everything must come from the file
  SmallNet restored;
  restored.eval();
  quantization::prepare(restored);
  quantization::load_state_dict(restored, loaded);
  CHECK(restored(images).to_vector<float>() == expected.to_vector<float>());

  StateDict partial;
  for (const auto& [key, tensor] : loaded)
    if (key != "fc.input_scale") partial.insert(key, tensor);
  SmallNet other;
  other.eval();
  quantization::prepare(other);
  CHECK_THROWS_WITH_AS(quantization::load_state_dict(other, partial), doctest::Contains("missing 'fc.input_scale'"),
                       Error);
}

TEST_CASE("prepare and convert choose PyTorch's eager convert's parameters; the int8 model's output is within a step") {
  const auto cases = fixture_cases("quantization.txt", "eager_convert");
  REQUIRE(cases.size() == 1);
  const auto& c = cases[0];
  struct Model : nn::Layer<Model> {
    Model() {
      register_module("conv", conv);
      register_module("fc", fc);
    }
    nn::Conv2d conv{{.in_channels = 1, .out_channels = 4, .kernel_size = 3, .padding = 1}};
    nn::Linear fc{{.in_features = 4 * 6 * 6, .out_features = 5}};
    Tensor forward(const Tensor& x) { return fc(conv.forward_relu(x).flatten(1)); }  // QuantStub: conv's own
  } model;
  NoGradGuard no_grad;
  for (auto& [key, tensor] : model.state_dict()) tensor.copy_(from_vector(floats(c.at(key)), tensor.shape()));
  model.eval();
  quantization::QConfig qconfig = quantization::get_default_qconfig("onednn");
  qconfig.activation_observer = quantization::ObserverKind::MinMax;  // as the fixture's
  quantization::prepare(model, qconfig);
  model(from_vector(floats(c.at("calibration")), {16, 1, 6, 6}));
  quantization::convert(model);
  const StateDict state = quantization::state_dict(model);
  CHECK(state["conv.input_scale"].item<float>() == static_cast<float>(std::stod(c.at("input_scale"))));
  CHECK(state["conv.input_zero_point"].item<int64_t>() == std::stoll(c.at("input_zero_point")));
  // The layers' outputs are observed from float computations whose summation order is oneDNN's, not PyTorch's: the
  // ranges, so the scales, may differ in the last bit (the input's, observed from the data itself, may not).
  CHECK(state["conv.scale"].item<float>() == doctest::Approx(std::stod(c.at("conv_scale"))).epsilon(1e-6));
  CHECK(state["conv.zero_point"].item<int64_t>() == std::stoll(c.at("conv_zero_point")));
  CHECK(state["fc.scale"].item<float>() == doctest::Approx(std::stod(c.at("fc_scale"))).epsilon(1e-6));
  CHECK(state["fc.zero_point"].item<int64_t>() == std::stoll(c.at("fc_zero_point")));
  check_integers(model(from_vector(floats(c.at("test")), {4, 1, 6, 6})), c.at("y"), 1, "eager_convert");
}

TEST_CASE("BatchNorms folded, FloatFunctional add_relu and cat, histogram observers: PyTorch's eager convert") {
  const auto cases = fixture_cases("quantization.txt", "eager_bn_convert");
  REQUIRE(cases.size() == 1);
  const auto& c = cases[0];
  struct Model : nn::Layer<Model> {
    Model() {
      register_module("conv1", conv1);
      register_module("bn1", bn1);
      register_module("relu1", relu1);
      register_module("conv2", conv2);
      register_module("bn2", bn2);
      register_module("skip", skip);
      register_module("join", join);
      register_module("fc", fc);
    }
    nn::Conv2d conv1{{.in_channels = 1, .out_channels = 4, .kernel_size = 3, .padding = 1}};
    nn::BatchNorm2d bn1{{.num_features = 4}};
    nn::ReLU relu1;
    nn::Conv2d conv2{{.in_channels = 4, .out_channels = 4, .kernel_size = 3, .padding = 1, .bias = false}};
    nn::BatchNorm2d bn2{{.num_features = 4}};
    nn::FloatFunctional skip, join;
    nn::Linear fc{{.in_features = 8 * 6 * 6, .out_features = 5}};
    Tensor forward(const Tensor& x) {
      const Tensor h = relu1(bn1(conv1(x)));
      const Tensor s = skip.add_relu(h, bn2(conv2(h)));
      return fc(join.cat({h, s}, 1).flatten(1));
    }
  } model;
  NoGradGuard no_grad;
  for (auto& [key, tensor] : model.state_dict())
    if (c.count(key)) tensor.copy_(from_vector(floats(c.at(key)), tensor.shape()));
  model.eval();
  quantization::prepare(model, quantization::get_default_qconfig("onednn"),
                        {{"conv1", "bn1", "relu1"}, {"conv2", "bn2"}});
  model(from_vector(floats(c.at("calibration")), {16, 1, 6, 6}));
  quantization::convert(model);
  const StateDict state = quantization::state_dict(model);
  CHECK(state["conv1.input_scale"].item<float>() == static_cast<float>(std::stod(c.at("input_scale"))));
  CHECK(state["conv1.input_zero_point"].item<int64_t>() == std::stoll(c.at("input_zero_point")));
  check_close(state["conv1.bias"], from_vector(floats(c.at("conv1_folded_bias")), {4}), 1e-6, 1e-6);
  // Outputs observed from float computations summed in oneDNN's order, not PyTorch's: a histogram's bins, so the
  // chosen range, may move by a bin's width.
  for (const char* layer : {"conv1", "conv2", "skip", "join", "fc"}) {
    INFO(layer);
    const std::string name = layer;
    CHECK(state[name + ".scale"].item<float>() == doctest::Approx(std::stod(c.at(name + "_scale"))).epsilon(2e-3));
    CHECK(std::abs(state[name + ".zero_point"].item<int64_t>() - std::stoll(c.at(name + "_zero_point"))) <= 1);
  }
  CHECK(!state.contains("bn1.weight"));
  check_integers(model(from_vector(floats(c.at("test")), {4, 1, 6, 6})), c.at("y"), 2, "eager_bn_convert");
}

TEST_CASE("quantize_weight quantizes as convert does: per channel by default, per tensor when the qconfig says so") {
  manual_seed(11);
  const Tensor w = randn({4, 3, 3, 3});
  const Tensor per_channel = quantization::quantize_weight(w);
  CHECK(per_channel.qscheme() == QScheme::PerChannelAffine);
  CHECK(per_channel.q_per_channel_scales().numel() == 4);
  const Tensor per_tensor = quantization::quantize_weight(w, {.dtype = kInt8, .qscheme = QScheme::PerTensorSymmetric});
  CHECK(per_tensor.qscheme() == QScheme::PerTensorAffine);
  CHECK(per_tensor.q_zero_point() == 0);
  check_close(per_tensor.dequantize(), w, per_tensor.q_scale() * 0.51, 0);  // half a step, and the top one clamped
}
