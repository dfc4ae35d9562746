// unfold forward+backward timing (the backward is a fold); tools/bench/unfold.py runs it
// alternately with PyTorch. Usage: bench_unfold N C S1[,S2[,S3]] K PAD ITERS
#include <nabla/nabla.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: bench_unfold N C S1[,S2[,S3]] K PAD ITERS\n");
    return 2;
  }
  nabla::Shape input{std::atoll(argv[1]), std::atoll(argv[2])};
  std::stringstream sizes(argv[3]);
  for (std::string s; std::getline(sizes, s, ',');) input.push_back(std::stoll(s));
  const int64_t dims = static_cast<int64_t>(input.size()) - 2;
  const nabla::UnfoldOptions options{.kernel_size = std::vector<int64_t>(dims, std::atoll(argv[4])),
                                     .padding = std::atoll(argv[5])};
  const int iters = std::atoi(argv[6]);
  nabla::manual_seed(0);
  auto x = nabla::randn(input).requires_grad_();
  const auto step = [&] {
    auto y = nabla::unfold(x, options);
    y.backward(nabla::ones_like(y));
    x.set_grad({});
  };
  for (int i = 0; i < 3; ++i) step();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) step();
  std::printf("%.4f\n",
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / iters);
}
