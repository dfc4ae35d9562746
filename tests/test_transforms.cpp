// transforms::functional against torchvision 0.14's outputs on the same images (tools/make_data_fixtures.py), and the
// random transforms' parameters: torchvision's given the same parameters, their distributions checked by counting.
#include <cmath>
#include <sstream>

#include "helpers.hpp"
#include "nabla/nn/data/generator.hpp"
#include "nabla/nn/data/transforms.hpp"

using namespace nabla;
namespace F = transforms::functional;

namespace {

std::vector<double> reals(const std::string& text) {
  std::vector<double> out;
  std::stringstream s(text);
  for (std::string item; std::getline(s, item, ',');) out.push_back(std::stod(item));
  return out;
}

// The fixture's input images: uint8 ones are stored as float32 integers.
Tensor input(const std::string& name) {
  const Tensor stored = test::fixture("data/input_" + name);
  return name == "f32" ? stored : stored.to(kUInt8);
}

transforms::InterpolationMode interpolation(const std::string& name) {
  return name == "nearest" ? transforms::InterpolationMode::NEAREST : transforms::InterpolationMode::BILINEAR;
}

transforms::PaddingMode padding_mode(const std::string& name) {
  if (name == "edge") return transforms::PaddingMode::edge;
  if (name == "reflect") return transforms::PaddingMode::reflect;
  if (name == "symmetric") return transforms::PaddingMode::symmetric;
  return transforms::PaddingMode::constant;
}

// Runs a fixture line's function in Nabla.
Tensor run(test::FixtureCase& c, const Tensor& x) {
  const std::string& op = c["op"];
  const auto fill = [&] {
    return c.count("fill") ? std::vector<double>(static_cast<size_t>(x.size(-3)), std::stod(c["fill"]))
                           : std::vector<double>{};
  };
  if (op == "to_tensor") return F::to_tensor(x);
  if (op == "convert_uint8") return F::convert_image_dtype(x, kUInt8);
  if (op == "normalize") return F::normalize(x, reals(c["mean"]), reals(c["std"]));
  if (op == "resize") {
    std::optional<int64_t> max_size;
    if (c.count("max_size")) max_size = std::stoll(c["max_size"]);
    return F::resize(x, test::numbers(c["size"]), interpolation(c["interpolation"]), max_size);
  }
  if (op == "center_crop") return F::center_crop(x, test::numbers(c["size"]));
  if (op == "crop")
    return F::crop(x, std::stoll(c["top"]), std::stoll(c["left"]), std::stoll(c["height"]), std::stoll(c["width"]));
  if (op == "resized_crop")
    return F::resized_crop(x, std::stoll(c["top"]), std::stoll(c["left"]), std::stoll(c["height"]),
                           std::stoll(c["width"]), test::numbers(c["size"]));
  if (op == "pad") return F::pad(x, test::numbers(c["padding"]), std::stod(c["fill"]), padding_mode(c["mode"]));
  if (op == "hflip") return F::hflip(x);
  if (op == "vflip") return F::vflip(x);
  if (op == "rotate") {
    std::optional<std::array<double, 2>> center;
    if (c.count("center")) center = std::array{reals(c["center"])[0], reals(c["center"])[1]};
    return F::rotate(x, std::stod(c["angle"]), interpolation(c["interpolation"]), c.count("expand") > 0, center,
                     fill());
  }
  if (op == "affine") {
    const auto t = reals(c["translate"]), shear = reals(c["shear"]);
    return F::affine(x, std::stod(c["angle"]), {t[0], t[1]}, std::stod(c["scale"]), {shear[0], shear[1]},
                     interpolation(c["interpolation"]), fill());
  }
  if (op == "grayscale") return F::rgb_to_grayscale(x, std::stoll(c["channels"]));
  if (op == "brightness") return F::adjust_brightness(x, std::stod(c["factor"]));
  if (op == "contrast") return F::adjust_contrast(x, std::stod(c["factor"]));
  if (op == "saturation") return F::adjust_saturation(x, std::stod(c["factor"]));
  if (op == "hue") return F::adjust_hue(x, std::stod(c["factor"]));
  if (op == "erase") {
    const auto v = reals(c["value"]);
    return F::erase(x, std::stoll(c["i"]), std::stoll(c["j"]), std::stoll(c["h"]), std::stoll(c["w"]),
                    from_vector(std::vector<float>(v.begin(), v.end()), {3, 1, 1}));
  }
  FAIL("unknown op in transforms.txt: " << op);
  return {};
}

}  // namespace

TEST_CASE("transforms::functional gives torchvision's pixels: exact for uint8, 1e-5 for float32") {
  int checked = 0;
  for (auto& c : test::fixture_cases("data/transforms.txt")) {
    CAPTURE(c["line"]);
    const Tensor x = input(c["input"]);
    const Tensor y = run(c, x);
    const Tensor expected = test::fixture("data/" + c["case"]);
    REQUIRE(y.shape() == expected.shape());
    const bool integer = y.dtype() == kUInt8;
    const auto got = y.to(kFloat32).to_vector<float>(), want = expected.to_vector<float>();
    // Float32 sums rounded differently: the warps sample where a float32 matrix product lands (torchvision's is a
    // BLAS bmm), and ATen's bilinear weights are an ulp off the correctly rounded ones. A pixel whose exact value
    // sits on a rounding boundary may then differ by one level in uint8: a few in a thousand, never more than one.
    const bool rounded_sums = c["op"] == "rotate" || c["op"] == "affine" || c["interpolation"] == "bilinear";
    int64_t off = 0;
    double worst = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      const double tolerance = integer ? 0.0 : 1e-5 + 1e-5 * std::abs(want[i]);
      off += std::abs(got[i] - want[i]) > tolerance;
      worst = std::max(worst, static_cast<double>(std::abs(got[i] - want[i])));
    }
    if (rounded_sums) {
      CHECK(off <= static_cast<int64_t>(got.size()) / 200);
      if (integer && c["op"] == "resize") CHECK(worst <= 1);
    } else {
      CHECK(off == 0);
    }
    ++checked;
  }
  CHECK(checked > 100);
}

TEST_CASE("transforms reject images they cannot work on, naming the transform and what to change") {
  const Tensor u8 = zeros({3, 4, 5}).to(kUInt8);
  CHECK_THROWS_WITH_AS(F::normalize(u8, {0.5}, {0.5}),
                       doctest::Contains("normalize: Input tensor should be a float tensor. Got uint8"), Error);
  CHECK_THROWS_WITH_AS(F::normalize(zeros({3, 4, 5}), {0.5}, {0.0}), doctest::Contains("division by zero"), Error);
  CHECK_THROWS_WITH_AS(F::normalize(zeros({3, 4, 5}), {0.5, 0.5}, {1.0}),
                       doctest::Contains("one per channel (3), got 2"), Error);
  CHECK_THROWS_WITH_AS(F::rgb_to_grayscale(zeros({2, 4, 5})),
                       doctest::Contains("permitted channel values are [1, 3], but found 2"), Error);
  CHECK_THROWS_WITH_AS(F::pad(u8, {5}, 0, transforms::PaddingMode::reflect),
                       doctest::Contains("less than the corresponding input dimension"), Error);
  CHECK_THROWS_WITH_AS(F::resize(zeros({5}), {2}),
                       doctest::Contains("resize: expected an image tensor of shape (..., C, H, W), got [5]"), Error);
  CHECK_THROWS_WITH_AS(F::adjust_hue(u8, 0.7), doctest::Contains("hue_factor (0.7) is not in [-0.5, 0.5]"), Error);
  CHECK_THROWS_WITH_AS(transforms::RandomCrop({.size = {6}})(u8),
                       doctest::Contains("Required crop size (6, 6) is larger than input image size (4, 5)"), Error);
  CHECK_THROWS_WITH_AS(transforms::ColorJitter({.hue = {0.6}}),
                       doctest::Contains("hue values should be between [-0.5, 0.5]"), Error);
  CHECK_THROWS_WITH_AS(transforms::RandomRotation({.degrees = {-3}}), doctest::Contains("must be positive"), Error);
  CHECK_THROWS_WITH_AS(F::to_tensor(zeros({1, 2, 2})), doctest::Contains("ToTensor: expected a uint8 image"), Error);
  // A degenerate warp samples far outside the image: zeros, computed without overflowing a cast.
  const Tensor far = F::affine(ones({3, 4, 5}), 0, {0, 0}, 1e-30, {0, 0}, transforms::InterpolationMode::BILINEAR);
  CHECK(far.abs().sum().item<float>() == 0);
  CHECK(F::rotate(ones({1, 4, 5}), std::nan("")).shape() == Shape{1, 4, 5});
}

TEST_CASE("a random transform is the functional call with the parameters its get_params drew") {
  const Tensor x = input("u8");
  for (uint64_t seed = 0; seed < 20; ++seed) {
    data::sample_generator() = data::Generator(seed);
    const Tensor cropped = transforms::RandomCrop({.size = {7, 8}, .padding = {2}})(x);
    data::sample_generator() = data::Generator(seed);
    const auto p = transforms::RandomCrop::get_params(F::pad(x, {2}), {7, 8});
    CHECK(cropped.to_vector<uint8_t>() == F::crop(F::pad(x, {2}), p.top, p.left, 7, 8).to_vector<uint8_t>());

    data::sample_generator() = data::Generator(seed);
    const Tensor resized = transforms::RandomResizedCrop({.size = {5, 6}})(x);
    data::sample_generator() = data::Generator(seed);
    const auto r = transforms::RandomResizedCrop::get_params(x, {0.08, 1.0}, {3.0 / 4, 4.0 / 3});
    CHECK(resized.to_vector<uint8_t>() ==
          F::resized_crop(x, r.top, r.left, r.height, r.width, {5, 6}).to_vector<uint8_t>());

    data::sample_generator() = data::Generator(seed);
    const Tensor jittered =
        transforms::ColorJitter({.brightness = {0.4}, .contrast = {0.4}, .saturation = {0.4}, .hue = {0.1}})(x);
    data::sample_generator() = data::Generator(seed);
    const auto j = transforms::ColorJitter::get_params(std::array{0.6, 1.4}, std::array{0.6, 1.4}, std::array{0.6, 1.4},
                                                       std::array{-0.1, 0.1});
    Tensor expected = x;
    for (int64_t fn : j.order) {
      if (fn == 0) expected = F::adjust_brightness(expected, *j.brightness);
      if (fn == 1) expected = F::adjust_contrast(expected, *j.contrast);
      if (fn == 2) expected = F::adjust_saturation(expected, *j.saturation);
      if (fn == 3) expected = F::adjust_hue(expected, *j.hue);
    }
    CHECK(jittered.to_vector<uint8_t>() == expected.to_vector<uint8_t>());

    data::sample_generator() = data::Generator(seed);
    const Tensor moved = transforms::RandomAffine(
        {.degrees = {30}, .translate = std::array{0.1, 0.2}, .scale = std::array{0.8, 1.2}, .shear = {10}})(x);
    data::sample_generator() = data::Generator(seed);
    const auto a = transforms::RandomAffine::get_params({-30, 30}, std::array{0.1, 0.2}, std::array{0.8, 1.2},
                                                        {-10, 10}, {13, 11});
    CHECK(std::abs(a.translate[0]) <= 1.3 + 0.5);
    CHECK(moved.to_vector<uint8_t>() ==
          F::affine(x, a.angle, a.translate, a.scale, a.shear, transforms::InterpolationMode::NEAREST, {0, 0, 0})
              .to_vector<uint8_t>());
  }
}

TEST_CASE("random transforms draw their parameters with the advertised distributions") {
  data::sample_generator() = data::Generator(7);
  const Tensor x = input("u8");
  const int trials = 4000;
  int flipped = 0, erased = 0;
  std::array<int, 5> top_counts{};  // RandomCrop of 7 rows from 11: top uniform over 0..4
  double angle_sum = 0, angle_min = 1e9, angle_max = -1e9;
  for (int t = 0; t < trials; ++t) {
    flipped += transforms::RandomHorizontalFlip(0.3)(x).to_vector<uint8_t>() != x.to_vector<uint8_t>();
    erased += !transforms::RandomErasing({.p = 0.25})(x.to(kFloat32)).to_vector<float>().empty() &&
              transforms::RandomErasing({.p = 1.0, .value = {-1}})(x.to(kFloat32)).min().item<float>() == -1;
    ++top_counts[static_cast<size_t>(transforms::RandomCrop::get_params(x, {7, 13}).top)];
    const double angle = transforms::RandomRotation::get_params({-10, 30});
    angle_sum += angle, angle_min = std::min(angle_min, angle), angle_max = std::max(angle_max, angle);
  }
  // Each count within 5 standard deviations of its mean: a wrong distribution fails, chance (almost) never does.
  const auto near = [&](double count, double p) {
    return std::abs(count - trials * p) < 5 * std::sqrt(trials * p * (1 - p));
  };
  CHECK(near(flipped, 0.3));
  CHECK(erased > trials * 0.9);  // p = 1 erases (almost) always: a region up to a third of the image
  for (int c : top_counts) CHECK(near(c, 0.2));
  CHECK(std::abs(angle_sum / trials - 10.0) < 5 * 40 / std::sqrt(12.0 * trials));
  CHECK(angle_min >= -10);
  CHECK(angle_max < 30);
}
