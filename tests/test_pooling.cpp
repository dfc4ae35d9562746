// Pooling against PyTorch (tools/make_conv_fixtures.py writes the cases), gradient checks, repr and errors.
#include "helpers.hpp"

using namespace nabla;
namespace F = nabla::nn::functional;

namespace {

using test::numbers;

template <size_t D>
Tensor run_case(test::FixtureCase f, const Tensor& x) {
  const auto get = [&](const char* key, std::vector<int64_t> fallback) {
    return f.count(key) ? numbers(f[key]) : fallback;
  };
  const std::string kind = f["kind"];
  if (kind == "max")
    return nn::MaxPoolNd<D>({.kernel_size = get("kernel_size", {}),
                             .stride = get("stride", {}),
                             .padding = get("padding", {0}),
                             .dilation = get("dilation", {1}),
                             .ceil_mode = f.count("ceil_mode") && f["ceil_mode"] == "1"})(x);
  if (kind == "avg")
    return nn::AvgPoolNd<D>({.kernel_size = get("kernel_size", {}),
                             .stride = get("stride", {}),
                             .padding = get("padding", {0}),
                             .ceil_mode = f.count("ceil_mode") && f["ceil_mode"] == "1",
                             .count_include_pad = !f.count("count_include_pad") || f["count_include_pad"] == "1"})(x);
  if (kind == "adaptive_avg") return nn::AdaptivePoolNd<D, false>({.output_size = get("output_size", {})})(x);
  return nn::AdaptivePoolNd<D, true>({.output_size = get("output_size", {})})(x);
}

}  // namespace

TEST_CASE("pooling layers match PyTorch forward and backward") {
  int count = 0;
  for (auto f : test::fixture_cases("conv/pool_cases.txt")) {
    CAPTURE(f["line"]);
    ++count;
    const std::vector<float> flat = test::fixture_floats("conv/" + f["name"]);
    const Shape input = numbers(f["input"]);
    const int64_t n = numel(input);
    Tensor x = from_vector(std::vector<float>(flat.begin(), flat.begin() + n), input).requires_grad_();
    Tensor y;
    switch (std::stoi(f["dims"])) {
      case 1: y = run_case<1>(f, x); break;
      case 2: y = run_case<2>(f, x); break;
      case 3: y = run_case<3>(f, x); break;
    }
    const int64_t m = y.numel();
    REQUIRE(static_cast<int64_t>(flat.size()) == 2 * n + 2 * m);
    const Tensor g = from_vector(std::vector<float>(flat.begin() + n, flat.begin() + n + m), y.shape());
    test::check_close(y, from_vector(std::vector<float>(flat.begin() + n + m, flat.begin() + n + 2 * m), y.shape()),
                      1e-5, 1e-5);
    y.backward(g);
    test::check_close(x.grad(), from_vector(std::vector<float>(flat.begin() + n + 2 * m, flat.end()), input), 1e-5,
                      1e-5);
  }
  CHECK(count == 40);
}

TEST_CASE("pooling gradients check") {
  manual_seed(60);
  test::gradcheck(
      [](const auto& in) {
        return F::avg_pool2d(in[0], {.kernel_size = 3, .stride = 2, .padding = 1, .ceil_mode = true});
      },
      {randn({1, 2, 6, 7})});
  test::gradcheck([](const auto& in) { return F::adaptive_avg_pool1d(in[0], 4); }, {randn({2, 3, 9})});
  test::gradcheck([](const auto& in) { return F::adaptive_max_pool3d(in[0], {2, 1, 3}); }, {randn({1, 2, 4, 3, 5})});
  test::gradcheck([](const auto& in) { return F::max_pool1d(in[0], {.kernel_size = 2}); }, {randn({2, 3, 8})});
}

TEST_CASE("max pooling without a gradient runs the inference primitive and agrees with training") {
  manual_seed(61);
  const Tensor x = randn({2, 3, 8, 8});
  Tensor inference;
  {
    NoGradGuard no_grad;
    inference = F::max_pool2d(x, {.kernel_size = 2});
  }
  CHECK(inference.to_vector<float>() ==
        F::max_pool2d(x.clone().requires_grad_(), {.kernel_size = 2}).to_vector<float>());
}

TEST_CASE("adaptive average pooling over whole multiples runs as oneDNN average pooling, in the input's layout") {
  manual_seed(62);
  nn::Conv2d conv({.in_channels = 3, .out_channels = 32, .kernel_size = 3, .padding = 1});
  const Tensor x = conv(randn({2, 3, 8, 6}));  // a blocked oneDNN layout
  const Tensor plain = x.detach().contiguous();
  // Each output cell is the mean of its (8/out_h) × (6/out_w) window; (1, 1) is global pooling.
  for (const Shape& out : {Shape{1, 1}, Shape{4, 3}, Shape{8, 6}, Shape{2, 1}}) {
    const Tensor y = F::adaptive_avg_pool2d(x, {out[0], out[1]});
    CHECK(y.grad_fn()->name == "AdaptiveAvgPool2DBackward0");
    const Tensor expected = plain.reshape({2, 32, out[0], 8 / out[0], out[1], 6 / out[1]}).mean({3, 5});
    test::check_close(y, expected, 1e-5, 1e-5);
  }
  test::gradcheck([](const auto& in) { return F::adaptive_avg_pool2d(in[0], {2, 3}); }, {randn({1, 2, 4, 6})});
  test::gradcheck([](const auto& in) { return F::adaptive_avg_pool3d(in[0], 1); }, {randn({2, 2, 2, 3, 2})});
}

TEST_CASE("pooling layers print PyTorch's repr") {
  CHECK(to_string(nn::MaxPool2d({.kernel_size = 2})) ==
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)");
  CHECK(to_string(nn::AvgPool1d({.kernel_size = 3, .stride = 1, .padding = 1})) ==
        "AvgPool1d(kernel_size=3, stride=1, padding=1)");
  CHECK(to_string(nn::AdaptiveAvgPool2d({.output_size = {5, 7}})) == "AdaptiveAvgPool2d(output_size=(5, 7))");
  CHECK(to_string(nn::AdaptiveMaxPool3d({.output_size = 1})) == "AdaptiveMaxPool3d(output_size=1)");
}

TEST_CASE("pooling rejects bad arguments with PyTorch's messages") {
  CHECK_THROWS_WITH_AS(nn::MaxPool2d({.kernel_size = 3, .padding = 2}),
                       doctest::Contains("pad should be at most half of kernel size, but got pad=2 and kernel_size=3"),
                       Error);
  CHECK_THROWS_WITH_AS(nn::AvgPool1d({.kernel_size = 0}), doctest::Contains("kernel_size must be greater than zero"),
                       Error);
  CHECK_THROWS_WITH_AS(F::max_pool2d(ones({1, 1, 2, 2}), {.kernel_size = 3}),
                       doctest::Contains("Output size is too small"), Error);
  CHECK_THROWS_WITH_AS(
      F::max_pool2d(ones({2, 2}), {.kernel_size = 1}),
      doctest::Contains("Expected 3D (unbatched) or 4D (batched) input, but got input of size: [2, 2]"), Error);
  CHECK_THROWS_WITH_AS(F::adaptive_avg_pool2d(ones({1, 2, 2}), {1, 2, 3}),
                       doctest::Contains("expected output_size to be a single integer value or a list of 2 values"),
                       Error);
}
