// The depthwise-separable block: its cost against a dense conv, its equivalence with the two convs
// it is made of, its state_dict keys and options.
#include "helpers.hpp"

using namespace nabla;
namespace F = nabla::nn::functional;

namespace {

int64_t count_parameters(const nn::Module& m) {
  int64_t n = 0;
  for (const Tensor& p : m.parameters()) n += p.numel();
  return n;
}

// Multiply-adds of a conv: one per weight element a filter applies, per output position.
int64_t multiply_adds(const nn::Conv2d& conv, const Shape& output) {
  return conv.weight.numel() * output[2] * output[3];
}

}  // namespace

TEST_CASE("the separable block costs a fraction of the dense conv (Chi-Feng Wang's 12x12x3 -> 8x8x256, k=5 example)") {
  // The seed's reference example: a 5x5 conv from 3 to 256 channels on a 12x12 image, no bias.
  nn::Conv2d dense({.in_channels = 3, .out_channels = 256, .kernel_size = 5, .bias = false});
  nn::DepthwiseSeparableConv2d separable({.in_channels = 3, .out_channels = 256, .kernel_size = 5, .bias = false});
  const Tensor x = randn({1, 3, 12, 12});
  const Tensor y = dense(x);
  CHECK(y.shape() == Shape{1, 256, 8, 8});
  CHECK(separable(x).shape() == y.shape());
  CHECK(count_parameters(dense) == 19200);              // 256 * 3 * 5 * 5
  CHECK(count_parameters(separable) == 75 + 768);        // 3 * 5 * 5 + 256 * 3
  CHECK(multiply_adds(dense, y.shape()) == 1228800);    // 256 * 3 * 5 * 5 * 8 * 8
  const int64_t separable_macs =
      multiply_adds(separable.depthwise, y.shape()) + multiply_adds(separable.pointwise, y.shape());
  CHECK(separable_macs == 4800 + 49152);                 // (75 + 768) * 8 * 8: about 23x fewer
  // With bias, and Päpper's 10 -> 32 channels, k=3: 2912 parameters against 10·9 + 10 + 10·32 + 32.
  nn::Conv2d dense_b({.in_channels = 10, .out_channels = 32, .kernel_size = 3});
  nn::DepthwiseSeparableConv2d separable_b({.in_channels = 10, .out_channels = 32, .kernel_size = 3});
  CHECK(count_parameters(dense_b) == 2912);
  CHECK(count_parameters(separable_b) == 90 + 10 + 320 + 32);
}

TEST_CASE("the separable block equals its depthwise conv followed by its pointwise conv") {
  manual_seed(80);
  nn::DepthwiseSeparableConv1d block({.in_channels = 4, .out_channels = 6, .kernel_size = 3, .stride = 2, .padding = 1,
                                      .dilation = 2, .depth_multiplier = 2});
  const Tensor x = randn({2, 4, 15});
  const Tensor by_hand = F::conv1d(F::conv1d(x, block.depthwise.weight, block.depthwise.bias,
                                             {.stride = 2, .padding = 1, .dilation = 2, .groups = 4}),
                                   block.pointwise.weight, block.pointwise.bias);
  test::check_close(block(x), by_hand, 1e-5, 1e-5);
  CHECK(block.depthwise.weight.shape() == Shape{8, 1, 3});
  CHECK(block.pointwise.weight.shape() == Shape{6, 8, 1});
  test::gradcheck([&](const auto& in) { return block(in[0]); }, {randn({1, 4, 9})});
}

TEST_CASE("the separable block has the usual PyTorch state_dict keys and repr, and takes 'same' and padding modes") {
  nn::DepthwiseSeparableConv3d block({.in_channels = 2, .out_channels = 3, .kernel_size = 3, .padding = "same",
                                      .padding_mode = "reflect"});
  CHECK(block.state_dict().keys() ==
        std::vector<std::string>{"depthwise.weight", "depthwise.bias", "pointwise.weight", "pointwise.bias"});
  CHECK(to_string(block) ==
        "DepthwiseSeparableConv3d(\n"
        "  (depthwise): Conv3d(2, 2, kernel_size=(3, 3, 3), stride=(1, 1, 1), padding=same, groups=2, "
        "padding_mode=reflect)\n"
        "  (pointwise): Conv3d(2, 3, kernel_size=(1, 1, 1), stride=(1, 1, 1))\n"
        ")");
  CHECK(block(randn({2, 4, 5, 6})).shape() == Shape{3, 4, 5, 6});  // unbatched, 'same'
  CHECK_THROWS_WITH_AS(
      nn::DepthwiseSeparableConv2d({.in_channels = 2, .out_channels = 3, .kernel_size = 3, .depth_multiplier = 0}),
      doctest::Contains("depth_multiplier must be positive"), Error);
}
