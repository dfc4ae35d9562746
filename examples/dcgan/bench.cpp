// The DCGAN's speed, printed as dcgan_reference.py prints it ("M," lines), so that tools/bench/dcgan.py can run
// the two side by side: GAN steps (D + G) per second at batch 128, the median over timed chunks after warm-up.
//   dcgan_bench --threads 2
#include <CLI/CLI.hpp>
#include <nabla/nabla.hpp>

#include <cstdio>

#include "common/timing.hpp"
#include "dcgan/gan.hpp"

using namespace nabla;

int main(int argc, char** argv) {
  CLI::App app{"DCGAN speed, in dcgan_reference.py's output format."};
  int threads = 2, chunks = 5, chunk_steps = 5;
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  app.add_option("--threads", threads);
  app.add_option("--data", data_dir);
  app.add_option("--chunks", chunks);
  app.add_option("--chunk-steps", chunk_steps);
  CLI11_PARSE(app, argc, argv);
  set_num_threads(threads);
  std::printf("# nabla threads=%d\n", get_num_threads());
  const Tensor real = data::load_mnist(data_dir, {.train = true, .mean = 0.5, .std = 0.5}).images;
  constexpr int64_t kBatch = 128;
  manual_seed(1);
  dcgan::Gan gan;
  int64_t next = 0;
  const auto step = [&] { gan.step(real.narrow(0, kBatch * next++, kBatch)); };
  const std::vector<double> rates = examples::chunk_rates(step, 3, chunks, chunk_steps, 1);  // as the twin
  std::printf("M,gan_steps_per_s,threads=%d,batch=%lld,%s\n", threads, static_cast<long long>(kBatch),
              examples::stats(rates, 2).c_str());
}
