// ONNX export: Nabla's four example models traced, written, checked by ONNX's checker and imported back.
#include <filesystem>

#include <nabla/nn/onnx.hpp>

#include "dcgan/gan.hpp"
#include "helpers.hpp"
#include "mnist/net.hpp"
#include "mobilenet/net.hpp"
#include "text_classifier/model.hpp"

using namespace nabla;
using test::relative_difference;

namespace {

// Exports `model` traced on x, checks ONNX's checker passed (export_model runs it) and that the file, imported back,
// gives the model's outputs within 1e-5; returns the imported model.
template <class M>
onnx::Model round_trip(M& model, const Tensor& x, const std::string& name, const onnx::ExportOptions& options = {}) {
  const std::string path = test::temp_path(name + ".onnx");
  onnx::export_model(model, x, path, options);
  onnx::Model imported = onnx::load(path);
  std::filesystem::remove(path);
  model.eval();
  NoGradGuard no_grad;
  CHECK(relative_difference(imported(x), model(x)) < 1e-5);
  return imported;
}

std::map<std::string, int64_t> torch_op_counts(const std::string& twin) { return test::torch_twin(twin).op_counts(); }

}  // namespace

TEST_CASE("the four example models export, pass ONNX's checker and import back with the same outputs") {
  manual_seed(0);
  Net mnist;
  const onnx::Model mnist_back = round_trip(mnist, randn({4, 1, 28, 28}), "mnist");
  // The operators torch.onnx.export writes for the twin, one for one.
  CHECK(mnist_back.op_counts() == torch_op_counts("mnist"));
  CHECK(mnist_back.state_dict().keys() == mnist.state_dict().keys());

  nn::Sequential mobilenet = mobilenet::make_model();
  mobilenet.apply([](nn::Module& m) {  // statistics worth folding
    for (const auto& [name, buffer] : m.named_buffers(false))
      if (name == "running_var") Tensor(buffer).uniform_(0.5, 2.0);
  });
  const onnx::Model mobilenet_back = round_trip(mobilenet, randn({4, 1, 28, 28}), "mobilenet");
  CHECK(mobilenet_back.op_counts() == torch_op_counts("mobilenet"));

  nn::Sequential generator = dcgan::make_generator();
  round_trip(generator, randn({4, 64, 1, 1}), "dcgan");

  text_classifier::TextCNN text({.vocab_size = 50, .kernel_sizes = {3, 5}});
  Tensor ids = randint(0, 50, {4, 12});
  ids.narrow(0, 3, 1).zero_();  // a row of padding only
  round_trip(text, ids, "text");
}

namespace {

// A module exported and imported back: the same outputs and the same parameter gradients for a random weighting of
// the outputs.
template <class M>
void check_family(const std::string& what, M model, const Tensor& x) {
  CAPTURE(what);
  onnx::Model imported = round_trip(model, x, "family");
  if (model.parameters().empty()) return;
  const Tensor weights = randn(model(x).shape());
  sum(model(x) * weights).backward();
  sum(imported(x) * weights).backward();
  const StateDict mine = model.named_parameters(), theirs = imported.named_parameters();
  for (const auto& [name, p] : theirs) {
    CAPTURE(name);
    const Tensor* original = mine.find(name);
    if (!original) {  // a conv's weight with its BatchNorm folded in: no twin to compare with
      CHECK(name.find("_bn_folded") != std::string::npos);
      continue;
    }
    REQUIRE(p.grad().defined());
    CHECK(relative_difference(p.grad(), original->grad()) < 1e-4);
  }
}

// nn::Sequential of the given modules.
template <class... Ms>
nn::Sequential seq(Ms... modules) {
  return nn::Sequential(std::move(modules)...);
}

// cat and add between two branches, as a hand-written forward writes them.
struct TwoBranches : nn::Layer<TwoBranches> {
  nn::Conv2d a{{.in_channels = 3, .out_channels = 4, .kernel_size = 3, .padding = 1}};
  nn::Conv2d b{{.in_channels = 3, .out_channels = 4, .kernel_size = 1}};
  TwoBranches() {
    register_module("a", a);
    register_module("b", b);
  }
  Tensor forward(const Tensor& x) {
    const Tensor left = a(x), right = b(x);
    return cat({left + right, left * right, left - 2.0 * right}, 1).reshape({x.size(0), -1}).softmax(1);
  }
};

}  // namespace

TEST_CASE("every layer family round-trips through ONNX with the same outputs and gradients") {
  manual_seed(4);
  const Tensor x1 = randn({2, 4, 9}), x2 = randn({2, 4, 8, 8}), x3 = randn({2, 4, 5, 6, 6});
  check_family("conv1d same",
               seq(nn::Conv1d({.in_channels = 4, .out_channels = 6, .kernel_size = 3, .padding = "same"})), x1);
  check_family("conv1d same, even kernel (asymmetric pads)",
               seq(nn::Conv1d({.in_channels = 4, .out_channels = 6, .kernel_size = 4, .padding = "same"})), x1);
  check_family("conv2d grouped, dilated, strided",
               seq(nn::Conv2d({.in_channels = 4,
                               .out_channels = 6,
                               .kernel_size = 3,
                               .stride = 2,
                               .padding = 2,
                               .dilation = 2,
                               .groups = 2})),
               x2);
  check_family(
      "depthwise conv2d + ReLU (fused, exported as its parts)",
      seq(nn::Conv2d({.in_channels = 4, .out_channels = 8, .kernel_size = 3, .padding = 1, .groups = 4}), nn::ReLU()),
      x2);
  check_family(
      "conv2d reflect padding",
      seq(nn::Conv2d({.in_channels = 4, .out_channels = 3, .kernel_size = 3, .padding = 1, .padding_mode = "reflect"})),
      x2);
  check_family("conv2d replicate padding",
               seq(nn::Conv2d(
                   {.in_channels = 4, .out_channels = 3, .kernel_size = 3, .padding = 1, .padding_mode = "replicate"})),
               x2);
  check_family("conv3d", seq(nn::Conv3d({.in_channels = 4, .out_channels = 2, .kernel_size = 3, .padding = 1})), x3);
  check_family(
      "conv_transpose1d",
      seq(nn::ConvTranspose1d(
          {.in_channels = 4, .out_channels = 3, .kernel_size = 3, .stride = 2, .padding = 1, .output_padding = 1})),
      x1);
  check_family("conv_transpose2d grouped",
               seq(nn::ConvTranspose2d(
                   {.in_channels = 4, .out_channels = 6, .kernel_size = 4, .stride = 2, .padding = 1, .groups = 2})),
               x2);
  check_family("conv_transpose3d",
               seq(nn::ConvTranspose3d({.in_channels = 4, .out_channels = 2, .kernel_size = 2, .stride = 2})), x3);
  check_family("conv + BatchNorm folded, + ReLU",
               seq(nn::Conv2d({.in_channels = 4, .out_channels = 5, .kernel_size = 3, .bias = false}),
                   nn::BatchNorm2d({.num_features = 5}), nn::ReLU()),
               x2);
  {  // kept in the file (fold_batch_norm = false): the import folds it itself for inference, trains it as a norm
    nn::Sequential block(nn::Conv2d({.in_channels = 4, .out_channels = 5, .kernel_size = 3, .bias = false}),
                         nn::BatchNorm2d({.num_features = 5}), nn::ReLU());
    block.apply([](nn::Module& m) {
      for (const auto& [name, buffer] : m.named_buffers(false))
        if (name == "running_var") Tensor(buffer).uniform_(0.5, 2.0);
    });
    onnx::Model imported = round_trip(block, x2, "conv_bn_kept", {.fold_batch_norm = false});
    CHECK(imported.op_counts(true) == std::map<std::string, int64_t>{{"Conv+BatchNormalization+Relu", 1}});
    imported.train();
    block.train();
    CHECK(relative_difference(imported(x2), block(x2)) < 1e-5);  // batch statistics
  }
  check_family("pools",
               seq(nn::MaxPool2d({.kernel_size = 3, .stride = 2, .padding = 1, .ceil_mode = true}),
                   nn::AvgPool2d({.kernel_size = 2, .padding = 1, .count_include_pad = false})),
               x2);
  check_family("pool1d/3d", seq(nn::AvgPool1d({.kernel_size = 3, .stride = 2})), x1);
  check_family("maxpool3d dilated", seq(nn::MaxPool3d({.kernel_size = 2, .dilation = 2})), x3);
  check_family("adaptive pools",
               seq(nn::AdaptiveAvgPool2d({.output_size = 4}), nn::AdaptiveMaxPool2d({.output_size = 2}),
                   nn::AdaptiveAvgPool2d({.output_size = 1}), nn::Flatten()),
               x2);
  check_family(
      "norms",
      seq(nn::BatchNorm2d({.num_features = 4}), nn::GroupNorm({.num_groups = 2, .num_channels = 4}),
          nn::InstanceNorm2d({.num_features = 4, .affine = true}), nn::LayerNorm({.normalized_shape = {8, 8}})),
      x2);
  check_family("batchnorm1d + linear 3-D",
               seq(nn::BatchNorm1d({.num_features = 4}), nn::Linear({.in_features = 9, .out_features = 5})), x1);
  check_family("activations",
               seq(nn::LeakyReLU({.negative_slope = 0.2}), nn::ELU({.alpha = 0.5}),
                   nn::Hardtanh({.min_val = -2, .max_val = 2}), nn::SELU(), nn::CELU({.alpha = 1.5}), nn::GELU(),
                   nn::SiLU(), nn::Mish(), nn::Hardswish(), nn::PReLU({.num_parameters = 4}), nn::Softplus({.beta = 2}),
                   nn::Softsign(), nn::GELU({.approximate = "tanh"}), nn::Hardsigmoid(), nn::LogSigmoid(),
                   nn::Sigmoid(), nn::Tanh(), nn::ReLU6(), nn::LogSoftmax({.dim = 1})),
               x2);
  check_family("linear, dropout, softmax",
               seq(nn::Flatten(), nn::Dropout({.p = 0.3}), nn::Linear({.in_features = 256, .out_features = 7}),
                   nn::Softmax({.dim = 1})),
               x2);
  check_family("upsampling and pixel shuffles",
               seq(nn::Upsample({.scale_factor = {2.0}, .mode = "nearest"}),
                   nn::Upsample({.scale_factor = {0.5}, .mode = "bilinear", .align_corners = true}),
                   nn::Upsample({.size = {12, 12}, .mode = "bilinear"}), nn::PixelUnshuffle({.downscale_factor = 2}),
                   nn::PixelShuffle({.upscale_factor = 2})),
               x2);
  check_family("padding layers",
               seq(nn::ZeroPad2d({.padding = {1, 2, 0, 3}}), nn::ReflectionPad2d({.padding = 2}),
                   nn::ReplicationPad2d({.padding = 1})),
               x2);
  check_family("cat, add, mul, sub, reshape", TwoBranches(), randn({2, 3, 6, 6}));
  const Tensor ids = randint(0, 10, {3, 5});
  nn::Embedding embedding({.num_embeddings = 10, .embedding_dim = 4});
  onnx::Model imported = round_trip(embedding, ids, "embedding");
  CHECK(imported.op_counts() == std::map<std::string, int64_t>{{"Gather", 1}});
}

TEST_CASE("what ONNX cannot express is an error naming it, and leaves no file") {
  const std::string path = test::temp_path("refused.onnx");
  nn::Sequential circular(
      nn::Conv2d({.in_channels = 1, .out_channels = 1, .kernel_size = 3, .padding = 1, .padding_mode = "circular"}));
  CHECK_THROWS_WITH_AS(onnx::export_model(circular, randn({1, 1, 5, 5}), path),
                       doctest::Contains("onnx::export_model: pad in circular mode cannot be expressed in ONNX"),
                       Error);
  nn::Sequential adaptive(nn::AdaptiveAvgPool2d({.output_size = 3}));
  CHECK_THROWS_WITH_AS(onnx::export_model(adaptive, randn({1, 1, 5, 5}), path),
                       doctest::Contains("adaptive_pool to [3, 3] from [1, 1, 5, 5] cannot be expressed"), Error);
  CHECK(!std::filesystem::exists(path));
}
