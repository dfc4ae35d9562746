// The depthwise-separable CNN of mobilenet_reference.py trained on Fashion-MNIST (or any MNIST-format folder):
// Adam with a cosine learning-rate schedule stepped every batch, as its PyTorch twin. It prints the model, a
// summary of parameters and multiply-adds against standard 3×3 convs, and evaluates with BatchNorm folded into
// the convs.
//
//   mobilenet --epochs 5 --save runs/mobilenet      # trains, evaluates, checkpoints after each epoch
//   mobilenet --resume runs/mobilenet/checkpoint.safetensors --epochs 8
#include <CLI/CLI.hpp>
#include <nabla/nabla.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "common/checkpoint.hpp"
#include "common/cli.hpp"
#include "common/onnx_export.hpp"
#include "common/quantize.hpp"
#include "common/report.hpp"
#include "mobilenet/net.hpp"

using namespace nabla;
namespace F = nabla::nn::functional;

namespace {

struct Evaluation {
  double loss;
  double accuracy;  // percent
};

// The whole test set through an inference network (BatchNorm folded into the convs, ReLUs fused; float32 or int8).
Evaluation evaluate_network(nn::Sequential& folded, const data::Mnist& test, int64_t batch_size, bool bf16) {
  NoGradGuard no_grad;
  AutocastGuard autocast(kBFloat16, bf16);
  double loss = 0;
  int64_t correct = 0;
  for (int64_t i = 0, n = 0; i < test.size(); i += n) {  // not i += batch_size: it may be as large as INT64_MAX
    n = std::min(batch_size, test.size() - i);
    const Tensor logits = folded(test.images.narrow(0, i, n));  // int8: quantized (loss and argmax take them)
    const Tensor target = test.labels.narrow(0, i, n);
    loss += F::cross_entropy(logits, target, {.reduction = Reduction::sum}).item<float>();
    correct += (logits.argmax(1) == target).sum().item<int64_t>();
  }
  const auto total = static_cast<double>(test.size());
  return {loss / total, 100.0 * static_cast<double>(correct) / total};
}

Evaluation evaluate(nn::Sequential& model, const data::Mnist& test, int64_t batch_size, bool bf16) {
  model.eval();
  nn::Sequential folded = mobilenet::fold_batchnorm(model);
  model.train();
  return evaluate_network(folded, test, batch_size, bf16);
}

// Quantizes the inference network to int8 (calibrated on 1,000 training images) and prints its accuracy and
// speed beside float32's.
void evaluate_int8(nn::Sequential& model, const data::Mnist& train, const data::Mnist& test, int64_t batch_size) {
  model.eval();
  nn::Sequential folded = mobilenet::fold_batchnorm(model);
  examples::report_int8(
      folded, [&] { return evaluate_network(folded, test, batch_size, false).accuracy; },
      [&] { examples::calibrate(folded, train.images, 1000, batch_size); }, test.size(), "img");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Trains a depthwise-separable CNN (MobileNet v1 style) on an MNIST-format data set with Nabla."};
  std::string data_dir = "/usr/share/datasets/fashion-mnist", save_dir, resume, log_csv, onnx_path;
  int epochs = 5, threads = 0;
  int64_t batch_size = 128, test_batch_size = 1000, limit = 0;
  double lr = 2e-3;
  uint64_t seed = 1;
  bool quiet = false, bf16 = false, int8 = false;
  app.add_option("--data", data_dir, "folder of {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]")
      ->capture_default_str();
  app.add_option("--epochs", epochs, "epochs to train (in total, when resuming)")
      ->capture_default_str()
      ->check(examples::kEpochs);
  app.add_option("--batch-size", batch_size, "training batch size")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--test-batch-size", test_batch_size, "evaluation batch size")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--lr", lr, "Adam's initial learning rate (cosine-annealed to 0 over all steps)")
      ->capture_default_str();
  app.add_option("--seed", seed, "seed for the initial weights, dropout and shuffling")->capture_default_str();
  app.add_option("--threads", threads, "threads (0: OpenMP's default)")->check(examples::kThreads);
  app.add_option("--save", save_dir, "folder for checkpoint.safetensors, metrics.csv and training_curve.svg");
  examples::add_export_onnx_option(app, onnx_path);
  app.add_option("--resume", resume, "continue from this checkpoint");
  app.add_option("--log-csv", log_csv, "metrics CSV path (default: <save>/metrics.csv)");
  app.add_option("--limit", limit, "train on the first N images only (smoke tests)")->check(CLI::NonNegativeNumber);
  app.add_flag("--quiet", quiet, "no progress bar");
  app.add_flag("--bf16", bf16, "bfloat16 autocast (convs and linears in bfloat16, where this CPU runs it faster)");
  app.add_flag("--int8", int8,
               "after training, quantize the inference network to int8 (calibrated on 1,000 "
               "training images) and evaluate it beside float32: accuracy and speed");
  CLI11_PARSE(app, argc, argv);

  try {
    if (threads > 0) set_num_threads(threads);
    const data::Mnist train = data::load_mnist(data_dir, {.train = true});
    const data::Mnist test = data::load_mnist(data_dir, {.train = false});
    const int64_t train_size = limit > 0 ? std::min(limit, train.size()) : train.size();
    std::cout << "data: " << train_size << " training and " << test.size() << " test images from " << data_dir << ", "
              << get_num_threads() << " threads\n";

    manual_seed(seed);
    nn::Sequential model = mobilenet::make_model();
    std::cout << model << "\n\n" << mobilenet::to_string(mobilenet::summarize()) << "\n";
    data::DataLoader loader(train.images.narrow(0, 0, train_size), train.labels.narrow(0, 0, train_size),
                            {.batch_size = batch_size, .shuffle = true, .seed = seed});
    optim::Adam optimizer(model.parameters(), {.lr = lr});
    // size-checked: epochs is at most kMaxEpochs, the batches at most the images
    optim::lr_scheduler::CosineAnnealingLR schedule(optimizer, epochs * loader.num_batches());
    int first_epoch = 1;
    if (!resume.empty()) {
      const examples::Checkpoint checkpoint = examples::load_checkpoint(resume, "mobilenet");
      model.load_state_dict(checkpoint.part("model"));
      optimizer.load_state_dict(checkpoint.part("optimizer"));
      schedule.step(checkpoint.epoch * loader.num_batches());  // where the cosine was after that many steps
      first_epoch = checkpoint.epoch + 1;                      // size-checked: below kMaxEpochs
      examples::restore_rng_state(checkpoint);  // exact resume (an older checkpoint: the generator as seeded)
      std::cout << "resumed from " << resume << " after epoch " << checkpoint.epoch << "\n";
    }
    if (!save_dir.empty()) {
      std::filesystem::create_directories(save_dir);
      check_writable_file(save_dir + "/checkpoint.safetensors", "mobilenet");  // refused now, not after an epoch
    }
    if (!onnx_path.empty()) check_writable_file(onnx_path, "mobilenet");
    if (log_csv.empty() && !save_dir.empty()) log_csv = save_dir + "/metrics.csv";
    examples::MetricsLog metrics(log_csv, save_dir.empty() ? "" : save_dir + "/training_curve.svg", "MobileNet (Nabla)",
                                 first_epoch);

    for (int epoch = first_epoch; epoch <= epochs; ++epoch) {
      ProgressBar bar("epoch " + std::to_string(epoch), loader.num_batches(), std::cout, quiet ? 1 << 30 : 100, "img");
      const auto start = std::chrono::steady_clock::now();
      const auto order = loader.order(epoch);
      double loss_sum = 0;
      int64_t seen = 0;
      for (int64_t i = 0; i < loader.num_batches(); ++i) {
        const auto [x, y] = loader.batch(order, i);
        optimizer.zero_grad();
        Tensor loss;
        {
          AutocastGuard autocast(kBFloat16, bf16);  // the forward only, as PyTorch recommends
          loss = F::cross_entropy(model(x), y);
        }
        loss.backward();
        optimizer.step();
        schedule.step();
        const float value = loss.item<float>();
        loss_sum += value * static_cast<double>(x.size(0));
        seen += x.size(0);
        if (!quiet) bar.update(i + 1, seen, "loss " + std::to_string(value).substr(0, 6));
      }
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double train_loss = loss_sum / static_cast<double>(seen);
      if (!quiet) bar.finish("loss " + std::to_string(train_loss).substr(0, 6));
      const Evaluation result = evaluate(model, test, test_batch_size, bf16);
      std::printf("epoch %d: train loss %.4f, test loss %.4f, test accuracy %.2f%%, %.1f s, %.0f img/s\n", epoch,
                  train_loss, result.loss, result.accuracy, seconds, static_cast<double>(seen) / seconds);
      std::fflush(stdout);
      metrics.add({epoch, train_loss, result.loss, result.accuracy, seconds, static_cast<double>(seen) / seconds});
      if (!save_dir.empty())
        examples::save_checkpoint(save_dir + "/checkpoint.safetensors",
                                  {{"model", model.state_dict()}, {"optimizer", optimizer.state_dict()}}, epoch,
                                  "nabla mobilenet example", examples::rng_states_of_all_ranks());
    }
    if (!save_dir.empty())
      std::cout << "saved " << save_dir << "/{checkpoint.safetensors, metrics.csv, training_curve.svg}\n";
    examples::export_onnx(model, test.images.narrow(0, 0, 1), onnx_path);
    if (int8) evaluate_int8(model, train, test, test_batch_size);
  } catch (const std::exception& e) {  // nabla::Error, or the file system's (a --save path that is a file)
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
