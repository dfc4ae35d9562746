// An imported ONNX model against the same model written with Nabla's layers, in one process, rounds alternating
// (the machine is noisy: the ratio is the figure). Each model is exported with onnx::export_model and loaded back
// with onnx::load, the graph torch.onnx.export writes for the twins (the same operators: tests/test_onnx_export.cpp).
//   bench_onnx --threads 2 [--rounds 5]
// Prints one line per case: native and imported rates (medians) and imported / native; then the MobileNet file's
// load time.
#include <CLI/CLI.hpp>
#include <nabla/nabla.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>

#include "common/timing.hpp"
#include "mnist/net.hpp"
#include "mobilenet/net.hpp"

using namespace nabla;

namespace {

std::string temp_file(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("bench_onnx_" + name + ".onnx")).string();
}

template <class M>
onnx::Model exported(M& model, const Tensor& example, const std::string& name, bool fold_batch_norm = true) {
  const std::string path = temp_file(name);
  onnx::export_model(model, example, path, {.fold_batch_norm = fold_batch_norm});
  onnx::Model imported = onnx::load(path);
  std::filesystem::remove(path);
  return imported;
}

// Rates of `a` and `b` (units per second), timed in alternating rounds of `steps` calls after a warm-up each.
void compare(const char* what, const std::function<void()>& a, const std::function<void()>& b, int rounds, int steps,
             double units, const char* unit) {
  std::vector<double> rate_a, rate_b;
  for (int i = 0; i < 3; ++i) a(), b();
  for (int r = 0; r < rounds; ++r)
    for (auto [step, rates] : {std::pair{&a, &rate_a}, std::pair{&b, &rate_b}}) {
      const auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < steps; ++i) (*step)();
      rates->push_back(steps * units / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  std::printf("%-34s native %9.1f %s/s  imported %9.1f %s/s  imported/native %.3f\n", what, examples::median(rate_a),
              unit, examples::median(rate_b), unit, examples::median(rate_b) / examples::median(rate_a));
}

template <class Native>
void training(const char* what, Native& native, onnx::Model& imported, const Tensor& x, const Tensor& y, int rounds) {
  native.train();
  imported.train();
  optim::Adam native_adam(native.parameters(), {.lr = 1e-4}), imported_adam(imported.parameters(), {.lr = 1e-4});
  const auto step = [&](auto& model, optim::Adam& adam) {
    adam.zero_grad();
    F::cross_entropy(model(x), y).backward();
    adam.step();
  };
  compare(
      what, [&] { step(native, native_adam); }, [&] { step(imported, imported_adam); }, rounds, 10,
      static_cast<double>(x.size(0)), "img");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"An imported ONNX model against the same model in Nabla's layers."};
  int threads = 2, rounds = 5;
  app.add_option("--threads", threads);
  app.add_option("--rounds", rounds);
  CLI11_PARSE(app, argc, argv);
  set_num_threads(threads);
  manual_seed(0);
  const Tensor images = randn({1000, 1, 28, 28}), batch = images.narrow(0, 0, 64), one = images.narrow(0, 0, 1);
  const Tensor labels = randint(0, 10, {64});

  Net mnist;
  onnx::Model mnist_imported = exported(mnist, one, "mnist");
  nn::Sequential mobilenet = mobilenet::make_model();
  mobilenet.eval();
  nn::Sequential mobilenet_folded = mobilenet::fold_batchnorm(mobilenet);
  onnx::Model mobilenet_imported = exported(mobilenet, one, "mobilenet");
  onnx::Model mobilenet_trainable = exported(mobilenet, one, "mobilenet_bn", false);  // BatchNorm kept, to train
  {
    NoGradGuard no_grad;
    mnist.eval();
    compare(
        "MNIST inference, batch 1000", [&] { mnist(images); }, [&] { mnist_imported(images); }, rounds, 5, 1000, "img");
    compare(
        "MNIST inference, batch 1", [&] { mnist(one); }, [&] { mnist_imported(one); }, rounds, 200, 1, "img");
    compare(
        "MobileNet inference, batch 1000", [&] { mobilenet_folded(images); }, [&] { mobilenet_imported(images); },
        rounds, 3, 1000, "img");
  }
  training("MNIST training, batch 64", mnist, mnist_imported, batch, labels, rounds);
  training("MobileNet training, batch 64", mobilenet, mobilenet_trainable, batch, labels, rounds);

  const std::string path = temp_file("load");
  onnx::export_model(mobilenet, one, path);
  std::vector<double> ms;
  for (int i = 0; i < 20; ++i) {
    const auto start = std::chrono::steady_clock::now();
    onnx::Model loaded = onnx::load(path);
    ms.push_back(1e3 * std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::filesystem::remove(path);
  std::printf("MobileNet file load: %s ms\n", examples::stats(ms, 2).c_str());
}
