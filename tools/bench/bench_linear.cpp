// linear forward+backward timing; tools/bench/linear.py runs it alternately with PyTorch.
#include <nabla/nabla.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  const int64_t batch = argc > 1 ? std::atoll(argv[1]) : 64, in = argc > 2 ? std::atoll(argv[2]) : 9216,
                out = argc > 3 ? std::atoll(argv[3]) : 128;
  const int iters = argc > 4 ? std::atoi(argv[4]) : 200;
  nabla::manual_seed(0);
  nabla::nn::Linear layer({.in_features = in, .out_features = out});
  const auto x = nabla::randn({batch, in}).requires_grad_();
  const auto step = [&] {
    layer(x).sum().backward();
    layer.zero_grad();
  };
  for (int i = 0; i < 20; ++i) step();  // warm-up: primitives built, allocator cache filled
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) step();
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / iters;
  std::printf("%.4f\n", ms);
}
