// The depthwise-separable CNN of mobilenet_reference.py trained on Fashion-MNIST (or any MNIST-format folder):
// Adam with a cosine learning-rate schedule stepped every batch, as its PyTorch twin. It prints the model, a
// summary of parameters and multiply-adds against standard 3×3 convs, and evaluates with BatchNorm folded into
// the convs.
//
//   mobilenet --epochs 5 --save runs/mobilenet      # trains, evaluates, checkpoints after each epoch
//   mobilenet --resume runs/mobilenet/checkpoint.safetensors --epochs 8
//   mobilenet --image-folder data/fashion-png --augment   # PNG/JPEG files (image_folder writes them), augmented
#include <CLI/CLI.hpp>
#include <nabla/nabla.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <numeric>
#include <optional>

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

using Samples = data::Dataset<std::pair<Tensor, int64_t>>;

// The pipeline of a training image read from a file: augmented (a random 28 × 28 crop of the image padded by 2, and a
// random horizontal flip) or not, then scaled to [0, 1] and normalised as the IDX files are.
transforms::Transform image_transform(bool augment) {
  std::vector<transforms::Transform> steps;
  if (augment) {
    steps.push_back(transforms::RandomCrop({.size = {28}, .padding = {2}}));
    steps.push_back(transforms::RandomHorizontalFlip());
  }
  steps.push_back(transforms::ToTensor());
  steps.push_back(transforms::Normalize({.mean = {0.2860}, .std = {0.3530}}));
  return transforms::Compose(steps);
}

// The first `limit` samples (all when 0) of a data set as tensors, loaded by worker threads: an image folder's test
// split, and the calibration images for --int8.
data::Mnist to_tensors(std::shared_ptr<const Samples> samples, int64_t limit, int64_t workers) {
  const int64_t n = limit > 0 ? std::min(limit, samples->size()) : samples->size();
  std::vector<int64_t> first(static_cast<size_t>(n));
  std::iota(first.begin(), first.end(), 0);
  data::DataLoader loader(data::Subset(std::move(samples), first), {.batch_size = 1000, .num_workers = workers});
  std::vector<Tensor> images, labels;
  for (auto& [x, y] : loader.epoch(0)) images.push_back(x), labels.push_back(y);
  return {cat(images), cat(labels)};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Trains a depthwise-separable CNN (MobileNet v1 style) on an MNIST-format data set with Nabla."};
  std::string data_dir = "/usr/share/datasets/fashion-mnist", save_dir, resume, log_csv, onnx_path, image_folder;
  int epochs = 5, threads = 0;
  int64_t batch_size = 128, test_batch_size = 1000, limit = 0, workers = 2;
  double lr = 2e-3;
  uint64_t seed = 1;
  bool quiet = false, bf16 = false, int8 = false, augment = false;
  app.add_option("--data", data_dir, "folder of {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]")
      ->capture_default_str();
  app.add_option("--image-folder", image_folder,
                 "read the images from files instead: <dir>/{train,test}/<class>/*.png|jpg (as image_folder writes "
                 "them), decoded by worker threads")
      ->check(CLI::ExistingDirectory);
  app.add_flag("--augment", augment, "random 28x28 crops of the images padded by 2, and horizontal flips");
  app.add_option("--workers", workers, "threads loading images (--image-folder, --augment)")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
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
    // Training images: the IDX files in memory, or samples loaded (and augmented) by worker threads, from image
    // files or from the IDX files. Test images: in memory either way.
    std::shared_ptr<const Samples> samples;
    data::Mnist train, test;
    if (!image_folder.empty()) {
      const auto folder = [&](const char* split, bool augmented) {
        return std::make_shared<const datasets::ImageFolder>(
            image_folder + "/" + split,
            datasets::ImageFolderOptions{.transform = image_transform(augmented), .mode = io::ImageReadMode::GRAY});
      };
      samples = folder("train", augment);
      test = to_tensors(folder("test", false), 0, workers);
      if (int8) train = to_tensors(folder("train", false), 1000, workers);  // calibration images
    } else {
      train = data::load_mnist(data_dir, {.train = true});
      test = data::load_mnist(data_dir, {.train = false});
      if (augment)
        samples = std::make_shared<const datasets::MNIST>(
            data_dir, datasets::MNISTOptions{.train = true, .transform = image_transform(true)});
    }
    const int64_t train_total = samples ? samples->size() : train.size();
    const int64_t train_size = limit > 0 ? std::min(limit, train_total) : train_total;
    std::cout << "data: " << train_size << " training and " << test.size() << " test images from "
              << (image_folder.empty() ? data_dir : image_folder) << (augment ? ", augmented" : "") << ", "
              << get_num_threads() << " threads";
    if (samples) std::cout << ", " << workers << " loader threads";
    std::cout << "\n";

    manual_seed(seed);
    nn::Sequential model = mobilenet::make_model();
    std::cout << model << "\n\n" << mobilenet::to_string(mobilenet::summarize()) << "\n";
    const data::DataLoaderOptions loading{.batch_size = batch_size, .shuffle = true, .seed = seed};
    // An image folder lists its files class by class: --limit takes a random subset, not the first classes.
    std::vector<int64_t> subset = data::Generator(seed).randperm(train_total);
    subset.resize(static_cast<size_t>(train_size));
    std::optional<data::DataLoader<data::TensorDataset>> in_memory;
    std::optional<data::DataLoader<data::Subset<Samples::Sample>>> streaming;
    if (samples) {
      auto threaded = loading;
      threaded.num_workers = workers;
      threaded.persistent_workers = workers > 0;
      streaming.emplace(data::Subset(samples, subset), threaded);
    } else {
      in_memory.emplace(train.images.narrow(0, 0, train_size), train.labels.narrow(0, 0, train_size), loading);
    }
    const int64_t batches = samples ? streaming->num_batches() : in_memory->num_batches();
    optim::Adam optimizer(model.parameters(), {.lr = lr});
    // size-checked: epochs is at most kMaxEpochs, the batches at most the images
    optim::lr_scheduler::CosineAnnealingLR schedule(optimizer, epochs * batches);
    int first_epoch = 1;
    if (!resume.empty()) {
      const examples::Checkpoint checkpoint = examples::load_checkpoint(resume, "mobilenet");
      model.load_state_dict(checkpoint.part("model"));
      optimizer.load_state_dict(checkpoint.part("optimizer"));
      schedule.step(checkpoint.epoch * batches);               // where the cosine was after that many steps
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
      ProgressBar bar("epoch " + std::to_string(epoch), batches, std::cout, quiet ? 1 << 30 : 100, "img");
      const auto start = std::chrono::steady_clock::now();
      double loss_sum = 0;
      int64_t seen = 0, step = 0;
      const auto train_on = [&](auto& loader) {
        for (auto& [x, y] : loader.epoch(epoch)) {
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
          if (!quiet) bar.update(++step, seen, "loss " + std::to_string(value).substr(0, 6));
        }
      };
      if (streaming)
        train_on(*streaming);
      else
        train_on(*in_memory);
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
