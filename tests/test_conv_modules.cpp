// Conv modules: PyTorch's init, repr, padding modes, and the pad op they use.
#include "helpers.hpp"

using namespace nabla;
namespace F = nabla::nn::functional;

TEST_CASE("conv layers initialise exactly as PyTorch") {
  manual_seed(5);
  nn::Conv2d conv({.in_channels = 3, .out_channels = 4, .kernel_size = {3, 2}});
  test::check_close(conv.weight, test::fixture("init_conv2d_weight"), 0, 0);
  test::check_close(conv.bias, test::fixture("init_conv2d_bias"), 0, 0);
  nn::ConvTranspose1d transposed({.in_channels = 4, .out_channels = 6, .kernel_size = 3, .groups = 2});
  CHECK(transposed.weight.shape() == Shape{4, 3, 3});
  test::check_close(transposed.weight, test::fixture("init_conv_transpose1d_weight"), 0, 0);
  test::check_close(transposed.bias, test::fixture("init_conv_transpose1d_bias"), 0, 0);
}

TEST_CASE("conv layers have PyTorch's parameter names and shapes") {
  nn::Conv3d conv({.in_channels = 4, .out_channels = 8, .kernel_size = {1, 2, 3}, .groups = 2, .bias = false});
  CHECK(conv.named_parameters().keys() == std::vector<std::string>{"weight"});
  CHECK(conv.weight.shape() == Shape{8, 2, 1, 2, 3});
  nn::Sequential net(nn::Conv1d({.in_channels = 2, .out_channels = 3, .kernel_size = 3}), nn::ReLU(),
                     nn::ConvTranspose1d({.in_channels = 3, .out_channels = 2, .kernel_size = 3}));
  CHECK(net.state_dict().keys() == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  CHECK(net(randn({1, 2, 10})).shape() == Shape{1, 2, 10});  // ConvTranspose works inside Sequential
}

TEST_CASE("conv layers print PyTorch's repr, with only the non-default options") {
  const auto repr = [](const nn::Module& m) { return to_string(m); };
  CHECK(repr(nn::Conv2d({.in_channels = 1, .out_channels = 32, .kernel_size = 3})) ==
        "Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1))");
  CHECK(repr(nn::Conv2d({.in_channels = 3,
                         .out_channels = 16,
                         .kernel_size = {3, 5},
                         .stride = 2,
                         .padding = 1,
                         .dilation = 2,
                         .bias = false,
                         .padding_mode = "reflect"})) ==
        "Conv2d(3, 16, kernel_size=(3, 5), stride=(2, 2), padding=(1, 1), dilation=(2, 2), bias=False, "
        "padding_mode=reflect)");
  CHECK(repr(nn::Conv1d({.in_channels = 8, .out_channels = 8, .kernel_size = 4, .padding = "same", .groups = 4})) ==
        "Conv1d(8, 8, kernel_size=(4,), stride=(1,), padding=same, groups=4)");
  CHECK(repr(nn::Conv3d({.in_channels = 2, .out_channels = 4, .kernel_size = 3, .padding = "valid"})) ==
        "Conv3d(2, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1), padding=valid)");
  CHECK(
      repr(nn::ConvTranspose2d(
          {.in_channels = 16, .out_channels = 3, .kernel_size = 3, .stride = 2, .padding = 1, .output_padding = 1})) ==
      "ConvTranspose2d(16, 3, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1))");
  CHECK(repr(nn::ConvTranspose1d(
            {.in_channels = 4, .out_channels = 6, .kernel_size = 2, .groups = 2, .bias = false, .dilation = 2})) ==
        "ConvTranspose1d(4, 6, kernel_size=(2,), stride=(1,), dilation=(2,), groups=2, bias=False)");
}

TEST_CASE("padding_mode pads explicitly, then convolves without padding") {
  manual_seed(50);
  for (const char* mode : {"reflect", "replicate", "circular"}) {
    CAPTURE(mode);
    nn::Conv2d conv({.in_channels = 2, .out_channels = 3, .kernel_size = 3, .padding = {1, 2}, .padding_mode = mode});
    const Tensor x = randn({2, 2, 5, 6});
    const Tensor expected = F::conv2d(pad(x, {2, 2, 1, 1}, mode), conv.weight, conv.bias);
    test::check_close(conv(x), expected, 1e-5, 1e-5);
  }
}

TEST_CASE("pad matches PyTorch in every mode") {
  const Tensor x = arange(6, kFloat32).reshape({1, 2, 3});
  CHECK(pad(x, {2, 1}, "reflect").to_vector<float>() == std::vector<float>{2, 1, 0, 1, 2, 1, 5, 4, 3, 4, 5, 4});
  CHECK(pad(x, {2, 1}, "replicate").to_vector<float>() == std::vector<float>{0, 0, 0, 1, 2, 2, 3, 3, 3, 4, 5, 5});
  CHECK(pad(x, {2, 1}, "circular").to_vector<float>() == std::vector<float>{1, 2, 0, 1, 2, 0, 4, 5, 3, 4, 5, 3});
  CHECK(pad(x, {2, 1}).to_vector<float>() == std::vector<float>{0, 0, 0, 1, 2, 0, 0, 0, 3, 4, 5, 0});
  const Tensor y = arange(12, kFloat32).reshape({1, 1, 3, 4});
  CHECK(pad(y, {1, 0, 2, 1}, "reflect").to_vector<float>() == std::vector<float>{9, 8, 9, 10, 11, 5, 4, 5, 6, 7,
                                                                                 1, 0, 1, 2,  3,  5, 4, 5, 6, 7,
                                                                                 9, 8, 9, 10, 11, 5, 4, 5, 6, 7});
  CHECK(pad(y, {-1, 1, 0, -1}).to_vector<float>() == std::vector<float>{1, 2, 3, 0, 5, 6, 7, 0});
  CHECK(pad(y, {1, 1}, "constant", 7.0).to_vector<float>()[0] == 7.f);
  manual_seed(51);
  for (const char* mode : {"constant", "reflect", "replicate", "circular"})
    test::gradcheck([mode](const auto& in) { return pad(in[0], {2, 1, 1, 2}, mode); }, {randn({1, 2, 3, 4})});
}

TEST_CASE("pad enforces PyTorch's limits with its messages") {
  const Tensor x = ones({1, 2, 3});
  CHECK_THROWS_WITH_AS(pad(x, {3, 0}, "reflect"),
                       doctest::Contains("Padding size should be less than the corresponding input dimension, but got: "
                                         "padding (3, 0) at dimension 2 of input [1, 2, 3]"),
                       Error);
  CHECK_THROWS_WITH_AS(pad(x, {4, 0}, "circular"),
                       doctest::Contains("Padding value causes wrapping around more than once"), Error);
  CHECK_THROWS_WITH_AS(pad(x, {1}), doctest::Contains("Padding length must be divisible by 2"), Error);
  CHECK_THROWS_WITH_AS(pad(x, {1, 1, 1, 1, 1, 1, 1, 1}), doctest::Contains("Padding length too large"), Error);
  CHECK_THROWS_WITH_AS(pad(x, {1, 1}, "wrap"), doctest::Contains("Unrecognised padding mode 'wrap'"), Error);
  CHECK_THROWS_WITH_AS(pad(x, {-1, 0}, "reflect"),
                       doctest::Contains("negative padding is only supported in constant mode"), Error);
}
