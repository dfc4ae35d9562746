// Issue 23's reproductions, one per defect class: every value, flag and file a user can give gets PyTorch's answer
// or a clear nabla::Error, never undefined behaviour, an allocation sized by the input before it is checked, or a
// silent wrong answer. (The NaN/Inf table is test_special_values.cpp; schedulers' round trips test_lr_scheduler.cpp.)
#include <doctest/doctest.h>

#include <climits>
#include <filesystem>

#include <nabla/nabla.hpp>

#include "helpers.hpp"

using namespace nabla;
using namespace nabla::test;
namespace F = nabla::nn::functional;

// Made during static initialisation, before main and (linked first) before the library's own globals: a program's
// global weight. It was refused with "more than the 0 GiB of memory a tensor may take" while the memory limit was a
// namespace-scope global, initialised after this (found by GUIDE.md's distributed example, compiled and run).
const Tensor made_before_main = randn({64, 4}).relu();

TEST_CASE("tensors made during static initialisation see the library's settings") {
  CHECK(made_before_main.shape() == Shape{64, 4});
  CHECK(memory_limit() > 0);
}

TEST_CASE("size arithmetic on user-given sizes is checked, not overflowed") {
  nn::ConvTranspose1d deconv({.in_channels = 4, .out_channels = 2, .kernel_size = 3, .stride = 2});
  CHECK_THROWS_WITH_AS(deconv.forward(randn({18, 4, 5}), {18, 4, INT64_MIN}),
                       doctest::Contains("valid sizes range from"), Error);
  const Tensor huge = empty({5746952577515066664, 0, 4});
  CHECK_THROWS_WITH_AS(F::conv2d(huge, randn({1, 1, 1, 1})), doctest::Contains("too large"), Error);
  CHECK_THROWS_WITH_AS(F::pixel_shuffle(randn({1, 4, 2, 2}), 3037000500), doctest::Contains("does not fit"), Error);
  CHECK_THROWS_WITH_AS(checked_cast_to_int64(1e300, "a size"), doctest::Contains("a size"), Error);
  CHECK_THROWS_AS(checked_cast_to_int64(NAN, "a size"), Error);
  CHECK(checked_cast_to_int64(-9223372036854775808.0, "a size") == INT64_MIN);
}

TEST_CASE("a DataLoader batch as large as INT64_MAX is one batch of everything") {
  data::DataLoader loader(randn({10, 2}), zeros({10}, kInt64), {.batch_size = INT64_MAX, .shuffle = true});
  CHECK(loader.num_batches() == 1);
  CHECK(loader.epoch(0).begin()->first.size(0) == 10);
  data::DataLoader dropping(randn({10, 2}), zeros({10}, kInt64), {.batch_size = INT64_MAX, .drop_last = true});
  CHECK(dropping.num_batches() == 0);
}

TEST_CASE("channel counts beyond oneDNN's 32-bit range are an error, not a division by zero in the kernel") {
  const Tensor x = randn({1, 1, 4}).expand({1, int64_t{1} << 32, 4});
  const Tensor w = randn({1, 1, 1}).expand({1, int64_t{1} << 32, 1});
  CHECK_THROWS_WITH_AS(F::conv1d(x, w), doctest::Contains("channels"), Error);
}

TEST_CASE("interpolate checks its output's size before building any table for it") {
  const Tensor x = randn({1, 1, 4});
  CHECK_THROWS_WITH_AS(F::interpolate(x, {.size = {int64_t{1} << 40}}), doctest::Contains("interpolate"), Error);
  CHECK_THROWS_WITH_AS(F::interpolate(randn({1, 1, 2, 2}), {.size = {int64_t{1} << 31, int64_t{1} << 31}}),
                       doctest::Contains("interpolate"), Error);
  for (const char* mode : {"nearest", "linear"})
    CHECK_THROWS_AS(F::interpolate(x, {.scale_factor = {1e9}, .mode = mode}), Error);
  CHECK_THROWS_AS(F::interpolate(x, {.scale_factor = {1e300}}), Error);  // the size does not even fit an int64
  CHECK_THROWS_AS(nn::Upsample({.scale_factor = {1e9}})(x), Error);
}

TEST_CASE("files: not a regular file, a directory, a device are errors naming the file") {
  CHECK_THROWS_WITH_AS(load("/dev/zero"), doctest::Contains("'/dev/zero' is not a regular file"), Error);
  CHECK_THROWS_WITH_AS(load("/dev/urandom"), doctest::Contains("not a regular file"), Error);
  const std::string dir = std::filesystem::temp_directory_path() / "nabla_edges_dir";
  std::filesystem::create_directories(dir);
  CHECK_THROWS_WITH_AS(load(dir), doctest::Contains("is a directory"), Error);
  CHECK_THROWS_WITH_AS(data::read_idx(dir), doctest::Contains("is a directory"), Error);
  CHECK_THROWS_WITH_AS(save(StateDict{}, dir), doctest::Contains("is a directory"), Error);
  CHECK_THROWS_WITH_AS(write_file(dir + "/no/such/folder/x", "x", "writer"), doctest::Contains("does not exist"),
                       Error);
  write_file(dir + "/x.txt", "hello", "writer");
  CHECK(read_file(dir + "/x.txt", "reader") == "hello");
  std::filesystem::remove_all(dir);
}

TEST_CASE("PyTorch's rejections are ours: recompute_scale_factor with a size, PReLU of C on 1-D, reflect of 1-D") {
  CHECK_THROWS_WITH_AS(F::interpolate(randn({1, 1, 4}), {.size = {8}, .recompute_scale_factor = true}),
                       doctest::Contains("not meaningful with an explicit size"), Error);
  CHECK_THROWS_WITH_AS(nn::PReLU({.num_parameters = 4})(randn({4})), doctest::Contains("channel size = 1"), Error);
  CHECK(nn::PReLU({.num_parameters = 1})(randn({4})).shape() == Shape{4});
  CHECK_THROWS_WITH_AS(F::pad(randn({4}), {1, 1}, "reflect"), doctest::Contains("Only 2D, 3D, 4D, 5D padding"), Error);
  CHECK_THROWS_WITH_AS(F::pad(randn({2, 4}), {1, 1}, "circular"), doctest::Contains("Invalid padding size"), Error);
  CHECK(F::pad(randn({2, 4}), {1, 1}, "reflect").shape() == Shape{2, 6});
}

TEST_CASE("PyTorch's acceptances are ours: GroupNorm with one value per group but N > 1") {
  nn::GroupNorm norm({.num_groups = 4, .num_channels = 4});
  const Tensor x = randn({2, 4}).requires_grad_();
  const Tensor y = norm(x);
  check_close(y, zeros({2, 4}), 1e-4);  // each group is its own mean: PyTorch's ~1e-5 noise, exactly 0 here
  y.sum().backward();
  CHECK(x.grad().defined());
  CHECK_THROWS_WITH_AS(norm(randn({1, 4})), doctest::Contains("Expected more than 1 value per channel"), Error);
}

TEST_CASE("max_pool1d over a window of -inf padding and values is -inf, as PyTorch") {
  const Tensor x = from_vector(std::vector<float>{-INFINITY, -INFINITY}, {1, 1, 2});
  const auto y = F::max_pool1d(x, {.kernel_size = 2, .padding = 1}).to_vector<float>();
  CHECK(y == std::vector<float>{-INFINITY, -INFINITY});
}

TEST_CASE("activations of a 0-d tensor, as PyTorch's (oneDNN has no 0-d memory)") {
  const Tensor x = scalar_tensor(-0.5).requires_grad_();
  const std::vector<std::pair<std::function<Tensor(const Tensor&)>, float>> cases = {
      {[](const Tensor& t) { return F::relu(t); }, 0.f},
      {[](const Tensor& t) { return F::leaky_relu(t, 0.1); }, -0.05f},
      {[](const Tensor& t) { return F::hardswish(t); }, -0.5f * 2.5f / 6},
      {[](const Tensor& t) { return F::softplus(t); }, std::log1p(std::exp(-0.5f))},
      {[](const Tensor& t) { return F::gelu(t); }, -0.5f * 0.5f * (1 + std::erf(-0.5f / std::sqrt(2.f)))}};
  for (const auto& [f, expected] : cases) {
    const Tensor y = f(x);
    CHECK(y.dim() == 0);
    CHECK(y.item<float>() == doctest::Approx(expected).epsilon(1e-5));
    y.backward();
    CHECK(x.grad().dim() == 0);
    Tensor(x.grad()).zero_();
  }
}

TEST_CASE("activations of empty tensors: empty results and gradients (oneDNN reorders of nothing divide by zero)") {
  for (const Shape& shape : {Shape{0}, Shape{0, 3}, Shape{2, 0, 4, 4}}) {
    const Tensor x = randn(shape).requires_grad_();
    for (const auto& f : std::vector<std::function<Tensor(const Tensor&)>>{
             [](const Tensor& t) { return F::relu(t); }, [](const Tensor& t) { return F::gelu(t); },
             [](const Tensor& t) { return F::hardtanh(t); }}) {
      const Tensor y = f(x);
      CHECK(y.shape() == shape);
      y.sum().backward();
      CHECK(x.grad().shape() == shape);
    }
  }
}

TEST_CASE("unfold of an empty batch with a huge kernel: the column count is checked, not overflowed") {
  const int64_t k = (int64_t{1} << 31) - 1, pad = int64_t{1} << 30;  // the padding makes room for the kernel
  CHECK_THROWS_WITH_AS(F::unfold(empty({0, 4, 1, 1}), {.kernel_size = {k, k}, .padding = {pad, pad}}),
                       doctest::Contains("unfold: channels * kernel size"), Error);
}

TEST_CASE("reshape and pixel_unshuffle with dims whose product overflows: an error or an empty result, never UB") {
  const int64_t r = (int64_t{1} << 31) - 1;
  CHECK_THROWS_AS(empty({8, 1, 0, 0}).reshape({8, r * r, 0, -1}), Error);  // -1 beside a 0: not inferable
  CHECK_THROWS_WITH_AS(randn({4}).reshape({r, r, r}), doctest::Contains("is invalid for input of size 4"), Error);
  CHECK(empty({2, 0}).reshape({0, r, r}).numel() == 0);
  CHECK(F::pixel_unshuffle(empty({8, 1, 0, 0}), r).shape() == Shape{8, r * r, 0, 0});  // as PyTorch: empty
}

TEST_CASE("reductions and index_select of empty tensors with huge dims: block products cannot overflow") {
  const int64_t big = int64_t{1} << 40;  // big * big overflows; big * 0 * big is an empty tensor
  Tensor x = empty({big, 0, big}).requires_grad_();
  CHECK(sum(x, {0}).shape() == Shape{0, big});
  CHECK_THROWS_WITH_AS(sum(x, {1}), doctest::Contains("[1099511627776, 1099511627776]"), Error);
  CHECK(std::get<0>(max(x, 2)).shape() == Shape{big, 0});
  CHECK(argmax(x, 0).shape() == Shape{0, big});
  CHECK(mean(x, {0, 2}).shape() == Shape{0});
  CHECK(index_select(x, 2, arange(2).to(kInt64)).shape() == Shape{big, 0, 2});
  sum(x, {0}).sum().backward();
  CHECK(x.grad().shape() == x.shape());
  const Tensor m = mean(empty({big, 0, big}));
  CHECK(std::isnan(m.item<float>()));  // as PyTorch: the mean of nothing is NaN
}
