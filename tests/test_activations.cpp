// Activation layers against PyTorch (tools/make_layer_fixtures.py, act*): output, input gradient, PReLU's weight
// gradient and the printed module; NaN propagation; layouts kept; PyTorch's errors.
#include <doctest/doctest.h>

#include <nabla/nabla.hpp>

#include "helpers.hpp"

using namespace nabla;
using namespace nabla::test;
namespace F = nabla::nn::functional;

namespace {

template <class Options>
TestLayer activation(const Options& options) {
  return test_layer<nn::Activation<Options>>(options);
}

TestLayer make_activation(FixtureCase& c) {
  const auto field = [&](const char* key, double fallback) { return c.count(key) ? std::stod(c[key]) : fallback; };
  const std::string& kind = c["kind"];
  const std::optional<int64_t> dim = c.count("dim") ? std::optional(std::stoll(c["dim"])) : std::nullopt;
  if (kind == "LeakyReLU") return activation(nn::LeakyReLUOptions{.negative_slope = field("negative_slope", 0.01)});
  if (kind == "ELU") return activation(nn::ELUOptions{.alpha = field("alpha", 1)});
  if (kind == "CELU") return activation(nn::CELUOptions{.alpha = field("alpha", 1)});
  if (kind == "SELU") return activation(nn::SELUOptions{});
  if (kind == "GELU")
    return activation(nn::GELUOptions{.approximate = c.count("approximate") ? c["approximate"] : "none"});
  if (kind == "SiLU") return activation(nn::SiLUOptions{});
  if (kind == "Mish") return activation(nn::MishOptions{});
  if (kind == "Hardswish") return activation(nn::HardswishOptions{});
  if (kind == "Hardsigmoid") return activation(nn::HardsigmoidOptions{});
  if (kind == "ReLU6") return activation(nn::ReLU6Options{});
  if (kind == "Hardtanh")
    return activation(nn::HardtanhOptions{.min_val = field("min_val", -1), .max_val = field("max_val", 1)});
  if (kind == "Softplus")
    return activation(nn::SoftplusOptions{.beta = field("beta", 1), .threshold = field("threshold", 20)});
  if (kind == "Softsign") return activation(nn::SoftsignOptions{});
  if (kind == "Sigmoid") return activation(nn::SigmoidOptions{});
  if (kind == "Tanh") return activation(nn::TanhOptions{});
  if (kind == "LogSigmoid") return activation(nn::LogSigmoidOptions{});
  if (kind == "Softmax") return activation(nn::SoftmaxOptions{.dim = dim});
  if (kind == "LogSoftmax") return activation(nn::LogSoftmaxOptions{.dim = dim});
  if (kind == "Softmin") return activation(nn::SoftminOptions{.dim = dim});
  REQUIRE(kind == "PReLU");
  auto m = std::make_shared<nn::PReLU>(nn::PReLUOptions{
      .num_parameters = static_cast<int64_t>(field("num_parameters", 1)), .init = field("init", 0.25)});
  return {m, [m](const Tensor& x) { return m->forward(x); }};
}

}  // namespace

TEST_CASE("activation layers match PyTorch: output, gradients and repr") {
  int checked = 0;
  for (auto c : fixture_cases("layers/cases.txt")) {
    if (c["id"].rfind("act_", 0) != 0) continue;
    CAPTURE(c["line"]);
    const Shape shape = numbers(c["shape"]);
    const TestLayer b = make_activation(c);
    std::string repr = c["repr"];
    std::replace(repr.begin(), repr.end(), '~', ' ');
    CHECK(nn::to_string(*b.module) == repr);
    check_layer_step(c, b.forward, shape, shape);
    if (c["kind"] == "PReLU") {
      const Tensor w = *b.module->named_parameters().find("weight");
      check_close(w.grad(), layer_golden(c, "dw", w.shape()), 1e-4, 1e-4);
    }
    ++checked;
  }
  CHECK(checked == 47);
}

TEST_CASE("activations keep NaN and agree with finite differences") {
  const std::vector<std::function<Tensor(const Tensor&)>> fns = {[](const Tensor& x) { return F::leaky_relu(x, 0.1); },
                                                                 [](const Tensor& x) { return F::elu(x); },
                                                                 [](const Tensor& x) { return F::gelu(x); },
                                                                 [](const Tensor& x) { return F::silu(x); },
                                                                 [](const Tensor& x) { return F::mish(x); },
                                                                 [](const Tensor& x) { return F::hardswish(x); },
                                                                 [](const Tensor& x) { return F::hardtanh(x); },
                                                                 [](const Tensor& x) { return F::relu6(x); },
                                                                 [](const Tensor& x) { return F::hardsigmoid(x); },
                                                                 [](const Tensor& x) { return F::softplus(x); },
                                                                 [](const Tensor& x) { return F::logsigmoid(x); },
                                                                 [](const Tensor& x) { return F::selu(x); }};
  manual_seed(7);
  for (size_t i = 0; i < fns.size(); ++i) {
    CAPTURE(i);
    Tensor x = randn({2, 3, 4});
    x.data_ptr<float>()[5] = NAN;
    CHECK(std::isnan(fns[i](x).to_vector<float>()[5]));  // PyTorch keeps NaN (oneDNN's clip alone would not)
    gradcheck([&](const std::vector<Tensor>& in) { return fns[i](in[0]); }, {randn({2, 3, 4}) * 3});
  }
}

TEST_CASE("an activation after a conv works on its blocked output without a reorder") {
  manual_seed(8);
  nn::Conv2d conv({.in_channels = 3, .out_channels = 16, .kernel_size = 3});
  const Tensor y = conv(randn({2, 3, 8, 8}));
  check_close(F::gelu(y), F::gelu(y.contiguous().clone()));
  check_close(F::leaky_relu(y, 0.2), F::leaky_relu(y.contiguous().clone(), 0.2));
}

TEST_CASE("activations raise PyTorch's errors") {
  CHECK_THROWS_WITH_AS(F::gelu(randn({3}), "fast"),
                       doctest::Contains("approximate argument must be either none or tanh"), Error);
  CHECK_THROWS_WITH_AS(nn::PReLU({.num_parameters = 3})(randn({2, 4, 5})),
                       doctest::Contains("Found parameter numbers = 3 and channel size = 4"), Error);
  CHECK(nn::to_string(nn::Softmax()) == "Softmax(dim=None)");
  check_close(nn::Softmax()(randn({2, 3})).sum(Shape{1}), ones({2}));  // the implicit dim of 2-D input is 1
}
