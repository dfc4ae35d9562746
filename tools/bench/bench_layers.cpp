// One conv layer (or the depthwise-separable block) forward+backward as it runs inside a network; driven by
// tools/bench/layers.py side by side with raw oneDNN and PyTorch. Prints milliseconds per forward+backward.
// Usage: bench_layers LAYER ITERS [--bf16]   (LAYER: a name from ../shared/reference/layers/torch_layers.py, dsblock
// for the depthwise-separable block written with F:: calls, dsblock_fused for it as an nn::Sequential, ReLUs fused;
// --bf16: under bfloat16 autocast, the output gradient in bf16)
//
// "Inside a network": the layer's input comes from preceding ops (a ReLU of a conv of the same shape, so it
// arrives in the layout that conv chose) and its output gradient from the following op's backward (a
// ReLU backward, so it arrives in the layer's own output layout). Both are made once, before timing; the
// timed step is y = layer(x), then the backward of y with that gradient, giving x, weight and bias gradients.
#include <nabla/nabla.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <map>
#include <string>

using namespace nabla;
namespace F = nabla::nn::functional;

namespace {

struct Layer {
  Shape x, w;
  std::function<Tensor(const Tensor&, const Tensor&, const Tensor&)> run;
};

// The eight shapes of torch_layers.py, with its options.
const std::map<std::string, Layer>& layers() {
  static const std::map<std::string, Layer> table{
      {"conv1d",
       {{64, 64, 128}, {128, 64, 5}, [](auto& x, auto& w, auto& b) { return F::conv1d(x, w, b, {.padding = 2}); }}},
      {"conv2d_A", {{64, 1, 28, 28}, {32, 1, 3, 3}, [](auto& x, auto& w, auto& b) { return F::conv2d(x, w, b); }}},
      {"conv2d_B", {{64, 32, 26, 26}, {64, 32, 3, 3}, [](auto& x, auto& w, auto& b) { return F::conv2d(x, w, b); }}},
      {"conv2d_C",
       {{32, 64, 56, 56},
        {64, 64, 3, 3},
        [](auto& x, auto& w, auto& b) { return F::conv2d(x, w, b, {.padding = 1}); }}},
      {"depthwise",
       {{32, 64, 56, 56},
        {64, 1, 3, 3},
        [](auto& x, auto& w, auto& b) { return F::conv2d(x, w, b, {.padding = 1, .groups = 64}); }}},
      {"pointwise", {{32, 64, 56, 56}, {128, 64, 1, 1}, [](auto& x, auto& w, auto& b) { return F::conv2d(x, w, b); }}},
      {"conv3d",
       {{8, 16, 16, 32, 32},
        {32, 16, 3, 3, 3},
        [](auto& x, auto& w, auto& b) { return F::conv3d(x, w, b, {.padding = 1}); }}},
      {"deconv2d",
       {{32, 64, 14, 14},
        {64, 32, 4, 4},
        [](auto& x, auto& w, auto& b) { return F::conv_transpose2d(x, w, b, {.stride = 2, .padding = 1}); }}},
  };
  return table;
}

// An input of `shape` as a preceding conv and ReLU leave it in training: relu(conv1x1(r)), then a leaf.
Tensor produced_by_onednn(const Shape& shape) {
  const Tensor r = (rand(shape) - 0.5).requires_grad_();
  Shape identity{shape[1], shape[1]};
  identity.resize(shape.size(), 1);
  const Tensor eye = zeros(identity);
  for (int64_t c = 0; c < shape[1]; ++c) eye.narrow(0, c, 1).narrow(1, c, 1).fill_(1.0);  // values pass unchanged
  const Tensor y = F::relu(convolution(
      r, eye, {},
      [&] {
        ConvParams p;
        p.stride = p.dilation = Shape(shape.size() - 2, 1);
        p.padding = Shape(shape.size() - 2, 0);
        return p;
      }(),
      static_cast<int64_t>(shape.size()) - 2, "bench"));
  return y.detach().requires_grad_();
}

double ms_per_step(const std::function<void()>& step, int iters) {
  for (int i = 0; i < 3; ++i) step();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) step();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / iters;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && !(argc == 4 && std::string(argv[3]) == "--bf16")) {
    std::fprintf(stderr, "usage: bench_layers LAYER ITERS [--bf16]\n");
    return 2;
  }
  const std::string name = argv[1];
  const int iters = std::atoi(argv[2]);
  manual_seed(0);
  std::function<Tensor(const Tensor&)> forward;
  std::vector<Tensor> params;
  Shape input;
  if (name == "dsblock") {  // depthwise 3x3 -> ReLU -> pointwise 1x1 -> ReLU, 32x64x56x56, functional
    input = {32, 64, 56, 56};
    Tensor wd = (rand({64, 1, 3, 3}) - 0.5).requires_grad_(), bd = (rand({64}) - 0.5).requires_grad_();
    Tensor wp = (rand({128, 64, 1, 1}) - 0.5).requires_grad_(), bp = (rand({128}) - 0.5).requires_grad_();
    params = {wd, bd, wp, bp};
    forward = [=](const Tensor& x) {
      return F::relu(F::conv2d(F::relu(F::conv2d(x, wd, bd, {.padding = 1, .groups = 64})), wp, bp));
    };
  } else if (name == "dsblock_fused") {  // the same block as an nn::Sequential, which fuses each ReLU into its conv
    input = {32, 64, 56, 56};
    nn::Sequential block(
        nn::Conv2d({.in_channels = 64, .out_channels = 64, .kernel_size = 3, .padding = 1, .groups = 64}), nn::ReLU(),
        nn::Conv2d({.in_channels = 64, .out_channels = 128, .kernel_size = 1}), nn::ReLU());
    params = block.parameters();
    forward = [=](const Tensor& x) mutable { return block(x); };
  } else {
    const auto it = layers().find(name);
    if (it == layers().end()) {
      std::fprintf(stderr, "bench_layers: unknown layer %s\n", name.c_str());
      return 2;
    }
    const Layer& layer = it->second;
    input = layer.x;
    const int64_t bias_size = name == "deconv2d" ? layer.w[1] : layer.w[0];
    Tensor w = (rand(layer.w) - 0.5).requires_grad_(), b = (rand({bias_size}) - 0.5).requires_grad_();
    params = {w, b};
    forward = [=](const Tensor& x) { return layer.run(x, w, b); };
  }
  const Tensor x = produced_by_onednn(input);
  // --bf16: the layer under bfloat16 autocast; its float32 input (a leaf, so that it gets a gradient) cast to bf16
  // in every step, as PyTorch's torch.autocast does with layers.py's input.
  std::optional<AutocastGuard> bf16;
  if (argc == 4) bf16.emplace(kBFloat16);
  Tensor grad;
  {
    NoGradGuard no_grad;
    grad = F::relu(forward(x));  // as a ReLU backward leaves it: in the output's layout
  }
  const double ms = ms_per_step(
      [&] {
        forward(x).backward(grad);
        x.set_grad({});
        for (auto& p : params) p.set_grad({});
      },
      iters);
  std::printf("%.4f\n", ms);
}
