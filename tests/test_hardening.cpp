// Hostile input: the defects a fuzz of the conv family, damaged options and huge sizes found (issue 14).
// Each case must end in a nabla::Error naming the layer or op, never a crash, a hang or a wrong-sized result.
#include <limits>

#include "helpers.hpp"

using namespace nabla;
namespace F = nabla::nn::functional;

TEST_CASE("required options are required: a layer built without one is refused, naming the option") {
  const auto required = [](const char* option) {
    return doctest::Contains(doctest::String(("the option " + std::string(option) + " is required").c_str()));
  };
  CHECK_THROWS_WITH_AS(nn::Conv2d({.out_channels = 16, .kernel_size = 3}), required("in_channels"), Error);
  CHECK_THROWS_WITH_AS(nn::Conv2d({.in_channels = 3, .kernel_size = 3}), required("out_channels"), Error);
  CHECK_THROWS_WITH_AS(nn::Conv1d({.in_channels = 3, .out_channels = 4}), required("kernel_size"), Error);
  CHECK_THROWS_WITH_AS(nn::ConvTranspose2d({.in_channels = 3, .kernel_size = 3}), required("out_channels"), Error);
  CHECK_THROWS_WITH_AS(nn::LazyConv2d({.kernel_size = 3}), required("out_channels"), Error);
  CHECK_THROWS_WITH_AS(nn::LazyConvTranspose1d({.out_channels = 2}), required("kernel_size"), Error);
  CHECK_THROWS_WITH_AS(nn::DepthwiseSeparableConv2d({.in_channels = 3, .kernel_size = 3}), required("out_channels"),
                       Error);
  CHECK_THROWS_WITH_AS(nn::Linear({.in_features = 3}), required("out_features"), Error);
  CHECK_THROWS_WITH_AS(nn::Embedding({.num_embeddings = 10}), required("embedding_dim"), Error);
  CHECK_THROWS_WITH_AS(nn::MaxPool2d({}), required("kernel_size"), Error);
  CHECK_THROWS_WITH_AS(nn::AvgPool1d({.stride = 2}), required("kernel_size"), Error);
  CHECK_THROWS_WITH_AS(nn::AdaptiveAvgPool2d({}), required("output_size"), Error);
  CHECK_THROWS_WITH_AS(nn::Fold({.kernel_size = 2}), required("output_size"), Error);
  CHECK_THROWS_WITH_AS(nn::Unfold({}), required("kernel_size"), Error);
  CHECK_THROWS_WITH_AS(F::max_pool1d(randn({1, 1, 4}), {}), required("kernel_size"), Error);
  // Explicit zeros are still PyTorch's (a layer with 0 output channels is legal there).
  CHECK(nn::Conv2d({.in_channels = 3, .out_channels = 0, .kernel_size = 3}).weight.shape() == Shape{0, 3, 3, 3});
}

TEST_CASE("sizes that overflow or exceed memory are refused before anything is allocated or reaches oneDNN") {
  CHECK_THROWS_AS(nn::LazyConv1d({.out_channels = 2, .kernel_size = int64_t{1} << 62}), Error);
  CHECK_THROWS_WITH_AS(
      nn::DepthwiseSeparableConv1d(
          {.in_channels = int64_t{1} << 40, .out_channels = 2, .kernel_size = 1, .depth_multiplier = int64_t{1} << 40}),
      doctest::Contains("does not fit in an int64"), Error);
  // Padding 2.18e18 died of SIGFPE inside oneDNN.
  CHECK_THROWS_WITH_AS(
      nn::Conv2d({.in_channels = 1, .out_channels = 1, .kernel_size = 3, .padding = int64_t{2180000000000000000}}),
      doctest::Contains("padding=[2180000000000000000, 2180000000000000000] is too large"), Error);
  CHECK_THROWS_WITH_AS(F::conv2d(randn({1, 1, 5, 5}), randn({1, 1, 3, 3}), {}, {.padding = int64_t{1} << 40}),
                       doctest::Contains("is too large"), Error);
  // Stride 65536 on a 6x4 input: a 250 GiB output, refused by size, not left to oneDNN or the OOM killer.
  nn::ConvTranspose2d wide({.in_channels = 1, .out_channels = 1, .kernel_size = 3, .stride = 65536});
  CHECK_THROWS_WITH_AS(wide.forward(randn({1, 1, 6, 4})), doctest::Contains("GiB of memory"), Error);
  CHECK_THROWS_AS(
      F::conv_transpose1d(randn({1, 1, int64_t{1} << 20}), randn({1, 1, 3}), {}, {.stride = int64_t{1} << 30}), Error);
  CHECK_THROWS_AS(nn::AdaptiveMaxPool1d({.output_size = std::numeric_limits<int64_t>::max()}).forward(randn({1, 1, 4})),
                  Error);
  CHECK_THROWS_AS(F::pad(randn({2, 3}), {0, std::numeric_limits<int64_t>::max()}), Error);
  CHECK_THROWS_AS(F::pad(randn({2, 3}), {int64_t{1} << 40, int64_t{1} << 40}), Error);
}

// The two cases below once ran for minutes; no clock is read here (timings fail at random on a busy machine): a
// regression shows as the unit suite's timeout (tests/CMakeLists.txt).
TEST_CASE("a max-pool window far larger than its input neither hangs nor differs from PyTorch") {
  CHECK_THROWS_WITH_AS(
      nn::MaxPool3d({.kernel_size = int64_t{4483515909586128831}, .ceil_mode = true}).forward(randn({2, 1, 3, 1})),
      doctest::Contains("is too large"), Error);
  // A kernel of 2^30 in ceil mode: one window, clipped to the input (PyTorch gives the max of the row).
  const Tensor x = from_vector(std::vector<float>{1, 5, 2}, {1, 1, 3});
  CHECK(F::max_pool1d(x, {.kernel_size = int64_t{1} << 30, .ceil_mode = true}).to_vector<float>() ==
        std::vector<float>{5});
  CHECK(F::avg_pool1d(x, {.kernel_size = int64_t{1} << 30, .ceil_mode = true}).to_vector<float>() ==
        std::vector<float>{8.f / 3});
}

TEST_CASE("adaptive pooling to an empty output returns at once, as PyTorch") {
  // Found by fuzz_layers: (2^31-1, 0) allocated nothing but walked 2^31 empty output rows (minutes under ASan).
  Tensor x = randn({2, 3, 4, 5}).requires_grad_();
  const int64_t big = (int64_t{1} << 31) - 1;
  const Tensor y = F::adaptive_avg_pool2d(x, {big, 0});
  CHECK(y.shape() == Shape{2, 3, big, 0});
  CHECK(F::adaptive_max_pool2d(x, {big, 0}).shape() == Shape{2, 3, big, 0});
  CHECK(F::adaptive_max_pool3d(randn({1, 2, 2, 2, 2}), {0, big, big}).shape() == Shape{1, 2, 0, big, big});
  y.sum().backward();
  CHECK(x.grad().abs().sum().item<float>() == 0);
}

TEST_CASE("fold and unfold count blocks rounding down, as PyTorch, so a negative span is refused") {
  CHECK_THROWS_WITH_AS(F::unfold(randn({3, 2, 1, 2}), {.kernel_size = {2, 3}, .stride = {3, 2}}),
                       doctest::Contains("calculated shape of the array of sliding blocks as (0, 0)"), Error);
  CHECK_THROWS_WITH_AS(F::fold(randn({3, 6, 1}), {.output_size = {1, 2}, .kernel_size = {2, 3}, .stride = {3, 2}}),
                       doctest::Contains("sliding blocks 0 * 0 = 0"), Error);
}

TEST_CASE("expand refuses negative sizes and index_select refuses negative indices, as PyTorch") {
  CHECK_THROWS_WITH_AS(zeros({1}).expand({-5}), doctest::Contains("negative dimension -5"), Error);
  CHECK(zeros({1}).expand({-1}).shape() == Shape{1});
  CHECK_THROWS_AS(zeros({1, 1}).expand({int64_t{1} << 40, int64_t{1} << 40}), Error);
  CHECK_THROWS_WITH_AS(arange(4).to(kFloat32).index_select(0, from_vector(std::vector<int64_t>{-1}, {1})),
                       doctest::Contains("index -1 is out of bounds"), Error);
}

TEST_CASE("F::embedding checks and wraps a negative padding_idx, as PyTorch") {
  Tensor w = randn({4, 2}).requires_grad_();
  const Tensor idx = from_vector(std::vector<int64_t>{3, 1, 3}, {3});
  F::embedding(idx, w, -1).sum().backward();  // -1 is row 3, which gets no gradient
  CHECK(w.grad().to_vector<float>() == std::vector<float>{0, 0, 1, 1, 0, 0, 0, 0});
  CHECK_THROWS_WITH_AS(F::embedding(idx, w, -5), doctest::Contains("padding_idx must be within"), Error);
}

TEST_CASE("a conv's wrongly typed bias is named in the message") {
  CHECK_THROWS_WITH_AS(F::conv2d(randn({1, 1, 3, 3}), randn({1, 1, 2, 2}), zeros({1}, kInt64)),
                       doctest::Contains("bias type (int64) should be float32"), Error);
}

namespace {
const float kNan = std::numeric_limits<float>::quiet_NaN(), kInf = std::numeric_limits<float>::infinity();

bool all_nan(const Tensor& t) {
  for (float v : t.to_vector<float>())
    if (!std::isnan(v)) return false;
  return true;
}
}  // namespace

TEST_CASE("NaN and Inf propagate as in PyTorch: relu, clamp, fused conv+relu") {
  Tensor x = from_vector(std::vector<float>{kNan, -1, 2}, {3}).requires_grad_();
  Tensor y = F::relu(x);
  const auto v = y.to_vector<float>();
  CHECK(std::isnan(v[0]));
  CHECK(v[1] == 0);
  CHECK(v[2] == 2);
  y.sum().backward();  // PyTorch's threshold_backward lets the gradient through where the output is NaN
  CHECK(x.grad().to_vector<float>() == std::vector<float>{1, 0, 1});
  CHECK(std::isnan(x.detach().clamp(0.0, 1.0).to_vector<float>()[0]));
  // The fused conv+ReLU would turn the NaN it computes into 0.
  nn::Conv2d conv({.in_channels = 1, .out_channels = 2, .kernel_size = 1});
  Tensor image = zeros({1, 1, 2, 2});
  image.data_ptr<float>()[3] = kNan;
  const auto fused = conv.forward_relu(image).to_vector<float>();
  CHECK(std::isnan(fused[3]));
  CHECK(std::isnan(fused[7]));
  CHECK_FALSE(std::isnan(fused[0]));
  image.data_ptr<float>()[3] = kInf;  // inf · w + b is ±inf: the ReLU gives inf or 0, no NaN
  CHECK_FALSE(all_nan(conv.forward_relu(image)));
}

TEST_CASE(
    "a tensor known to be finite forgets it when written; BatchNorm + ReLU in training finds NaN in its "
    "statistics") {
  manual_seed(14);
  nn::Conv2d first({.in_channels = 1, .out_channels = 2, .kernel_size = 1});
  nn::Conv2d second({.in_channels = 2, .out_channels = 2, .kernel_size = 1});
  NoGradGuard no_grad;
  Tensor hidden = first.forward_relu(ones({1, 1, 2, 2}));  // scanned once, then known finite down the chain
  CHECK_FALSE(std::isnan(second.forward_relu(hidden).to_vector<float>()[0]));
  hidden.data_ptr<float>()[0] = kNan;  // a write: what was known is forgotten
  const auto out = second.forward_relu(hidden).to_vector<float>();
  CHECK(std::isnan(out[0]));  // both output channels at that pixel, as PyTorch's unfused ReLU keeps them
  CHECK(std::isnan(out[4]));
  CHECK_FALSE(std::isnan(out[1]));

  nn::BatchNorm2d norm({.num_features = 2});
  Tensor x = randn({4, 2, 3, 3});
  x.data_ptr<float>()[0] = kNan;
  const auto y = norm.forward_relu(x).to_vector<float>();
  CHECK(std::isnan(y[0]));  // channel 0 normalised by a NaN mean: NaN everywhere
  CHECK(std::isnan(y[8]));
  CHECK_FALSE(std::isnan(y[9]));                         // channel 1 is clean
  CHECK(norm.num_batches_tracked.item<int64_t>() == 1);  // the fused attempt did not move the running stats
  const auto mean = norm.running_mean.to_vector<float>();
  CHECK(std::isnan(mean[0]));
  CHECK_FALSE(std::isnan(mean[1]));
}

TEST_CASE("softmax, log_softmax and cross_entropy of NaN or +inf logits are NaN, as in PyTorch") {
  for (const std::vector<float>& row :
       {std::vector<float>{1, kInf, 0}, std::vector<float>{1, kNan, 0}, std::vector<float>{-kInf, -kInf}}) {
    const Tensor x = from_vector(row, {static_cast<int64_t>(row.size())});
    CHECK(all_nan(F::softmax(x, 0)));
    CHECK(all_nan(F::log_softmax(x, 0)));
  }
  // Rows without NaN are untouched by a NaN in another row; -inf alone is a valid logit.
  const Tensor two = from_vector(std::vector<float>{0, -kInf, kNan, 1}, {2, 2});
  const auto p = F::softmax(two, 1).to_vector<float>();
  CHECK(p[0] == 1);
  CHECK(p[1] == 0);
  CHECK(std::isnan(p[2]));
  Tensor logits = from_vector(std::vector<float>{1, kNan, 0}, {1, 3}).requires_grad_();
  Tensor loss = F::cross_entropy(logits, from_vector(std::vector<int64_t>{0}, {1}));
  CHECK(std::isnan(loss.item<float>()));
  loss.backward();
  CHECK(all_nan(logits.grad()));
}

TEST_CASE("max pooling keeps NaN and routes its gradient there; an all-padding window is -inf") {
  Tensor x = from_vector(std::vector<float>{kNan, 0.5f, 0.1f, 3}, {1, 1, 4}).requires_grad_();
  Tensor y = nn::MaxPool1d({.kernel_size = 2}).forward(x);
  const auto v = y.to_vector<float>();
  CHECK(std::isnan(v[0]));
  CHECK(v[1] == 3);
  y.sum().backward();
  CHECK(x.grad().to_vector<float>() == std::vector<float>{1, 0, 0, 1});
  Tensor image = randn({1, 2, 4, 4});
  image.data_ptr<float>()[5] = kNan;
  const auto pooled = F::max_pool2d(image, {.kernel_size = 2}).to_vector<float>();
  CHECK(std::isnan(pooled[0]));
  CHECK(std::count_if(pooled.begin(), pooled.end(), [](float f) { return std::isnan(f); }) == 1);
  Tensor volume = randn({1, 1, 2, 2, 2});
  volume.data_ptr<float>()[7] = kNan;
  CHECK(all_nan(F::max_pool3d(volume, {.kernel_size = 2})));
  // kernel 2, stride 1, padding 1, dilation 2 on a length-1 input: the windows at -1 and 1 miss the input
  Tensor one = ones({1, 1, 1}).requires_grad_();
  Tensor padded = F::max_pool1d(one, {.kernel_size = 2, .stride = 1, .padding = 1, .dilation = 2});
  CHECK(padded.to_vector<float>() == std::vector<float>{-kInf});
  padded.sum().backward();
  CHECK(one.grad().to_vector<float>() == std::vector<float>{0});
}

TEST_CASE("primitive caches stay bounded when shapes keep changing, and a recorded backward outlives a flush") {
  Tensor x = randn({3, 5}).requires_grad_();
  Tensor y = F::relu(x);                                      // its primitives are held by the recorded backward
  for (int64_t n = 1; n <= 600; ++n) F::relu(randn({n, 7}));  // more keys than a cache keeps: it is flushed
  y.sum().backward();
  const auto xs = x.detach().to_vector<float>(), gs = x.grad().to_vector<float>();
  for (size_t i = 0; i < xs.size(); ++i) CHECK(gs[i] == (xs[i] > 0 ? 1.f : 0.f));
}

TEST_CASE("set_memory_limit fences in what one tensor may take") {
  const int64_t before = memory_limit();
  set_memory_limit(1 << 20);
  CHECK_THROWS_WITH_AS(zeros({1 << 19}), doctest::Contains("more than the 0.000976562 GiB"), Error);
  CHECK(zeros({1 << 10}).numel() == 1024);
  set_memory_limit(before);
  CHECK_THROWS_AS(set_memory_limit(0), Error);
}

TEST_CASE("padding an empty tensor by 2^40 gives an empty result at once (found by fuzz_layers)") {
  Tensor x = zeros({0, 3}).requires_grad_();
  Tensor y = F::pad(x, {0, int64_t{1} << 40});
  CHECK(y.shape() == Shape{0, (int64_t{1} << 40) + 3});
  y.sum().backward();
  CHECK(x.grad().shape() == Shape{0, 3});
}

TEST_CASE("regressions found by the fuzzers") {
  // fuzz_layers: 0 input channels with many outputs and a huge kernel: a weight of no elements, whose fan_out
  // (computed for the bias's init) overflowed an int64 (UB). PyTorch builds it; so does Nabla now.
  nn::Conv2d empty_conv({.in_channels = 0, .out_channels = 1 << 20, .kernel_size = 1 << 30});
  CHECK(empty_conv.weight.numel() == 0);
  CHECK(empty_conv.bias.to_vector<float>() == std::vector<float>(1 << 20, 0.f));  // PyTorch leaves it unset
  CHECK_THROWS_AS(nn::init::calculate_fan_in_and_fan_out(empty_conv.weight), Error);
}

TEST_CASE("a tensor known to hold no NaN forgets it when written: max pooling still sees a NaN put there later") {
  Tensor y = F::relu(randn({1, 1, 4, 4}));  // scanned once, then known NaN-free
  CHECK_FALSE(std::isnan(F::max_pool2d(y, {.kernel_size = 2}).to_vector<float>()[0]));
  y.data_ptr<float>()[0] = kNan;  // a write through data_ptr
  CHECK(std::isnan(F::max_pool2d(y, {.kernel_size = 2}).to_vector<float>()[0]));
  Tensor z = F::relu(randn({1, 1, 4, 4}));
  z.copy_(full({1, 1, 4, 4}, kNan));  // and through copy_
  CHECK(all_nan(F::max_pool2d(z, {.kernel_size = 2})));
}
