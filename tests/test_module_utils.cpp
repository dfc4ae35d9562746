// Module utilities PyTorch users reach for: named_modules, parameter counting, freezing, ModuleList/ModuleDict,
// buffers kept out of optimizers, and fuse_conv_bn_eval.
#include <doctest/doctest.h>

#include <nabla/nabla.hpp>

#include "helpers.hpp"

using namespace nabla;
using namespace nabla::test;

namespace {

struct Block : nn::Layer<Block> {
  nn::Conv2d conv{{.in_channels = 3, .out_channels = 8, .kernel_size = 3, .bias = false}};
  nn::BatchNorm2d bn{{.num_features = 8}};
  Block() {
    register_module("conv", conv);
    register_module("bn", bn);
  }
  Tensor forward(const Tensor& x) { return nn::functional::relu(bn(conv(x))); }
};

struct Net : nn::Layer<Net> {
  Block block;
  nn::ModuleList heads{nn::Linear({.in_features = 8, .out_features = 2}),
                       nn::Linear({.in_features = 8, .out_features = 3})};
  Net() {
    register_module("block", block);
    register_module("heads", heads);
  }
};

}  // namespace

TEST_CASE("named_modules walks the tree under dotted names, as PyTorch's") {
  Net net;
  CHECK(net.named_modules().keys() ==
        std::vector<std::string>{"", "block", "block.conv", "block.bn", "heads", "heads.0", "heads.1"});
  CHECK(net.named_modules("", false).size() == 6);
  CHECK(net.modules().size() == 7);
  CHECK(net.named_modules()["block.bn"]->name() == "BatchNorm2d");
  CHECK(net.state_dict().keys() == std::vector<std::string>{"block.conv.weight", "block.bn.weight", "block.bn.bias",
                                                            "block.bn.running_mean", "block.bn.running_var",
                                                            "block.bn.num_batches_tracked", "heads.0.weight",
                                                            "heads.0.bias", "heads.1.weight", "heads.1.bias"});
}

TEST_CASE("parameters are counted, frozen and unfrozen; buffers are never parameters") {
  Net net;
  const int64_t conv = 8 * 3 * 3 * 3, bn = 16, heads = (8 * 2 + 2) + (8 * 3 + 3);
  CHECK(net.num_parameters() == conv + bn + heads);
  net.block.requires_grad_(false);
  CHECK(net.num_parameters(true) == heads);
  CHECK_FALSE(net.block.conv.weight.requires_grad());
  net.requires_grad_();
  CHECK(net.num_parameters(true) == conv + bn + heads);
  for (const auto& [name, buffer] : net.named_buffers()) CHECK_FALSE(buffer.requires_grad());
  CHECK(net.parameters().size() == 7);  // conv weight, bn weight and bias, two heads' weights and biases
}

TEST_CASE("ModuleList and ModuleDict hold modules as children, printed as PyTorch's") {
  nn::ModuleList list(nn::Linear({.in_features = 2, .out_features = 3}), nn::ReLU());
  list.push_back(nn::Linear({.in_features = 3, .out_features = 1}));
  CHECK(list.size() == 3);
  CHECK(list.at<nn::Linear>(2)->options.out_features == 1);
  CHECK(nn::to_string(list) ==
        "ModuleList(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n"
        "  (2): Linear(in_features=3, out_features=1, bias=True)\n)");
  Tensor x = randn({4, 2});
  for (const auto& module : list) CHECK(module != nullptr);
  x = list.at<nn::Linear>(0)->forward(x);
  CHECK(x.shape() == Shape{4, 3});
  CHECK_THROWS_WITH_AS(list.at<nn::Linear>(1), "ModuleList::at: module 1 is a ReLU", Error);
  CHECK_THROWS_WITH_AS(list.at(7), doctest::Contains("index 7 is out of range (size 3)"), Error);

  nn::ModuleDict heads;
  heads.insert("cls", nn::Linear({.in_features = 4, .out_features = 10}));
  heads.insert("box", nn::Linear({.in_features = 4, .out_features = 4}));
  CHECK(heads.keys() == std::vector<std::string>{"cls", "box"});
  CHECK(heads.contains("box"));
  CHECK(heads.at<nn::Linear>("cls")->forward(randn({2, 4})).shape() == Shape{2, 10});
  CHECK(heads.state_dict().keys() == std::vector<std::string>{"cls.weight", "cls.bias", "box.weight", "box.bias"});
  CHECK_THROWS_WITH_AS(heads.at("seg"), "ModuleDict: no module under 'seg'", Error);
  list.eval();
  CHECK_FALSE(list.at(0)->is_training());
}

TEST_CASE("fuse_conv_bn_eval gives one conv equal to conv then BatchNorm in eval") {
  manual_seed(12);
  Block block;
  for (int i = 0; i < 3; ++i) block(randn({4, 3, 9, 9}) * 2 + 1);  // running statistics away from 0 and 1
  {
    NoGradGuard no_grad;
    block.bn.weight.copy_(randn({8}));
    block.bn.bias.copy_(randn({8}));
  }
  block.eval();
  const Tensor x = randn({2, 3, 9, 9});
  const auto rng = get_rng_state();
  nn::Conv2d fused = nn::utils::fuse_conv_bn_eval(block.conv, block.bn);
  CHECK(get_rng_state().engine == rng.engine);
  check_close(fused(x), block.bn(block.conv(x)), 1e-4, 1e-4);
  CHECK(fused.bias.defined());
  block.train();
  CHECK_THROWS_WITH_AS(nn::utils::fuse_conv_bn_eval(block.conv, block.bn), doctest::Contains("Fusion only for eval"),
                       Error);
}
