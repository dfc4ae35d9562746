// conv forward+backward timing (input and weight gradients); tools/bench/conv.py runs it
// alternately with PyTorch. Usage: bench_conv N C_in C_out S1[,S2[,S3]] K PAD ITERS
#include <nabla/nabla.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>

int main(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: bench_conv N C_in C_out S1[,S2[,S3]] K PAD ITERS\n");
    return 2;
  }
  const int64_t n = std::atoll(argv[1]), cin = std::atoll(argv[2]), cout = std::atoll(argv[3]);
  nabla::Shape spatial;
  std::stringstream sizes(argv[4]);
  for (std::string s; std::getline(sizes, s, ',');) spatial.push_back(std::stoll(s));
  const int64_t k = std::atoll(argv[5]), pad = std::atoll(argv[6]);
  const int iters = std::atoi(argv[7]);
  nabla::Shape input{n, cin};
  input.insert(input.end(), spatial.begin(), spatial.end());
  nabla::Shape kernel(spatial.size(), k);
  nabla::manual_seed(0);
  auto x = nabla::randn(input).requires_grad_();
  auto weight = nabla::randn([&] {
                  nabla::Shape w{cout, cin};
                  w.insert(w.end(), kernel.begin(), kernel.end());
                  return w;
                }())
                    .requires_grad_();
  auto bias = nabla::randn({cout}).requires_grad_();
  nabla::ConvParams params;
  params.stride = params.dilation = nabla::Shape(spatial.size(), 1);
  params.padding = nabla::Shape(spatial.size(), pad);
  const auto step = [&] {
    auto y = nabla::convolution(x, weight, bias, params, static_cast<int64_t>(spatial.size()), "bench");
    y.backward(nabla::ones_like(y));
    x.set_grad({});
    weight.set_grad({});
    bias.set_grad({});
  };
  for (int i = 0; i < 5; ++i) step();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) step();
  std::printf("%.4f\n",
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / iters);
}
