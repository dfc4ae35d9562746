// ONNX models in Nabla: look inside one, run it, fine-tune it.
//   onnx info model.onnx                                   # opset, inputs, operators, parameters, load time
//   onnx run model.onnx --data /usr/share/datasets/fashion-mnist     # accuracy on an IDX folder's test split
//   onnx run model.onnx shirt.png boot.png                 # predictions for 8-bit grey PNGs
//   onnx finetune model.onnx --epochs 1 --save tuned.onnx  # train it further on the IDX training split
// The model takes (N, 1, H, W) images normalised with --mean/--std (Fashion-MNIST's by default) and returns
// class scores (logits, or log-probabilities when its last node is a LogSoftmax), as the examples' models do and as
// torch.onnx.export writes ../shared/reference/mobilenet_reference.py's.
#include <CLI/CLI.hpp>
#include <nabla/nabla.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "common/cli.hpp"
#include "common/png.hpp"

using namespace nabla;
namespace F = nabla::nn::functional;

namespace {

struct Options {
  std::string model, data_dir = "/usr/share/datasets/fashion-mnist", save;
  std::vector<std::string> images;
  double mean = 0.2860, std = 0.3530, lr = 1e-4;
  int64_t batch_size = 64, test_batch_size = 1000, limit = 0;
  int epochs = 1, threads = 0;
  uint64_t seed = 1;
  bool quiet = false;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

onnx::Model load_model(const std::string& path) {
  const auto start = std::chrono::steady_clock::now();
  onnx::Model model = onnx::load(path);
  std::printf("loaded %s in %.1f ms\n", path.c_str(), 1e3 * seconds_since(start));
  return model;
}

// The model's scores as log-probabilities, whichever it returns.
Tensor log_probabilities(onnx::Model& model, const Tensor& x) {
  const Tensor y = model(x);
  return model.op_counts().count("LogSoftmax") ? y : F::log_softmax(y, 1);
}

double accuracy(onnx::Model& model, const data::Mnist& test, int64_t batch_size) {
  NoGradGuard no_grad;
  model.eval();
  int64_t correct = 0;
  for (int64_t start = 0; start < test.size(); start += std::min(batch_size, test.size() - start)) {
    const int64_t n = std::min(batch_size, test.size() - start);
    const Tensor predicted = model(test.images.narrow(0, start, n)).argmax(1);
    correct += sum(eq(predicted, test.labels.narrow(0, start, n))).item<int64_t>();
  }
  return 100.0 * static_cast<double>(correct) / static_cast<double>(std::max<int64_t>(test.size(), 1));
}

int info(const Options& o) {
  onnx::Model model = load_model(o.model);
  std::cout << model << "\nopset " << model.opset() << "\ninputs:\n";
  for (const onnx::ValueInfo& input : model.inputs()) {
    std::cout << "  " << input.name << ": " << dtype_name(input.dtype) << " [";
    for (size_t d = 0; d < input.shape.size(); ++d)
      std::cout << (d ? ", " : "") << (input.shape[d] < 0 ? std::string("?") : std::to_string(input.shape[d]));
    std::cout << "]" << (input.optional ? " (optional)" : "") << "\n";
  }
  std::cout << "outputs:";
  for (const std::string& name : model.output_names()) std::cout << " " << name;
  std::cout << "\noperators (as run, fused):";
  for (const auto& [op, count] : model.op_counts(true)) std::cout << " " << op << "×" << count;
  std::cout << "\nparameters: " << model.num_parameters() << " in " << model.named_parameters().keys().size()
            << " tensors, buffers: " << model.named_buffers().keys().size() << "\n";
  return 0;
}

int run(const Options& o) {
  onnx::Model model = load_model(o.model);
  if (o.images.empty()) {
    const data::Mnist test = data::load_mnist(o.data_dir, {.train = false, .mean = o.mean, .std = o.std});
    const auto start = std::chrono::steady_clock::now();
    const double acc = accuracy(model, test, o.test_batch_size);
    const double seconds = seconds_since(start);
    std::printf("test accuracy %.2f%% on %lld images, %.0f img/s\n", acc, static_cast<long long>(test.size()),
                static_cast<double>(test.size()) / seconds);
    return 0;
  }
  NoGradGuard no_grad;
  for (const std::string& path : o.images) {
    const examples::GreyImage image = examples::read_png(path);
    std::vector<float> pixels;
    for (uint8_t p : image.pixels) pixels.push_back(static_cast<float>((p / 255.0 - o.mean) / o.std));
    const Tensor probabilities = log_probabilities(model, from_vector(pixels, {1, 1, image.height, image.width})).exp();
    const int64_t best = probabilities.argmax(1).item<int64_t>();
    std::printf("%s: class %lld (%.1f%%)\n", path.c_str(), static_cast<long long>(best),
                100.0 * probabilities.select(1, best).item<float>());
  }
  return 0;
}

int finetune(const Options& o) {
  if (!o.save.empty()) check_writable_file(o.save, "onnx finetune");
  onnx::Model model = load_model(o.model);
  const data::Mnist train = data::load_mnist(o.data_dir, {.train = true, .mean = o.mean, .std = o.std});
  const data::Mnist test = data::load_mnist(o.data_dir, {.train = false, .mean = o.mean, .std = o.std});
  const int64_t size = o.limit > 0 ? std::min(o.limit, train.size()) : train.size();
  std::printf("before: test accuracy %.2f%%\n", accuracy(model, test, o.test_batch_size));
  manual_seed(o.seed);
  optim::Adam optimizer(model.parameters(), {.lr = o.lr});
  data::DataLoader loader(train.images.narrow(0, 0, size), train.labels.narrow(0, 0, size),
                          {.batch_size = o.batch_size, .shuffle = true, .seed = o.seed});
  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    model.train();  // BatchNorm on batch statistics, Dropout active, as PyTorch's fine-tuning
    ProgressBar bar("epoch " + std::to_string(epoch), loader.num_batches(), o.quiet ? std::clog : std::cout,
                    o.quiet ? 1 << 30 : 100, "img");
    const auto start = std::chrono::steady_clock::now();
    const auto order = loader.order(epoch);
    double loss_sum = 0;
    int64_t seen = 0;
    for (int64_t i = 0; i < loader.num_batches(); ++i) {
      const auto [x, y] = loader.batch(order, i);
      optimizer.zero_grad();
      const Tensor loss = F::nll_loss(log_probabilities(model, x), y);
      loss.backward();
      optimizer.step();
      loss_sum += loss.item<float>() * static_cast<double>(x.size(0));
      seen += x.size(0);
      if (!o.quiet) bar.update(i + 1, seen, "loss " + std::to_string(loss.item<float>()).substr(0, 6));
    }
    const double seconds = seconds_since(start);
    if (!o.quiet) bar.finish("");
    std::printf("epoch %d: train loss %.4f, test accuracy %.2f%%, %.1f s, %.0f img/s\n", epoch,
                loss_sum / static_cast<double>(std::max<int64_t>(seen, 1)), accuracy(model, test, o.test_batch_size),
                seconds, static_cast<double>(seen) / seconds);
  }
  if (!o.save.empty()) {
    onnx::export_model(model, test.images.narrow(0, 0, 1), o.save);
    std::cout << "saved the fine-tuned model to " << o.save << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ONNX models in Nabla: info, run, finetune"};
  app.require_subcommand(1);
  Options o;
  const auto common = [&](CLI::App* command) {
    command->add_option("model", o.model, "an .onnx file")->required()->check(CLI::ExistingFile);
    command->add_option("--threads", o.threads, "threads (0: OpenMP's default)")->check(examples::kThreads);
  };
  const auto data_options = [&](CLI::App* command) {
    command->add_option("--data", o.data_dir, "folder of {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]")
        ->capture_default_str();
    command->add_option("--mean", o.mean, "input normalisation: (pixel/255 - mean) / std")->capture_default_str();
    command->add_option("--std", o.std, "input normalisation")->capture_default_str()->check(CLI::PositiveNumber);
    command->add_option("--test-batch-size", o.test_batch_size, "evaluation batch size")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
  };
  CLI::App* info_command = app.add_subcommand("info", "print the model: opset, inputs, operators, parameters");
  common(info_command);
  CLI::App* run_command = app.add_subcommand("run", "test accuracy on an IDX folder, or predictions for PNG images");
  common(run_command);
  data_options(run_command);
  run_command->add_option("images", o.images, "8-bit grey PNG files (instead of --data)")->check(CLI::ExistingFile);
  CLI::App* finetune_command = app.add_subcommand("finetune", "train the model further on an IDX folder");
  common(finetune_command);
  data_options(finetune_command);
  finetune_command->add_option("--epochs", o.epochs, "epochs")->capture_default_str()->check(examples::kEpochs);
  finetune_command->add_option("--lr", o.lr, "Adam learning rate")->capture_default_str();
  finetune_command->add_option("--batch-size", o.batch_size, "training batch size")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  finetune_command->add_option("--limit", o.limit, "train on the first N images only")->check(CLI::NonNegativeNumber);
  finetune_command->add_option("--seed", o.seed, "seed for shuffling and dropout")->capture_default_str();
  finetune_command->add_option("--save", o.save, "write the fine-tuned model to this ONNX file");
  finetune_command->add_flag("--quiet", o.quiet, "no progress bar");
  CLI11_PARSE(app, argc, argv);
  try {
    if (o.threads > 0) set_num_threads(o.threads);
    if (info_command->parsed()) return info(o);
    if (run_command->parsed()) return run(o);
    return finetune(o);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
