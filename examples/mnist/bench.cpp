// The MNIST network's speed, printed as the reference scripts print it ("M," lines), so that
// tools/bench/mnist.py can run it side by side with mnist_reference.py and the raw-oneDNN ceiling.
//   mnist_bench --threads 2 --what train,infer,small [--bf16] [--int8]
#include <CLI/CLI.hpp>
#include <nabla/nabla.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>

#include "common/quantize.hpp"
#include "common/timing.hpp"
#include "mnist/net.hpp"

using namespace nabla;
using examples::median;
using examples::stats;

namespace {

using Clock = std::chrono::steady_clock;

bool winograd = false, bf16 = false, int8 = false;

struct Trainer {
  Net model{winograd};
  optim::Adam optimizer{model.parameters(), {.lr = 1e-3}};
  void step(const Tensor& x, const Tensor& y) {
    optimizer.zero_grad();
    Tensor loss;
    {
      AutocastGuard autocast(kBFloat16, bf16);
      loss = F::nll_loss(model(x), y);
    }
    loss.backward();
    optimizer.step();
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"MNIST network speed, in mnist_reference.py's output format."};
  int threads = 2, warmup = 15, chunks = 7, chunk_steps = 25, infer_rounds = 2;
  std::string what = "train,infer,small", data_dir = "/usr/share/datasets/fashion-mnist";
  app.add_option("--threads", threads);
  app.add_option("--what", what);
  app.add_option("--data", data_dir);
  app.add_option("--warmup", warmup);
  app.add_option("--chunks", chunks);
  app.add_option("--chunk-steps", chunk_steps);
  app.add_option("--infer-rounds", infer_rounds);
  app.add_flag("--winograd", winograd, "conv2 on oneDNN's Winograd algorithm");
  app.add_flag("--bf16", bf16, "bfloat16 autocast (where it pays on this CPU)");
  app.add_flag("--int8", int8, "inference quantized to int8 (calibrated on 1,000 training images)");
  CLI11_PARSE(app, argc, argv);
  set_num_threads(threads);
  const data::Mnist train = data::load_mnist(data_dir, {.train = true});
  const data::Mnist test = data::load_mnist(data_dir, {.train = false});
  std::printf("# nabla threads=%d\n", get_num_threads());

  std::stringstream parts(what);
  for (std::string part; std::getline(parts, part, ',');) {
    manual_seed(1);
    if (part == "train") {
      Trainer t;
      data::DataLoader loader(train.images, train.labels, {.batch_size = 64, .shuffle = true, .drop_last = true});
      auto order = loader.order(0);
      int64_t next = 0, epoch = 0;
      const auto batch = [&] {
        if (next == loader.num_batches()) order = loader.order(++epoch), next = 0;
        return loader.batch(order, next++);
      };
      for (int i = 0; i < warmup; ++i) {
        const auto [x, y] = batch();
        t.step(x, y);
      }
      std::vector<double> rates;
      for (int c = 0; c < chunks; ++c) {
        const auto start = Clock::now();
        for (int i = 0; i < chunk_steps; ++i) {
          const auto [x, y] = batch();
          t.step(x, y);
        }
        rates.push_back(chunk_steps * 64 / std::chrono::duration<double>(Clock::now() - start).count());
      }
      std::printf("M,train_imgs_per_s,threads=%d,batch=64,%s,chunk_steps=%d\n", threads, stats(rates).c_str(),
                  chunk_steps);
    } else if (part == "infer") {
      Net model(winograd);
      model.eval();
      if (int8) {
        quantization::prepare(model);
        examples::calibrate(model, train.images, 1000, 1000);
        quantization::convert(model);
      }
      NoGradGuard no_grad;
      AutocastGuard autocast(kBFloat16, bf16);
      for (int64_t i = 0; i < 2000; i += 1000) model(test.images.narrow(0, i, 1000));
      std::vector<double> rates;
      for (int r = 0; r < infer_rounds; ++r)
        for (int64_t i = 0; i < test.size(); i += 1000) {
          const auto start = Clock::now();
          model(test.images.narrow(0, i, 1000));
          rates.push_back(1000 / std::chrono::duration<double>(Clock::now() - start).count());
        }
      std::printf("M,infer_imgs_per_s,threads=%d,batch=1000,%s\n", threads, stats(rates).c_str());
    } else if (part == "small") {
      for (int64_t bs : {1, 8, 64}) {
        Trainer t;
        const Tensor x = train.images.narrow(0, 0, bs).clone(), y = train.labels.narrow(0, 0, bs).clone();
        for (int i = 0; i < 20; ++i) t.step(x, y);
        const int steps = bs < 64 ? 200 : 30;
        std::vector<double> per;
        for (int r = 0; r < 5; ++r) {
          const auto start = Clock::now();
          for (int i = 0; i < steps; ++i) t.step(x, y);
          per.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count() / steps);
        }
        std::printf("M,step_ms,threads=%d,batch=%lld,%s,imgs_per_s_med=%.1f\n", threads, static_cast<long long>(bs),
                    stats(per).c_str(), bs / median(per) * 1e3);
      }
    } else {
      std::fprintf(stderr, "unknown --what %s\n", part.c_str());
      return 2;
    }
    std::fflush(stdout);
  }
}
