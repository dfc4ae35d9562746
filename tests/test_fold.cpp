// Unfold/Fold: PyTorch goldens in 2-D (tools/make_lazy_fold_fixtures.py), a naive loop in 1-D and
// 3-D, gradient checks, the fold(unfold(x)) property, the modules, and catalogue rows 24-29.
#include "helpers.hpp"

using namespace nabla;
namespace F = nabla::nn::functional;

namespace {

using test::numbers;

// "3" stays one number (2-D, as PyTorch); "2,3" is a tuple.
Sizes sizes(const test::FixtureCase& f, const char* key, int64_t fallback) {
  if (!f.count(key)) return fallback;
  const auto v = numbers(f.at(key));
  return f.at(key).find(',') == std::string::npos ? Sizes(v[0]) : Sizes(v);
}

// The definition, one element at a time: column (c·∏k + kernel offset, block) of image n reads
// x[n, c, block·stride - padding + offset·dilation], or 0 in the padding.
Tensor naive_unfold(const Tensor& x, const Shape& k, const Shape& d, const Shape& p, const Shape& s) {
  const int64_t n = x.size(0), c = x.size(1), dims = x.dim() - 2;
  Shape image(x.shape().begin() + 2, x.shape().end()), count;
  for (int64_t i = 0; i < dims; ++i) count.push_back((image[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) / s[i] + 1);
  const int64_t kn = numel(k), ln = numel(count);
  const auto xv = x.to_vector<float>();
  std::vector<float> out(n * c * kn * ln, 0.0f);
  const auto unravel = [](int64_t flat, const Shape& shape) {
    Shape idx(shape.size());
    for (int64_t i = static_cast<int64_t>(shape.size()) - 1; i >= 0; --i) {
      idx[i] = flat % shape[i];
      flat /= shape[i];
    }
    return idx;
  };
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t kk = 0; kk < kn; ++kk)
        for (int64_t l = 0; l < ln; ++l) {
          const Shape ko = unravel(kk, k), bo = unravel(l, count);
          int64_t src = b * c + ch;
          bool inside = true;
          for (int64_t i = 0; i < dims; ++i) {
            const int64_t at = bo[i] * s[i] - p[i] + ko[i] * d[i];
            inside = inside && at >= 0 && at < image[i];
            src = src * image[i] + at;
          }
          if (inside) out[((b * c + ch) * kn + kk) * ln + l] = xv[src];
        }
  return from_vector(out, {n, c * kn, ln});
}

}  // namespace

TEST_CASE("2-D unfold and fold match PyTorch forward and backward") {
  int count = 0;
  for (auto f : test::fixture_cases("lazy_fold/cases.txt")) {
    if (f["kind"] != "unfold" && f["kind"] != "fold") continue;
    CAPTURE(f["line"]);
    ++count;
    const std::vector<float> flat = test::fixture_floats("lazy_fold/" + f["name"]);
    const Shape input = numbers(f["input"]);
    const int64_t n = numel(input);
    Tensor x = from_vector(std::vector<float>(flat.begin(), flat.begin() + n), input).requires_grad_();
    const Tensor y = f["kind"] == "unfold" ? F::unfold(x, {.kernel_size = sizes(f, "kernel_size", 0),
                                                           .dilation = sizes(f, "dilation", 1),
                                                           .padding = sizes(f, "padding", 0),
                                                           .stride = sizes(f, "stride", 1)})
                                           : F::fold(x, {.output_size = sizes(f, "output_size", 0),
                                                         .kernel_size = sizes(f, "kernel_size", 0),
                                                         .dilation = sizes(f, "dilation", 1),
                                                         .padding = sizes(f, "padding", 0),
                                                         .stride = sizes(f, "stride", 1)});
    const int64_t m = y.numel();
    REQUIRE(static_cast<int64_t>(flat.size()) == 2 * n + 2 * m);
    const Tensor g = from_vector(std::vector<float>(flat.begin() + n, flat.begin() + n + m), y.shape());
    test::check_close(y, from_vector(std::vector<float>(flat.begin() + n + m, flat.begin() + n + 2 * m), y.shape()),
                      1e-6, 1e-6);
    y.backward(g);
    test::check_close(x.grad(), from_vector(std::vector<float>(flat.begin() + n + 2 * m, flat.end()), input), 1e-5,
                      1e-5);
  }
  CHECK(count == 9);
}

TEST_CASE("1-D and 3-D unfold match the naive loop; a one-element kernel_size list means 1-D") {
  manual_seed(70);
  const Tensor x1 = randn({2, 3, 11});
  test::check_close(F::unfold(x1, {.kernel_size = {3}, .dilation = {2}, .padding = {1}, .stride = {2}}),
                    naive_unfold(x1, {3}, {2}, {1}, {2}), 0, 0);
  const Tensor x3 = randn({2, 2, 4, 5, 6});
  test::check_close(F::unfold(x3, {.kernel_size = {2, 3, 2}, .dilation = {1, 1, 2}, .padding = {1, 0, 1},
                                   .stride = {2, 1, 3}}),
                    naive_unfold(x3, {2, 3, 2}, {1, 1, 2}, {1, 0, 1}, {2, 1, 3}), 0, 0);
  test::check_close(F::unfold(x3, {.kernel_size = {2, 2, 2}, .padding = 1}),
                    naive_unfold(x3, {2, 2, 2}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}), 0, 0);
  // Large padding: whole rows of blocks fall outside the image.
  test::check_close(F::unfold(x1, {.kernel_size = {2}, .padding = {4}, .stride = {3}}),
                    naive_unfold(x1, {2}, {1}, {4}, {3}), 0, 0);
}

TEST_CASE("unbatched input gives an unbatched result in every rank") {
  manual_seed(71);
  const Tensor x = randn({3, 6, 5, 4});
  const Tensor batched = F::unfold(x.unsqueeze(0), {.kernel_size = {2, 2, 2}});
  CHECK(F::unfold(x, {.kernel_size = {2, 2, 2}}).to_vector<float>() == batched.squeeze(0).to_vector<float>());
  const Tensor cols = randn({6, 9});
  CHECK(F::fold(cols, {.output_size = {11}, .kernel_size = {3}}).shape() == Shape{2, 11});
}

TEST_CASE("fold(unfold(x)) == divisor * x, with divisor = fold(unfold(ones)), in 1-D, 2-D and 3-D") {
  manual_seed(72);
  const auto check = [](const Tensor& x, const UnfoldOptions& u, const Sizes& output_size) {
    const FoldOptions fo{.output_size = output_size, .kernel_size = u.kernel_size, .dilation = u.dilation,
                         .padding = u.padding, .stride = u.stride};
    const Tensor divisor = F::fold(F::unfold(ones(x.shape()), u), fo);
    test::check_close(F::fold(F::unfold(x, u), fo), x * divisor, 1e-5, 1e-5);
  };
  check(randn({2, 3, 10}), {.kernel_size = {3}, .padding = {1}}, {10});
  check(randn({2, 3, 7, 8}), {.kernel_size = 3, .dilation = 2, .padding = 2}, {7, 8});
  check(randn({1, 2, 5, 4, 6}), {.kernel_size = {2, 3, 2}, .padding = 1}, {5, 4, 6});
}

TEST_CASE("unfold and fold gradients check in every rank") {
  manual_seed(73);
  test::gradcheck([](const auto& in) { return F::unfold(in[0], {.kernel_size = {3}, .padding = {1}, .stride = {2}}); },
                  {randn({2, 2, 7})});
  test::gradcheck(
      [](const auto& in) {
        return F::unfold(in[0], {.kernel_size = {2, 3}, .dilation = {2, 1}, .padding = 1});
      },
      {randn({1, 2, 5, 4})});
  test::gradcheck(
      [](const auto& in) {
        return F::fold(in[0], {.output_size = {3, 4, 3}, .kernel_size = 2});
      },
      {randn({1, 16, 12})});
  test::gradcheck(
      [](const auto& in) { return F::fold(in[0], {.output_size = 5, .kernel_size = 2, .padding = 1, .stride = 2}); },
      {randn({2, 8, 9})});
}

TEST_CASE("Unfold and Fold modules print as PyTorch's and check their options at construction") {
  CHECK(to_string(nn::Unfold({.kernel_size = 3})) == "Unfold(kernel_size=3, dilation=1, padding=0, stride=1)");
  CHECK(to_string(nn::Unfold({.kernel_size = {2, 3}, .padding = 1})) ==
        "Unfold(kernel_size=(2, 3), dilation=1, padding=1, stride=1)");
  CHECK(to_string(nn::Fold({.output_size = 4, .kernel_size = {2, 2}, .stride = {1, 2}})) ==
        "Fold(output_size=4, kernel_size=(2, 2), dilation=1, padding=0, stride=(1, 2))");
  CHECK(to_string(nn::Unfold({.kernel_size = {5}})) == "Unfold(kernel_size=(5,), dilation=1, padding=0, stride=1)");
  CHECK_THROWS_WITH_AS(nn::Unfold({.kernel_size = {2, 2}, .stride = {1, 2, 3}}),
                       doctest::Contains("stride=(1, 2, 3) must be one number or 2 numbers"), Error);
  CHECK_THROWS_WITH_AS(nn::Fold({.output_size = {4, 4}, .kernel_size = 0}),
                       "kernel size should be greater than zero, but got kernel_height: 0 kernel_width: 0", Error);
  nn::Unfold unfold({.kernel_size = {2, 2, 2}});
  CHECK(unfold(randn({1, 2, 3, 3, 3})).shape() == Shape{1, 16, 8});
}

TEST_CASE("fold/unfold error: input rank") {
  CHECK_THROWS_WITH_AS(F::unfold(randn({2, 3, 4, 4, 4}), {.kernel_size = 2}),
                       doctest::Contains("Input Error: Only 3D or 4D input Tensors are supported (got 5D)"), Error);
  CHECK_THROWS_WITH_AS(F::unfold(randn({2, 3, 4, 4}), {.kernel_size = {2}}),
                       doctest::Contains("Only 2D or 3D input Tensors are supported (got 4D)"), Error);
  CHECK_THROWS_WITH_AS(
      F::fold(randn({2, 3, 4, 4}), {.output_size = 4, .kernel_size = 2}),
      doctest::Contains("Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported (got 4D)"),
      Error);
}

TEST_CASE("fold/unfold error: kernel, stride and dilation must be positive, padding non-negative") {
  const Tensor x = randn({1, 3, 4, 4});
  CHECK_THROWS_WITH_AS(F::unfold(x, {.kernel_size = 0}),
                       "kernel size should be greater than zero, but got kernel_height: 0 kernel_width: 0", Error);
  CHECK_THROWS_WITH_AS(F::unfold(x, {.kernel_size = 2, .stride = 0}),
                       "stride should be greater than zero, but got stride_height: 0 stride_width: 0", Error);
  CHECK_THROWS_WITH_AS(F::unfold(x, {.kernel_size = 2, .dilation = 0}),
                       "dilation should be greater than zero, but got dilation_height: 0 dilation_width: 0", Error);
  CHECK_THROWS_WITH_AS(F::unfold(x, {.kernel_size = 2, .padding = -1}),
                       "padding should be non-negative, but got pad_height: -1 pad_width: -1", Error);
  CHECK_THROWS_WITH_AS(
      F::unfold(randn({1, 1, 4, 4, 4}), {.kernel_size = {2, 0, 2}}),
      "kernel size should be greater than zero, but got kernel_depth: 2 kernel_height: 0 kernel_width: 2", Error);
}

TEST_CASE("fold/unfold error: fold's dim 1 must be divisible by the kernel size") {
  CHECK_THROWS_WITH_AS(F::fold(randn({1, 13, 9}), {.output_size = {4, 4}, .kernel_size = 2}),
                       doctest::Contains("Expected size of input's dimension 1 to be divisible by the product of "
                                         "kernel_size, but got input.size(1)=13 and kernel_size=(2, 2)."),
                       Error);
}

TEST_CASE("fold/unfold error: fold's dim 2 must match the number of blocks") {
  CHECK_THROWS_WITH_AS(F::fold(randn({1, 12, 8}), {.output_size = {4, 4}, .kernel_size = 2}),
                       doctest::Contains("Given output_size=(4, 4), kernel_size=(2, 2), dilation=(1, 1), padding=(0, "
                                         "0), stride=(1, 1), expected size of input's dimension 2 to match the "
                                         "calculated number of sliding blocks 3 * 3 = 9, but got input.size(2)=8."),
                       Error);
  CHECK_THROWS_WITH_AS(F::fold(randn({1, 12, 9}), {.output_size = {1, 1}, .kernel_size = 2}),
                       doctest::Contains("sliding blocks 0 * 0 = 0, but got input.size(2)=9."), Error);
}

TEST_CASE("fold/unfold error: unfold's block grid must be at least one") {
  CHECK_THROWS_WITH_AS(
      F::unfold(randn({1, 3, 4, 4}), {.kernel_size = 5}),
      doctest::Contains(
          "Given input with spatial size (4, 4), kernel_size=(5, 5), dilation=(1, 1), padding=(0, 0), calculated shape "
          "of the array of sliding blocks as (0, 0), but its components must be at least one."),
      Error);
}

TEST_CASE("fold/unfold error: zero-size dims other than the batch") {
  CHECK_THROWS_WITH_AS(F::unfold(randn({1, 0, 4, 4}), {.kernel_size = 2}),
                       doctest::Contains("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other "
                                         "non-zero dimensions for input, but got: [1, 0, 4, 4]"),
                       Error);
  CHECK_THROWS_WITH_AS(F::fold(randn({1, 12, 0}), {.output_size = 4, .kernel_size = 2}),
                       doctest::Contains("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size "
                                         "and non-zero dimensions for input, but got: [1, 12, 0]"),
                       Error);
  CHECK(F::fold(randn({0, 12, 9}), {.output_size = 4, .kernel_size = 2}).shape() == Shape{0, 3, 4, 4});
}
