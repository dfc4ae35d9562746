// Convolutions against an independent naive loop, gradient checks, the primitive cache, and the
// error catalogue (anchors §1.10), one behaviour per case.
#include "helpers.hpp"

using namespace nabla;
namespace F = nabla::nn::functional;

namespace {

// Calls f(index) for every multi-index of shape, row-major.
template <class Fn>
void for_each_index(const Shape& shape, Fn f) {
  if (numel(shape) == 0) return;
  Shape index(shape.size(), 0);
  while (true) {
    f(index);
    int64_t d = static_cast<int64_t>(shape.size()) - 1;
    for (; d >= 0 && ++index[d] == shape[d]; --d) index[d] = 0;
    if (d < 0) return;
  }
}

int64_t offset(const Shape& shape, int64_t a, int64_t b, const Shape& spatial) {
  int64_t o = a * shape[1] + b;
  for (size_t d = 0; d < spatial.size(); ++d) o = o * shape[2 + d] + spatial[d];
  return o;
}

struct Naive {
  Shape stride, dilation, pad_l;
  int64_t groups = 1;
};

// Direct convolution: out[n, o, p] = b[o] + Σ x[n, g·C/g + c, p·s - pad + k·d] · w[o, c, k].
Tensor naive_conv(const Tensor& x, const Tensor& w, const Tensor& b, const Naive& p, const Shape& out_size) {
  const int64_t n = x.size(0), channels = x.size(1), out = w.size(0), per_group_in = channels / p.groups;
  const int64_t per_group_out = out / p.groups, dims = x.dim() - 2;
  Shape out_shape{n, out};
  out_shape.insert(out_shape.end(), out_size.begin(), out_size.end());
  const Shape kernel(w.shape().begin() + 2, w.shape().end());
  const auto xv = x.to_vector<float>(), wv = w.to_vector<float>();
  const auto bv = b.defined() ? b.to_vector<float>() : std::vector<float>(out, 0.f);
  std::vector<float> y(numel(out_shape));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t o = 0; o < out; ++o)
      for_each_index(out_size, [&](const Shape& pos) {
        double acc = bv[o];
        const int64_t g = o / per_group_out;
        for (int64_t c = 0; c < per_group_in; ++c)
          for_each_index(kernel, [&](const Shape& k) {
            Shape in(dims);
            for (int64_t d = 0; d < dims; ++d) {
              in[d] = pos[d] * p.stride[d] - p.pad_l[d] + k[d] * p.dilation[d];
              if (in[d] < 0 || in[d] >= x.size(2 + d)) return;
            }
            acc += xv[offset(x.shape(), i, g * per_group_in + c, in)] * wv[offset(w.shape(), o, c, k)];
          });
        y[offset(out_shape, i, o, pos)] = static_cast<float>(acc);
      });
  return from_vector(y, out_shape);
}

// Transposed convolution as the adjoint: every input element scatters x · w into the output.
Tensor naive_conv_transpose(const Tensor& x, const Tensor& w, const Tensor& b, const Naive& p, const Shape& out_size) {
  const int64_t n = x.size(0), channels = x.size(1), per_group_in = channels / p.groups, per_group_out = w.size(1);
  const int64_t out = per_group_out * p.groups, dims = x.dim() - 2;
  Shape out_shape{n, out};
  out_shape.insert(out_shape.end(), out_size.begin(), out_size.end());
  const Shape kernel(w.shape().begin() + 2, w.shape().end()), in_size(x.shape().begin() + 2, x.shape().end());
  const auto xv = x.to_vector<float>(), wv = w.to_vector<float>();
  std::vector<double> y(numel(out_shape), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < channels; ++c)
      for_each_index(in_size, [&](const Shape& pos) {
        const int64_t g = c / per_group_in;
        for (int64_t o = 0; o < per_group_out; ++o)
          for_each_index(kernel, [&](const Shape& k) {
            Shape at(dims);
            for (int64_t d = 0; d < dims; ++d) {
              at[d] = pos[d] * p.stride[d] - p.pad_l[d] + k[d] * p.dilation[d];
              if (at[d] < 0 || at[d] >= out_size[d]) return;
            }
            y[offset(out_shape, i, g * per_group_out + o, at)] +=
                xv[offset(x.shape(), i, c, pos)] * wv[offset(w.shape(), c, o, k)];
          });
      });
  std::vector<float> yf(y.begin(), y.end());
  if (b.defined()) {
    const auto bv = b.to_vector<float>();
    const int64_t block = numel(out_size);
    for (int64_t i = 0; i < n * out; ++i)
      for (int64_t k = 0; k < block; ++k) yf[i * block + k] += bv[i % out];
  }
  return from_vector(yf, out_shape);
}

struct Case {
  Shape input, kernel, stride, dilation, padding;
  int64_t out_channels, groups;
  bool bias;
};

ConvParams params_of(const Case& c, bool transposed, const Shape& output_padding = {}) {
  ConvParams p;
  p.stride = c.stride;
  p.dilation = c.dilation;
  p.padding = c.padding;
  p.groups = c.groups;
  p.transposed = transposed;
  p.output_padding = output_padding.empty() ? Shape(c.kernel.size(), 0) : output_padding;
  return p;
}

Tensor weight_for(const Case& c, bool transposed) {
  Shape shape =
      transposed ? Shape{c.input[1], c.out_channels / c.groups} : Shape{c.out_channels, c.input[1] / c.groups};
  shape.insert(shape.end(), c.kernel.begin(), c.kernel.end());
  return randn(shape);
}

const std::vector<Case> cases = {
    {{2, 3, 9}, {3}, {1}, {1}, {1}, 4, 1, true},
    {{1, 4, 11}, {5}, {2}, {2}, {3}, 6, 2, false},
    {{2, 4, 10}, {2}, {3}, {1}, {0}, 4, 4, true},
    {{2, 3, 7, 6}, {3, 2}, {1, 2}, {1, 1}, {1, 0}, 5, 1, true},
    {{1, 4, 8, 9}, {3, 3}, {2, 1}, {2, 1}, {2, 1}, 8, 4, true},
    {{2, 6, 5, 5}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, 3, 3, false},
    {{1, 2, 5, 6, 4}, {2, 3, 2}, {1, 2, 1}, {1, 1, 2}, {1, 0, 1}, 4, 2, true},
    {{2, 3, 4, 4, 4}, {3, 3, 3}, {2, 2, 2}, {1, 1, 1}, {1, 1, 1}, 2, 1, true},
};

}  // namespace

TEST_CASE("conv matches the naive loop in 1-D, 2-D and 3-D with stride, dilation, padding and groups") {
  manual_seed(40);
  for (const auto& c : cases) {
    CAPTURE(shape_str(c.input));
    const Tensor x = randn(c.input), w = weight_for(c, false), b = c.bias ? randn({c.out_channels}) : Tensor();
    const int64_t dims = static_cast<int64_t>(c.kernel.size());
    Shape out_size;
    for (int64_t d = 0; d < dims; ++d)
      out_size.push_back(
          conv_shape::output_size(c.input[2 + d], c.kernel[d], c.stride[d], c.padding[d], c.padding[d], c.dilation[d]));
    const Tensor y = convolution(x, w, b, params_of(c, false), dims, "test");
    test::check_close(y, naive_conv(x, w, b, {c.stride, c.dilation, c.padding, c.groups}, out_size), 1e-4, 1e-4);
  }
}

TEST_CASE("conv_transpose matches the naive scatter loop, with output_padding") {
  manual_seed(41);
  for (const auto& c : cases) {
    CAPTURE(shape_str(c.input));
    const Tensor x = randn(c.input), w = weight_for(c, true), b = c.bias ? randn({c.out_channels}) : Tensor();
    const int64_t dims = static_cast<int64_t>(c.kernel.size());
    Shape output_padding, out_size;
    for (int64_t d = 0; d < dims; ++d) {
      output_padding.push_back(c.stride[d] > 1 ? 1 : 0);
      out_size.push_back(conv_shape::transposed_output_size(c.input[2 + d], c.kernel[d], c.stride[d], c.padding[d],
                                                            c.dilation[d], output_padding[d]));
    }
    const Tensor y = convolution(x, w, b, params_of(c, true, output_padding), dims, "test");
    test::check_close(y, naive_conv_transpose(x, w, b, {c.stride, c.dilation, c.padding, c.groups}, out_size), 1e-4,
                      1e-4);
  }
}

TEST_CASE("'same' padding keeps the size, with the odd extra on the right, even kernels and dilation") {
  manual_seed(42);
  for (const auto& [k, d] : std::vector<std::pair<int64_t, int64_t>>{{3, 1}, {4, 1}, {4, 2}, {2, 3}, {5, 2}}) {
    CAPTURE(k);
    CAPTURE(d);
    const Tensor x = randn({2, 3, 10}), w = randn({4, 3, k});
    const Tensor y = F::conv1d(x, w, {}, {.padding = "same", .dilation = d});
    CHECK(y.shape() == Shape{2, 4, 10});
    const auto [l, r] = conv_shape::same_padding(k, d);
    CHECK(l + r == d * (k - 1));
    CHECK(r - l == (d * (k - 1)) % 2);
    test::check_close(y, naive_conv(x, w, {}, {{1}, {d}, {l}, 1}, {10}), 1e-4, 1e-4);
  }
  CHECK(F::conv2d(randn({1, 2, 5, 5}), randn({3, 2, 3, 3}), {}, {.padding = "valid"}).shape() == Shape{1, 3, 3, 3});
}

TEST_CASE("conv and conv_transpose gradients check") {
  manual_seed(43);
  test::gradcheck(
      [](const auto& in) { return F::conv1d(in[0], in[1], in[2], {.stride = 2, .padding = 1, .dilation = 2}); },
      {randn({2, 4, 9}), randn({6, 4, 3}), randn({6})});
  test::gradcheck(
      [](const auto& in) {
        return F::conv2d(in[0], in[1], in[2], {.stride = {1, 2}, .padding = {1, 0}, .groups = 2});
      },
      {randn({2, 4, 5, 6}), randn({4, 2, 3, 2}), randn({4})});
  test::gradcheck([](const auto& in) { return F::conv3d(in[0], in[1], {}, {.padding = "same"}); },
                  {randn({1, 2, 4, 3, 4}), randn({3, 2, 2, 3, 2})});
  test::gradcheck(
      [](const auto& in) { return F::conv_transpose1d(in[0], in[1], in[2], {.stride = 2, .output_padding = 1}); },
      {randn({2, 3, 5}), randn({3, 2, 3}), randn({2})});
  test::gradcheck(
      [](const auto& in) {
        return F::conv_transpose2d(in[0], in[1], in[2], {.stride = 2, .padding = 1, .groups = 2, .dilation = 2});
      },
      {randn({1, 4, 3, 4}), randn({4, 3, 3, 2}), randn({6})});
  test::gradcheck([](const auto& in) { return F::conv_transpose3d(in[0], in[1]); },
                  {randn({1, 2, 2, 3, 2}), randn({2, 2, 2, 2, 2})});
}

TEST_CASE("a conv's backward keeps its inputs, not its output") {
  // The output is not read by the backward: saving it would keep one activation alive per conv until backward.
  const Tensor x = randn({2, 3, 8, 8}).requires_grad_(), w = randn({4, 3, 3, 3}).requires_grad_();
  const Tensor y = F::conv2d(x, w, randn({4}).requires_grad_());
  std::vector<std::string> saved;
  for (const auto& s : y.grad_fn()->saved) saved.push_back(s.what);
  CHECK(saved == std::vector<std::string>{"input 0", "input 1", "input 2"});
}

TEST_CASE("non-contiguous weights and inputs give the same result as contiguous ones") {
  manual_seed(48);
  const Tensor x = randn({2, 3, 7, 6}), w = randn({4, 3, 3, 3});
  const Tensor w_view = w.permute({1, 0, 2, 3}).contiguous().permute({1, 0, 2, 3});  // same values, other strides
  const Tensor x_view = x.transpose(2, 3).contiguous().transpose(2, 3);
  CHECK_FALSE(w_view.is_contiguous());
  test::check_close(F::conv2d(x_view, w_view), F::conv2d(x, w), 1e-5, 1e-5);
  const Tensor wt = randn({3, 4, 3, 3}), wt_view = wt.permute({1, 0, 2, 3}).contiguous().permute({1, 0, 2, 3});
  test::check_close(F::conv_transpose2d(x, wt_view), F::conv_transpose2d(x, wt), 1e-5, 1e-5);
}

TEST_CASE("unbatched input gives an unbatched result") {
  manual_seed(44);
  const Tensor x = randn({3, 8, 8}), w = randn({5, 3, 3, 3});
  const Tensor y = F::conv2d(x, w, {}, {.padding = 1});
  CHECK(y.shape() == Shape{5, 8, 8});
  test::check_close(y, F::conv2d(x.unsqueeze(0), w, {}, {.padding = 1}).squeeze(0));
  CHECK(F::conv_transpose1d(randn({3, 4}), randn({3, 2, 3})).shape() == Shape{2, 6});
}

TEST_CASE("batch 0 or channels 0 give an empty or bias-only result") {
  CHECK(F::conv2d(zeros({0, 3, 5, 5}), ones({4, 3, 3, 3})).shape() == Shape{0, 4, 3, 3});
  const Tensor y = F::conv1d(zeros({2, 0, 5}), ones({4, 0, 3}), full({4}, 2.0));
  CHECK(y.shape() == Shape{2, 4, 3});
  CHECK(y.to_vector<float>() == std::vector<float>(24, 2.f));
  CHECK_THROWS_WITH_AS(
      F::conv1d(zeros({2, 3, 0}), ones({4, 3, 1})),
      doctest::Contains("Only zero batch or zero channel inputs are supported, but got input shape: [2, 3, 0]"), Error);
}

TEST_CASE("size-1 dims and 1x1 kernels work") {
  manual_seed(45);
  const Tensor x = randn({1, 1, 1, 7}), w = randn({2, 1, 1, 3});
  test::check_close(F::conv2d(x, w), naive_conv(x, w, {}, {{1, 1}, {1, 1}, {0, 0}, 1}, {1, 5}), 1e-5, 1e-5);
}

TEST_CASE("the transposed case oneDNN rejects (output_padding >= stride, < dilation) still gives PyTorch's result") {
  manual_seed(46);
  const Tensor x = randn({1, 2, 5}), w = randn({2, 3, 3}), b = randn({3});
  // stride 1, dilation 2, padding 0, output_padding 1: padding_r + stride = 0.
  const Tensor y = F::conv_transpose1d(x, w, b, {.output_padding = 1, .dilation = 2});
  CHECK(y.shape() == Shape{1, 3, 10});
  test::check_close(y, naive_conv_transpose(x, w, b, {{1}, {2}, {0}, 1}, {10}), 1e-5, 1e-5);
  test::gradcheck(
      [](const auto& in) { return F::conv_transpose1d(in[0], in[1], in[2], {.output_padding = 1, .dilation = 2}); },
      {x, w, b});
}

TEST_CASE("a second call with the same shapes builds no new primitive") {
  const Tensor x = ones({2, 3, 8, 8}), w = ones({4, 3, 3, 3});
  Tensor wg = w.clone().requires_grad_();
  F::conv2d(x, wg, {}, {.padding = 1}).sum().backward();
  const uint64_t before = primitives_created();
  F::conv2d(x, wg, {}, {.padding = 1}).sum().backward();
  F::conv2d(x * 2.0, wg, {}, {.padding = 1}).sum().backward();
  CHECK(primitives_created() == before);
}

// ---- the error catalogue, one row per case

TEST_CASE("conv error: groups must be positive") {
  CHECK_THROWS_WITH_AS(nn::Conv2d({.in_channels = 4, .out_channels = 4, .kernel_size = 3, .groups = 0}),
                       doctest::Contains("groups must be a positive integer"), Error);
}

TEST_CASE("conv error: channels must be divisible by groups") {
  CHECK_THROWS_WITH_AS(nn::Conv2d({.in_channels = 3, .out_channels = 4, .kernel_size = 3, .groups = 2}),
                       doctest::Contains("Conv2d(3->4, k=3): in_channels must be divisible by groups"), Error);
  CHECK_THROWS_WITH_AS(nn::ConvTranspose1d({.in_channels = 4, .out_channels = 3, .kernel_size = 3, .groups = 2}),
                       doctest::Contains("out_channels must be divisible by groups"), Error);
}

TEST_CASE("conv error: bad padding strings") {
  CHECK_THROWS_WITH_AS(nn::Conv1d({.in_channels = 1, .out_channels = 1, .kernel_size = 3, .padding = "full"}),
                       doctest::Contains("Invalid padding string 'full', should be one of {'valid', 'same'}"), Error);
}

TEST_CASE("conv error: 'same' with stride > 1") {
  CHECK_THROWS_WITH_AS(
      nn::Conv2d({.in_channels = 1, .out_channels = 1, .kernel_size = 3, .stride = 2, .padding = "same"}),
      doctest::Contains("padding='same' is not supported for strided convolutions"), Error);
  CHECK_THROWS_WITH_AS(F::conv1d(ones({1, 1, 5}), ones({1, 1, 3}), {}, {.stride = 2, .padding = "same"}),
                       doctest::Contains("padding='same' is not supported for strided convolutions"), Error);
}

TEST_CASE("conv error: bad padding_mode") {
  CHECK_THROWS_WITH_AS(
      nn::Conv2d({.in_channels = 1, .out_channels = 1, .kernel_size = 3, .padding_mode = "mirror"}),
      doctest::Contains(
          "padding_mode must be one of {'zeros', 'reflect', 'replicate', 'circular'}, but got padding_mode='mirror'"),
      Error);
}

TEST_CASE("conv error: transposed convs take only zeros padding_mode") {
  CHECK_THROWS_WITH_AS(
      nn::ConvTranspose2d({.in_channels = 1, .out_channels = 1, .kernel_size = 3, .padding_mode = "reflect"}),
      doctest::Contains("Only \"zeros\" padding mode is supported for ConvTranspose2d"), Error);
}

TEST_CASE("conv error: wrong input rank, reported before any padding op runs") {
  nn::Conv2d conv({.in_channels = 3, .out_channels = 4, .kernel_size = 3});
  CHECK_THROWS_WITH_AS(
      conv(ones({3, 5})),
      doctest::Contains("Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [3, 5]"),
      Error);
  nn::Conv2d reflect({.in_channels = 3, .out_channels = 4, .kernel_size = 3, .padding = 1, .padding_mode = "reflect"});
  CHECK_THROWS_WITH_AS(reflect(ones({2, 2, 3, 5, 5})),
                       doctest::Contains("input to conv2d, but got input of size: [2, 2, 3, 5, 5]"), Error);
}

TEST_CASE("conv error: weight rank must match") {
  CHECK_THROWS_WITH_AS(F::conv2d(ones({1, 1, 5, 5}), ones({1, 1, 3})),
                       doctest::Contains("Expected 4-dimensional weight for conv2d, but got weight of size [1, 1, 3]"),
                       Error);
}

TEST_CASE("conv error: non-positive stride, negative padding and output_padding") {
  CHECK_THROWS_WITH_AS(F::conv1d(ones({1, 1, 5}), ones({1, 1, 3}), {}, {.stride = 0}),
                       doctest::Contains("non-positive stride is not supported"), Error);
  CHECK_THROWS_WITH_AS(F::conv1d(ones({1, 1, 5}), ones({1, 1, 3}), {}, {.padding = -1}),
                       doctest::Contains("negative padding is not supported"), Error);
  CHECK_THROWS_WITH_AS(F::conv_transpose1d(ones({1, 1, 5}), ones({1, 1, 3}), {}, {.output_padding = -1}),
                       doctest::Contains("negative output_padding is not supported"), Error);
}

TEST_CASE("conv error: weight must hold a multiple of groups filters") {
  CHECK_THROWS_WITH_AS(F::conv1d(ones({1, 4, 5}), ones({3, 2, 3}), {}, {.groups = 2}),
                       doctest::Contains("Given groups=2, expected weight to be divisible by 2 at dimension 0, but got "
                                         "weight of size [3, 2, 3] instead"),
                       Error);
  CHECK_THROWS_WITH_AS(F::conv1d(ones({1, 4, 5}), ones({1, 1, 3}), {}, {.groups = 4}),
                       doctest::Contains("expected weight to be at least 4 at dimension 0"), Error);
}

TEST_CASE("conv error: channel mismatch names the layer and both shapes") {
  nn::Conv2d conv({.in_channels = 3, .out_channels = 16, .kernel_size = 5});
  CHECK_THROWS_WITH_AS(conv(randn({8, 1, 28, 28})),
                       doctest::Contains("Conv2d(3->16, k=5): Given groups=1, weight of size [16, 3, 5, 5], expected "
                                         "input[8, 1, 28, 28] to have 3 channels, but got 1 channels instead"),
                       Error);
}

TEST_CASE("conv error: channel mismatch for transposed convs") {
  CHECK_THROWS_WITH_AS(F::conv_transpose2d(ones({1, 3, 4, 4}), ones({2, 5, 3, 3})),
                       doctest::Contains("Given transposed=1, weight of size [2, 5, 3, 3], expected input[1, 3, 4, 4] "
                                         "to have 2 channels, but got 3 channels instead"),
                       Error);
}

TEST_CASE("conv error: bias shape") {
  CHECK_THROWS_WITH_AS(
      F::conv1d(ones({1, 2, 5}), ones({4, 2, 3}), ones({3})),
      doctest::Contains("expected bias to be 1-dimensional with 4 elements, but got bias of size [3] instead"), Error);
  CHECK_THROWS_WITH_AS(F::conv_transpose1d(ones({1, 2, 5}), ones({2, 3, 3}), ones({2}), {.groups = 2}),
                       doctest::Contains("with 6 elements"), Error);
}

TEST_CASE("conv error: dilated kernel larger than the padded input") {
  CHECK_THROWS_WITH_AS(F::conv2d(ones({1, 1, 4, 4}), ones({1, 1, 3, 3}), {}, {.dilation = 2}),
                       doctest::Contains("Calculated padded input size per channel: (4 x 4). Kernel size: (5 x 5). "
                                         "Kernel size can't be greater than actual input size"),
                       Error);
}

TEST_CASE("conv error: transposed output too small") {
  CHECK_THROWS_WITH_AS(F::conv_transpose1d(ones({1, 1, 1}), ones({1, 1, 1}), {}, {.padding = 1}),
                       doctest::Contains("Calculated output size per channel: (-1). Output size is too small"), Error);
}

TEST_CASE("conv error: output_padding must be smaller than stride or dilation") {
  CHECK_THROWS_WITH_AS(
      nn::ConvTranspose1d({.in_channels = 1, .out_channels = 1, .kernel_size = 3, .stride = 2, .output_padding = 2}),
      doctest::Contains("output padding must be smaller than either stride or dilation"), Error);
}

TEST_CASE("conv error: dilation and kernel_size must be positive") {
  CHECK_THROWS_WITH_AS(nn::Conv1d({.in_channels = 1, .out_channels = 1, .kernel_size = 3, .dilation = 0}),
                       doctest::Contains("dilation should be greater than zero"), Error);
  CHECK_THROWS_WITH_AS(nn::Conv1d({.in_channels = 1, .out_channels = 1, .kernel_size = 0}),
                       doctest::Contains("kernel_size must be positive"), Error);
}

TEST_CASE("conv error: dtype mismatch") {
  CHECK_THROWS_WITH_AS(F::conv1d(ones({1, 1, 5}, kInt64), ones({1, 1, 3})),
                       doctest::Contains("Input type (int64) and weight type (float32) should be float32"), Error);
}

TEST_CASE("conv error: a padding string on a transposed conv is checked, not mangled") {
  ConvParams p;
  p.transposed = true;
  p.padding_mode = "full";
  p.stride = p.dilation = {1};
  p.padding = p.output_padding = {0};
  CHECK_THROWS_WITH_AS(validate_conv_params(p, {3}, "ConvTranspose1d"),
                       doctest::Contains("Invalid padding string 'full', should be one of {'valid', 'same'}"), Error);
}

TEST_CASE("a wrong-length tuple option names the option") {
  CHECK_THROWS_WITH_AS(nn::Conv2d({.in_channels = 1, .out_channels = 1, .kernel_size = 3, .stride = {1, 2, 3}}),
                       doctest::Contains("expected stride to be a single integer value or a list of 2 values to match "
                                         "the convolution dimensions, but got stride=[1, 2, 3]"),
                       Error);
}

TEST_CASE("conv error: ConvTranspose output_size: length and range") {
  nn::ConvTranspose2d up({.in_channels = 2, .out_channels = 3, .kernel_size = 3, .stride = 2, .padding = 1});
  const Tensor x = randn({1, 2, 4, 4});
  CHECK(up(x).shape() == Shape{1, 3, 7, 7});
  CHECK(up(x, {8, 8}).shape() == Shape{1, 3, 8, 8});
  CHECK(up(x, {1, 3, 8, 7}).shape() == Shape{1, 3, 8, 7});
  CHECK(up(randn({2, 4, 4}), {8, 8}).shape() == Shape{3, 8, 8});
  CHECK_THROWS_WITH_AS(
      up(x, {8}), doctest::Contains("ConvTranspose2D: for 4D input, output_size must have 2 or 4 elements (got 1)"),
      Error);
  CHECK_THROWS_WITH_AS(
      up(x, {9, 8}),
      doctest::Contains(
          "requested an output size of [9, 8], but valid sizes range from [7, 7] to [8, 8] (for an input of [4, 4])"),
      Error);
}

TEST_CASE("winograd=true runs oneDNN's Winograd algorithm: close to direct, and refused where it does not apply") {
  manual_seed(47);
  nn::Conv2d direct({.in_channels = 32, .out_channels = 64, .kernel_size = 3});
  nn::Conv2d winograd({.in_channels = 32, .out_channels = 64, .kernel_size = 3, .winograd = true});
  winograd.load_state_dict(direct.state_dict());
  Tensor x1 = randn({4, 32, 12, 12}).requires_grad_(), x2 = x1.detach().clone().requires_grad_();
  const Tensor y1 = direct(x1), y2 = winograd(x2);
  test::check_close(y2, y1, 1e-3, 1e-3);  // less exact than direct, by design
  const Tensor g = randn(y1.shape());
  y1.backward(g);
  y2.backward(g);
  test::check_close(x2.grad(), x1.grad(), 2e-3, 1e-3);
  test::check_close(winograd.weight.grad(), direct.weight.grad(), 2e-2, 2e-3);
  nn::Conv2d strided({.in_channels = 32, .out_channels = 64, .kernel_size = 3, .stride = 2, .winograd = true});
  CHECK_THROWS_WITH_AS(strided(randn({1, 32, 12, 12})),
                       doctest::Contains("winograd=true, but oneDNN has no Winograd kernel for this convolution"),
                       Error);
}

namespace {

// The transposed conv as a plain conv, independently of the scatter loop: stuff stride-1 zeros
// between the input elements, pad dilation·(k-1) - crop on each side, and correlate with the
// kernel flipped and its in/out dims swapped. crop_l/crop_r may be negative (extra zeros).
Tensor zero_stuffed_conv_transpose(const Tensor& x, const Tensor& w, const Tensor& b, const Shape& stride,
                                   const Shape& dilation, const Shape& crop_l, const Shape& out_size, int64_t groups) {
  const int64_t n = x.size(0), c = x.size(1), dims = x.dim() - 2;
  const Shape in_size(x.shape().begin() + 2, x.shape().end()), kernel(w.shape().begin() + 2, w.shape().end());
  Shape stuffed_shape{n, c}, pad_l;
  for (int64_t d = 0; d < dims; ++d) {
    stuffed_shape.push_back((in_size[d] - 1) * stride[d] + 1);
    pad_l.push_back(dilation[d] * (kernel[d] - 1) - crop_l[d]);
  }
  const auto xv = x.to_vector<float>();
  std::vector<float> stuffed(numel(stuffed_shape), 0.0f);
  for (int64_t i = 0; i < n * c; ++i)
    for_each_index(in_size, [&](const Shape& pos) {
      Shape at(dims);
      for (int64_t d = 0; d < dims; ++d) at[d] = pos[d] * stride[d];
      stuffed[offset(stuffed_shape, i / c, i % c, at)] = xv[offset(x.shape(), i / c, i % c, pos)];
    });
  const int64_t per_in = c / groups, per_out = w.size(1);
  Shape flipped_shape{per_out * groups, per_in};
  flipped_shape.insert(flipped_shape.end(), kernel.begin(), kernel.end());
  const auto wv = w.to_vector<float>();
  std::vector<float> flipped(numel(flipped_shape));
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t o = 0; o < per_out; ++o)
      for (int64_t i = 0; i < per_in; ++i)
        for_each_index(kernel, [&](const Shape& k) {
          Shape mirrored(dims);
          for (int64_t d = 0; d < dims; ++d) mirrored[d] = kernel[d] - 1 - k[d];
          flipped[offset(flipped_shape, g * per_out + o, i, k)] = wv[offset(w.shape(), g * per_in + i, o, mirrored)];
        });
  return naive_conv(from_vector(stuffed, stuffed_shape), from_vector(flipped, flipped_shape), b,
                    {Shape(dims, 1), dilation, pad_l, groups}, out_size);
}

}  // namespace

TEST_CASE("ConvTranspose padding='same' gives input * stride and equals the zero-stuffed conv") {
  manual_seed(33);
  struct SameCase {
    Shape input, kernel, stride, dilation;
    int64_t out_channels, groups;
  };
  const std::vector<SameCase> same_cases = {
      {{2, 3, 7}, {3}, {2}, {1}, 4, 1},
      {{2, 3, 7}, {4}, {2}, {1}, 4, 1},
      {{1, 2, 5}, {1}, {3}, {1}, 2, 1},
      {{1, 2, 5}, {2}, {3}, {1}, 2, 1},
      {{1, 4, 6}, {3}, {1}, {2}, 4, 2},
      {{1, 2, 4, 5}, {3, 4}, {2, 1}, {1, 1}, 3, 1},
      {{1, 2, 3, 4, 3}, {3, 2, 3}, {1, 2, 2}, {1, 1, 2}, 2, 1},
  };
  for (const auto& c : same_cases) {
    CAPTURE(shape_str(c.input));
    CAPTURE(shape_str(c.kernel));
    CAPTURE(shape_str(c.stride));
    const int64_t dims = static_cast<int64_t>(c.kernel.size());
    Shape w_shape{c.input[1], c.out_channels / c.groups};
    w_shape.insert(w_shape.end(), c.kernel.begin(), c.kernel.end());
    const Tensor x = randn(c.input), w = randn(w_shape), b = randn({c.out_channels});
    ConvParams p;
    p.transposed = true;
    p.padding_mode = "same";
    p.stride = c.stride;
    p.dilation = c.dilation;
    p.padding = p.output_padding = Shape(dims, 0);
    p.groups = c.groups;
    const Tensor y = convolution(x, w, b, p, dims, "conv_transpose");
    Shape out_size, crop_l;
    for (int64_t d = 0; d < dims; ++d) {
      out_size.push_back(c.input[2 + d] * c.stride[d]);
      crop_l.push_back(conv_shape::transposed_same_padding(c.kernel[d], c.stride[d], c.dilation[d]).first);
    }
    test::check_close(y, zero_stuffed_conv_transpose(x, w, b, c.stride, c.dilation, crop_l, out_size, c.groups), 1e-4,
                      1e-4);
  }
  CHECK(conv_shape::transposed_same_padding(4, 1, 1) ==
        std::pair<int64_t, int64_t>{1, 2});  // extra cropped on the right
  CHECK(conv_shape::transposed_same_padding(1, 3, 1) == std::pair<int64_t, int64_t>{0, -2});  // extended on the right
}

TEST_CASE("ConvTranspose padding='same' matches PyTorch's equivalent numeric padding, cropped") {
  int count = 0;
  for (auto f : test::fixture_cases("lazy_fold/cases.txt", "tsame")) {
    CAPTURE(f["line"]);
    ++count;
    const std::vector<float> flat = test::fixture_floats("lazy_fold/" + f["name"]);
    const Shape input = test::numbers(f["input"]), kernel = test::numbers(f["kernel"]);
    const int64_t groups = std::stoll(f["groups"]), out = std::stoll(f["out"]), dims = std::stoll(f["dims"]);
    Shape w_shape{input[1], out / groups}, y_shape{input[0], out};
    w_shape.insert(w_shape.end(), kernel.begin(), kernel.end());
    const Shape stride = test::numbers(f["stride"]);
    for (int64_t d = 0; d < dims; ++d) y_shape.push_back(input[2 + d] * stride[d]);
    auto at = flat.begin();
    const auto take = [&](const Shape& shape) {
      const Tensor t = from_vector(std::vector<float>(at, at + numel(shape)), shape);
      at += numel(shape);
      return t;
    };
    const Tensor x = take(input), w = take(w_shape), b = take({out}), expected = take(y_shape);
    REQUIRE(at == flat.end());
    Tensor y;
    const std::vector<int64_t> dilation = test::numbers(f["dilation"]);
    if (dims == 1)
      y = F::conv_transpose1d(x, w, b, {.stride = stride, .padding = "same", .groups = groups, .dilation = dilation});
    if (dims == 2)
      y = F::conv_transpose2d(x, w, b, {.stride = stride, .padding = "same", .groups = groups, .dilation = dilation});
    if (dims == 3)
      y = F::conv_transpose3d(x, w, b, {.stride = stride, .padding = "same", .groups = groups, .dilation = dilation});
    test::check_close(y, expected, 1e-4, 1e-4);
  }
  CHECK(count == 8);
}

TEST_CASE("ConvTranspose 'same' and 'valid': module, gradients and errors") {
  manual_seed(34);
  nn::ConvTranspose2d up({.in_channels = 3, .out_channels = 2, .kernel_size = 4, .stride = 2, .padding = "same"});
  CHECK(to_string(up) == "ConvTranspose2d(3, 2, kernel_size=(4, 4), stride=(2, 2), padding=same)");
  CHECK(up(randn({1, 3, 5, 7})).shape() == Shape{1, 2, 10, 14});
  CHECK(up(randn({3, 5, 7})).shape() == Shape{2, 10, 14});
  CHECK_THROWS_WITH_AS(up(randn({1, 3, 5, 7}), {11, 14}),
                       doctest::Contains("output_size can't be given with padding='same'"), Error);
  nn::ConvTranspose1d valid({.in_channels = 2, .out_channels = 2, .kernel_size = 3, .stride = 2, .padding = "valid"});
  CHECK(valid(randn({1, 2, 5})).shape() == Shape{1, 2, 11});
  CHECK(valid(randn({1, 2, 5}), {12}).shape() == Shape{1, 2, 12});  // output_size works with 'valid'
  test::gradcheck(
      [](const auto& in) { return F::conv_transpose1d(in[0], in[1], in[2], {.stride = 3, .padding = "same"}); },
      {randn({1, 2, 4}), randn({2, 3, 2}), randn({3})});
  CHECK_THROWS_WITH_AS(F::conv_transpose1d(randn({1, 2, 4}), randn({2, 3, 2}), {},
                                           {.stride = 2, .padding = "same", .output_padding = 1}),
                       doctest::Contains("output_padding=(1) can't be combined with padding='same'"), Error);
  CHECK_THROWS_WITH_AS(nn::ConvTranspose1d({.in_channels = 2, .out_channels = 2, .kernel_size = 3, .padding = "full"}),
                       doctest::Contains("Invalid padding string 'full', should be one of {'valid', 'same'}"), Error);
}

namespace {

// The three gradients of conv(x, w, b) for the output gradient gy.
std::vector<Tensor> conv_grads(const Tensor& x, const Tensor& w, const Tensor& b, const ConvParams& p,
                               const Tensor& gy) {
  Tensor xl = x.detach().clone().requires_grad_(), wl = w.detach().clone().requires_grad_(),
         bl = b.detach().clone().requires_grad_();
  convolution(xl, wl, bl, p, x.dim() - 2, "conv").backward(gy);
  return {xl.grad(), wl.grad(), bl.grad()};
}

}  // namespace

TEST_CASE("a mostly-zero output gradient (as under a max pool) takes the sparse backward, with the dense result") {
  manual_seed(35);
  for (const auto& c : cases) {
    CAPTURE(shape_str(c.input));
    const Tensor x = randn(c.input), w = weight_for(c, false), b = randn({c.out_channels});
    const ConvParams p = params_of(c, false);
    const Shape out_shape = convolution(x, w, b, p, x.dim() - 2, "conv").shape();
    // One nonzero in 40 (the sparse path takes at most 1 in 32; the smallest outputs, under 32
    // elements, go dense). By linearity, the dense backward's answer for it is
    // backward(sparse + noise) - backward(noise), both dense.
    const int64_t total = numel(out_shape), count = std::max<int64_t>(1, total / 40);
    std::vector<float> values(total, 0.0f);
    const auto positions = randperm(total).to_vector<int64_t>();
    const auto picked = randn({count}).to_vector<float>();
    for (int64_t i = 0; i < count; ++i) values[positions[i]] = picked[i];
    const Tensor sparse = from_vector(values, out_shape);
    const Tensor noise = randn(out_shape);
    const auto from_sparse = conv_grads(x, w, b, p, sparse);
    const auto with_noise = conv_grads(x, w, b, p, sparse + noise), noise_only = conv_grads(x, w, b, p, noise);
    for (size_t i = 0; i < 3; ++i) test::check_close(from_sparse[i], with_noise[i] - noise_only[i], 1e-3, 1e-3);
  }
}

TEST_CASE("a conv reads a transposed (channels-last) input where it lies and returns its gradient in that layout") {
  manual_seed(36);
  const Tensor channels_last = randn({2, 9, 4});  // (N, W, C), e.g. an embedding's output
  const Tensor w = randn({3, 4, 3}), b = randn({3});
  Tensor view = channels_last.clone().requires_grad_();
  Tensor copy = channels_last.clone().requires_grad_();
  const Tensor y_view = F::conv1d(view.transpose(1, 2), w, b, {.padding = 1});
  const Tensor y_copy = F::conv1d(copy.transpose(1, 2).contiguous(), w, b, {.padding = 1});
  CHECK(y_view.to_vector<float>() == y_copy.to_vector<float>());
  const Tensor g = randn(y_view.shape());
  y_view.backward(g);
  y_copy.backward(g);
  test::check_close(view.grad(), copy.grad(), 1e-6, 1e-6);
  test::gradcheck([&](const auto& in) { return F::conv1d(in[0].transpose(1, 2), in[1], {}, {.padding = 1}); },
                  {randn({1, 6, 4}), randn({2, 4, 3})});
  // The same for a transposed conv, and for a 2-D channels-last (N, H, W, C) input.
  const Tensor wt = randn({4, 3, 2});
  test::check_close(F::conv_transpose1d(channels_last.transpose(1, 2), wt, {}, {.stride = 2}),
                    F::conv_transpose1d(channels_last.transpose(1, 2).contiguous(), wt, {}, {.stride = 2}), 1e-6, 1e-6);
  const Tensor nhwc = randn({2, 5, 6, 3}), w2 = randn({4, 3, 3, 3});
  test::check_close(F::conv2d(nhwc.permute({0, 3, 1, 2}), w2, {}, {.padding = 1}),
                    F::conv2d(nhwc.permute({0, 3, 1, 2}).contiguous(), w2, {}, {.padding = 1}), 1e-5, 1e-5);
}
