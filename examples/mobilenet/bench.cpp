// The MobileNet example's speed, printed as mobilenet_reference.py prints it ("M," lines), so that
// tools/bench/mobilenet.py can run the two side by side: training images/s at batch 128 (Adam + cosine
// schedule, as the example trains) and inference images/s at batch 1000 (BatchNorm folded into the convs).
//   mobilenet_bench --threads 2 --what train,infer [--bf16] [--int8]
#include <CLI/CLI.hpp>
#include <nabla/nabla.hpp>

#include <cstdio>
#include <sstream>

#include "common/quantize.hpp"
#include "common/timing.hpp"
#include "mobilenet/net.hpp"

using namespace nabla;
namespace F = nabla::nn::functional;

namespace {

constexpr int64_t kBatch = 128;
bool bf16 = false, int8 = false;  // bfloat16 autocast; int8 inference

void train(const data::Mnist& data, int threads) {
  nn::Sequential model = mobilenet::make_model();
  optim::Adam optimizer(model.parameters(), {.lr = 2e-3});
  optim::lr_scheduler::CosineAnnealingLR schedule(optimizer, 1000000);
  data::DataLoader loader(data.images, data.labels, {.batch_size = kBatch, .shuffle = true, .seed = 0});
  const auto order = loader.order(0);
  int64_t next = 0;
  const auto step = [&] {
    const auto [x, y] = loader.batch(order, next++);
    optimizer.zero_grad();
    Tensor loss;
    {
      AutocastGuard autocast(kBFloat16, bf16);
      loss = F::cross_entropy(model(x), y);
    }
    loss.backward();
    optimizer.step();
    schedule.step();
  };
  const std::vector<double> rates = examples::chunk_rates(step, 5, 7, 10, kBatch);  // as the twin
  std::printf("M,train_imgs_per_s,threads=%d,batch=%lld,%s\n", threads, static_cast<long long>(kBatch),
              examples::stats(rates).c_str());
}

void infer(const data::Mnist& test, int threads) {
  nn::Sequential model = mobilenet::make_model();
  model.eval();
  nn::Sequential folded = mobilenet::fold_batchnorm(model);
  if (int8) {  // calibrated on 1,000 test images: this measures speed only
    quantization::prepare(folded);
    examples::calibrate(folded, test.images, 1000, 1000);
    quantization::convert(folded);
  }
  NoGradGuard no_grad;
  AutocastGuard autocast(kBFloat16, bf16);
  int64_t next = 0;  // the warm-up on the first 1000 images, then one timed batch per 1000 of the 10,000
  const auto step = [&] { folded(test.images.narrow(0, (next++ % 10) * 1000, 1000)); };
  const std::vector<double> rates = examples::chunk_rates(step, 1, 10, 1, 1000);
  std::printf("M,infer_imgs_per_s,threads=%d,batch=1000,%s\n", threads, examples::stats(rates).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"MobileNet speed, in mobilenet_reference.py's output format."};
  int threads = 2;
  uint64_t seed = 1;
  std::string what = "train,infer", data_dir = "/usr/share/datasets/fashion-mnist";
  app.add_option("--threads", threads);
  app.add_option("--what", what);
  app.add_option("--data", data_dir);
  app.add_option("--seed", seed);
  app.add_flag("--bf16", bf16, "bfloat16 autocast (where it pays on this CPU)");
  app.add_flag("--int8", int8, "inference quantized to int8");
  CLI11_PARSE(app, argc, argv);
  set_num_threads(threads);
  std::printf("# nabla threads=%d\n", get_num_threads());
  std::stringstream parts(what);
  for (std::string part; std::getline(parts, part, ',');) {
    manual_seed(seed);
    if (part == "train") {
      train(data::load_mnist(data_dir, {.train = true}), threads);
    } else if (part == "infer") {
      infer(data::load_mnist(data_dir, {.train = false}), threads);
    } else {
      std::fprintf(stderr, "unknown --what %s\n", part.c_str());
      return 2;
    }
    std::fflush(stdout);
  }
}
