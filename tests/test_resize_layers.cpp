// Upsample/interpolate against PyTorch (tools/make_layer_fixtures.py, interp*), PixelShuffle/Unshuffle, the
// padding layers and the channel and alpha dropouts.
#include <doctest/doctest.h>

#include <nabla/nabla.hpp>

#include "helpers.hpp"

using namespace nabla;
using namespace nabla::test;
namespace F = nabla::nn::functional;

TEST_CASE("interpolate matches PyTorch: nearest and (bi/tri)linear, size or scale_factor, align_corners") {
  int checked = 0;
  for (auto c : fixture_cases("layers/cases.txt", "interpolate")) {
    CAPTURE(c["line"]);
    const Shape shape = numbers(c["shape"]), out = numbers(c["out"]);
    InterpolateOptions o{.mode = c["mode"]};
    if (c.count("size")) o.size = numbers(c["size"]);
    if (c.count("scale_factor")) o.scale_factor = {std::stod(c["scale_factor"])};
    if (c.count("align_corners")) o.align_corners = c["align_corners"] == "1";
    o.recompute_scale_factor = c.count("recompute_scale_factor") && c["recompute_scale_factor"] == "1";
    check_layer_step(c, nn::Upsample(o), shape, out);
    ++checked;
  }
  CHECK(checked == 14);
}

TEST_CASE("interpolate after a conv reads its blocked output, and agrees with finite differences") {
  manual_seed(21);
  nn::Conv2d conv({.in_channels = 3, .out_channels = 16, .kernel_size = 3});
  const Tensor y = conv(randn({2, 3, 7, 7}));
  check_close(F::interpolate(y, {.scale_factor = {2.0}, .mode = "bilinear"}),
              F::interpolate(y.contiguous().clone(), {.scale_factor = {2.0}, .mode = "bilinear"}));
  gradcheck(
      [](const std::vector<Tensor>& in) {
        return F::interpolate(in[0], {.size = {5, 4}, .mode = "bilinear", .align_corners = true});
      },
      {randn({1, 2, 3, 3})});
  gradcheck([](const std::vector<Tensor>& in) { return F::interpolate(in[0], {.scale_factor = {1.5}}); },
            {randn({1, 2, 4, 3})});
}

TEST_CASE("interpolate and Upsample raise PyTorch's errors and print as it does") {
  CHECK_THROWS_WITH_AS(F::interpolate(randn({1, 2, 4, 4}), {.size = {8, 8}, .align_corners = true}),
                       doctest::Contains("align_corners option can only be set with the interpolating modes"), Error);
  CHECK_THROWS_WITH_AS(F::interpolate(randn({1, 2, 4, 4}), {.size = {8, 8}, .mode = "trilinear"}),
                       doctest::Contains("Got 4D input, but trilinear mode needs 5D input"), Error);
  CHECK_THROWS_WITH_AS(F::interpolate(randn({1, 2, 4, 4}), {.mode = "nearest"}),
                       doctest::Contains("either size or scale_factor should be defined"), Error);
  CHECK_THROWS_WITH_AS(F::interpolate(randn({1, 2, 4, 4}), {.size = {8, 8, 8}}),
                       doctest::Contains("must have the same number of spatial dimensions"), Error);
  CHECK(nn::to_string(nn::Upsample({.scale_factor = {2.0}})) == "Upsample(scale_factor=2.0, mode=nearest)");
  CHECK(nn::to_string(nn::Upsample({.size = {4, 5}, .mode = "bilinear", .align_corners = true})) ==
        "Upsample(size=(4, 5), mode=bilinear)");
}

TEST_CASE("PixelShuffle and PixelUnshuffle match PyTorch, with and without batch dims") {
  int checked = 0;
  for (auto c : fixture_cases("layers/cases.txt", "Pixel")) {
    CAPTURE(c["line"]);
    const int64_t factor = std::stoll(c["factor"]);
    if (c["kind"] == "PixelShuffle")
      check_layer_step(c, nn::PixelShuffle({.upscale_factor = factor}), numbers(c["shape"]), numbers(c["out"]));
    else
      check_layer_step(c, nn::PixelUnshuffle({.downscale_factor = factor}), numbers(c["shape"]), numbers(c["out"]));
    ++checked;
  }
  CHECK(checked == 4);
}

TEST_CASE("PixelShuffle and PixelUnshuffle move channels into space and back, as PyTorch") {
  // PyTorch: pixel_shuffle(arange(8).view(1, 8, 1, 1), 2) is [[[[0, 1], [2, 3]]], [[[4, 5], [6, 7]]]] per channel.
  std::vector<float> v(8);
  std::iota(v.begin(), v.end(), 0.f);
  const Tensor x = from_vector(v, {1, 8, 1, 1});
  const Tensor y = nn::PixelShuffle({.upscale_factor = 2})(x);
  CHECK(y.shape() == Shape{1, 2, 2, 2});
  CHECK(y.to_vector<float>() == v);
  const Tensor z = randn({2, 3, 4, 6, 4});  // extra batch dim
  check_close(F::pixel_shuffle(F::pixel_unshuffle(z, 2), 2), z);
  CHECK(F::pixel_unshuffle(z, 2).shape() == Shape{2, 3, 16, 3, 2});
  CHECK_THROWS_WITH_AS(nn::PixelShuffle({.upscale_factor = 2})(randn({1, 3, 2, 2})),
                       doctest::Contains("input.size(-3)=3 is not divisible by 4"), Error);
  CHECK(nn::to_string(nn::PixelUnshuffle({.downscale_factor = 3})) == "PixelUnshuffle(downscale_factor=3)");
  gradcheck([](const std::vector<Tensor>& in) { return F::pixel_shuffle(in[0], 2); }, {randn({1, 8, 2, 3})});
}

TEST_CASE("padding layers pad as F::pad does and print as PyTorch's") {
  const Tensor x = randn({1, 2, 3, 4});
  check_close(nn::ReflectionPad2d({.padding = 2})(x), F::pad(x, {2, 2, 2, 2}, "reflect"));
  check_close(nn::ReplicationPad2d({.padding = {1, 0, 2, 1}})(x), F::pad(x, {1, 0, 2, 1}, "replicate"));
  check_close(nn::ConstantPad1d({.padding = 2, .value = 3.5})(randn({2, 3})).slice(1, 0, 2), full({2, 2}, 3.5));
  check_close(nn::CircularPad2d({.padding = 1})(x), F::pad(x, {1, 1, 1, 1}, "circular"));
  CHECK(nn::ZeroPad2d({.padding = {1, 2, 3, 4}})(x).shape() == Shape{1, 2, 10, 7});
  CHECK(nn::to_string(nn::ZeroPad2d({.padding = 1})) == "ZeroPad2d((1, 1, 1, 1))");
  CHECK(nn::to_string(nn::ConstantPad1d({.padding = 2, .value = 3.5})) == "ConstantPad1d(padding=(2, 2), value=3.5)");
  CHECK(nn::to_string(nn::ReplicationPad3d({.padding = {1, 1, 1, 1, 2, 2}})) == "ReplicationPad3d((1, 1, 1, 1, 2, 2))");
  CHECK_THROWS_WITH_AS(nn::ReflectionPad2d({.padding = {1, 2, 3}}),
                       doctest::Contains("must be one number or 4 numbers"), Error);
  CHECK_THROWS_WITH_AS(nn::ReflectionPad2d({}), doctest::Contains("padding is required"), Error);
}

TEST_CASE("Dropout1d/2d/3d drop whole channels; AlphaDropout keeps mean and variance; eval is the identity") {
  manual_seed(22);
  nn::Dropout2d drop({.p = 0.5});
  const Tensor x = ones({8, 16, 5, 5});
  const auto y = drop(x).to_vector<float>();
  int dropped = 0;
  for (int64_t channel = 0; channel < 8 * 16; ++channel) {
    const float first = y[static_cast<size_t>(channel * 25)];
    CHECK((first == 0.f || first == 2.f));
    for (int64_t i = 1; i < 25; ++i) CHECK(y[static_cast<size_t>(channel * 25 + i)] == first);  // the whole channel
    dropped += first == 0.f;
  }
  CHECK(dropped > 32);
  CHECK(dropped < 96);
  CHECK(F::dropout1d(ones({3, 4}), 0.5).shape() == Shape{3, 4});  // unbatched (C, L)
  CHECK_THROWS_WITH_AS(F::dropout3d(ones({2, 3}), 0.5), doctest::Contains("Expected 4D or 5D input"), Error);
  drop.eval();
  CHECK(drop(x).is_same(x));

  nn::AlphaDropout alpha({.p = 0.2});
  const Tensor z = randn({200000});
  const Tensor a = alpha(z);
  CHECK(a.mean().item<float>() == doctest::Approx(0.0).epsilon(0.02).scale(1));
  CHECK((a * a).mean().item<float>() == doctest::Approx(1.0).epsilon(0.02));
  CHECK(nn::to_string(alpha) == "AlphaDropout(p=0.2, inplace=False)");
  CHECK(nn::to_string(nn::Dropout3d()) == "Dropout3d(p=0.5, inplace=False)");
}
