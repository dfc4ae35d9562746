// Each conv layer of tools/bench/layers.py (../shared/reference/layers/torch_layers.py's shapes; not the transposed
// one, which has no int8 kernel), forward only, in float32 and in int8, as inside an inference network: the input
// comes from a preceding conv of its own kind (so it arrives in the layout that conv chose, float32 or uint8), the
// int8 weight per output channel. Both run in one process, alternately, round after round; prints milliseconds per
// forward and the median of the per-round speedups.
// Usage: bench_int8_layers [ITERS] [ROUNDS]
#include <nabla/nabla.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

using namespace nabla;

namespace {

struct Spec {
  std::string name;
  Shape x, w;
  int64_t padding, groups;
};

const std::vector<Spec> kLayers{
    {"conv1d", {64, 64, 128}, {128, 64, 5}, 2, 1},
    {"conv2d_A", {64, 1, 28, 28}, {32, 1, 3, 3}, 0, 1},
    {"conv2d_B", {64, 32, 26, 26}, {64, 32, 3, 3}, 0, 1},
    {"conv2d_C", {32, 64, 56, 56}, {64, 64, 3, 3}, 1, 1},
    {"depthwise", {32, 64, 56, 56}, {64, 1, 3, 3}, 1, 64},
    {"pointwise", {32, 64, 56, 56}, {128, 64, 1, 1}, 0, 1},
    {"conv3d", {8, 16, 16, 32, 32}, {32, 16, 3, 3, 3}, 1, 1},
};

ConvParams params_of(int64_t dims, int64_t padding, int64_t groups) {
  ConvParams p;
  p.stride = p.dilation = Shape(static_cast<size_t>(dims), 1);
  p.padding = Shape(static_cast<size_t>(dims), padding);
  p.groups = groups;
  return p;
}

// relu(conv1x1(r)) of `shape`: values in the layout a preceding conv leaves them (quantized: an int8 conv's).
Tensor produced_by_a_conv(const Shape& shape, bool int8) {
  Shape identity{shape[1], shape[1]};
  identity.resize(shape.size(), 1);
  Tensor eye = zeros(identity);
  for (int64_t c = 0; c < shape[1]; ++c) eye.narrow(0, c, 1).narrow(1, c, 1).fill_(1.0);
  ConvParams p = params_of(static_cast<int64_t>(shape.size()) - 2, 0, 1);
  p.relu = true;
  const auto dims = static_cast<int64_t>(shape.size()) - 2;
  if (!int8) return convolution(rand(shape) - 0.5, eye, {}, p, dims, "bench");
  return quantized_convolution(quantize_per_tensor(rand(shape) - 0.5, 1.0 / 255, 128, kUInt8),
                               quantization::quantize_weight(eye), {}, p, dims, 1.0 / 255, 0, "bench");
}

double ms_per_call(const std::function<void()>& call, int iters) {
  call();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) call();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / iters;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int iters = argc > 1 ? std::atoi(argv[1]) : 20, rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  manual_seed(0);
  NoGradGuard no_grad;
  std::printf("# %d threads, %d calls per measurement, %d rounds\n", get_num_threads(), iters, rounds);
  std::printf("%-10s %12s %12s %16s\n", "layer", "f32 ms", "int8 ms", "int8 speedup");
  for (const Spec& s : kLayers) {
    const auto dims = static_cast<int64_t>(s.x.size()) - 2;
    const ConvParams p = params_of(dims, s.padding, s.groups);
    const Tensor w = rand(s.w) - 0.5, b = rand({s.w[0]}) - 0.5, wq = quantization::quantize_weight(w);
    const Tensor x = produced_by_a_conv(s.x, false), xq = produced_by_a_conv(s.x, true);
    std::vector<double> f32, int8, speedup;
    for (int r = 0; r < rounds; ++r) {
      f32.push_back(ms_per_call([&] { convolution(x, w, b, p, dims, s.name); }, iters));
      int8.push_back(ms_per_call([&] { quantized_convolution(xq, wq, b, p, dims, 0.05, 0, s.name); }, iters));
      speedup.push_back(f32.back() / int8.back());
    }
    std::printf("%-10s %12.3f %12.3f %15.2fx\n", s.name.c_str(), median(f32), median(int8), median(speedup));
  }
}
