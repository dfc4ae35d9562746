// BatchNorm2d (32x64x56x56, training) and LayerNorm (64x128x768) forward+backward, as tools/bench/norm.py times
// them side by side with PyTorch. Prints milliseconds per forward+backward.
// Usage: bench_norm batch_norm|batch_norm_net|layer_norm ITERS
//   batch_norm:     plain input and output gradient, written afresh before every step (as PyTorch runs it,
//                   which norm.py's PyTorch child also does): any reorder Nabla needs is timed.
//   batch_norm_net: as inside a Nabla network: input and gradient in the layout a conv leaves them (blocked).
#include <nabla/nabla.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace nabla;
namespace F = nabla::nn::functional;

namespace {
// relu(conv1x1(r)): a tensor of `shape` in the layout oneDNN's conv chose for it, outside the graph.
Tensor from_a_conv(const Shape& shape) {
  NoGradGuard no_grad;
  return F::relu(F::conv2d(randn(shape), randn({shape[1], shape[1], 1, 1}) * 0.1));
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: bench_norm batch_norm|batch_norm_net|layer_norm ITERS\n");
    return 2;
  }
  const std::string which = argv[1];
  const int iters = std::atoi(argv[2]);
  manual_seed(0);
  nn::BatchNorm2d bn({.num_features = 64});
  nn::LayerNorm ln({.normalized_shape = 768});
  const bool layer = which == "layer_norm", net = which == "batch_norm_net";
  const Shape shape = layer ? Shape{64, 128, 768} : Shape{32, 64, 56, 56};
  Tensor x = net ? from_a_conv(shape).requires_grad_() : randn(shape).requires_grad_();
  Tensor g = net ? from_a_conv(shape) : randn(shape);
  const Tensor x_source = randn(shape), g_source = randn(shape);
  const auto step = [&] {
    if (!net) {  // new values, as every training step brings
      NoGradGuard no_grad;
      x.copy_(x_source);
      g.copy_(g_source);
    }
    x.set_grad({});
    (layer ? ln(x) : bn(x)).backward(g);
  };
  for (int i = 0; i < 3; ++i) step();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) step();
  const std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
  std::printf("%.4f\n", elapsed.count() / iters);
  return 0;
}
