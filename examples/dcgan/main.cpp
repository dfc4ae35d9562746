// The DCGAN of dcgan_reference.py trained on Fashion-MNIST, and a generator of new images from its checkpoint.
//
//   dcgan train --epochs 5 --save runs/dcgan --classifier runs/mnist/checkpoint.safetensors
//       after each epoch: runs/dcgan/samples_epoch_N.png (64 samples of one fixed noise batch), losses.csv,
//       checkpoint.safetensors; with --classifier, the sample score beside the real test images'
//   dcgan generate --model runs/dcgan/checkpoint.safetensors --count 16 --out samples
//       samples/sample_0000.png ... and samples/grid.png
//   dcgan score --model runs/dcgan/checkpoint.safetensors --classifier runs/mnist/checkpoint.safetensors
#include <CLI/CLI.hpp>
#include <nabla/nabla.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "common/checkpoint.hpp"
#include "common/cli.hpp"
#include "common/onnx_export.hpp"
#include "dcgan/gan.hpp"
#include "mnist/net.hpp"

using namespace nabla;

namespace {

struct TrainOptions {
  std::string data_dir = "/usr/share/datasets/fashion-mnist", save_dir, resume, classifier, onnx_path;
  int epochs = 5, threads = 0;
  int64_t batch_size = 128, limit = 0, score_samples = 10000;
  double lr = 2e-4;
  uint64_t seed = 1;
  bool quiet = false, bf16 = false;
};

struct GenerateOptions {
  std::string model, out_dir;
  int64_t count = 64;
  uint64_t seed = 1;
};

struct ScoreOptions {
  std::string model, classifier, data_dir = "/usr/share/datasets/fashion-mnist";
  int64_t samples = 10000;
};

// The MNIST example's trained network, as the judge of what the generator draws (the twin's recipe: the
// pytorch/examples MNIST Net, Adam 1e-3, 2 epochs on Fashion-MNIST), and its score of the real test images, which
// a generator close to the data approaches.
struct Judge {
  Judge(const std::string& path, const std::string& data_dir) {
    NABLA_CHECK(std::filesystem::exists(path), "dcgan: --classifier '", path,
                "' does not exist; train one with "
                "tools/run-example mnist --epochs 2 (the twin's recipe) and pass runs/mnist/checkpoint.safetensors");
    net.load_state_dict(examples::load_checkpoint(path, "dcgan: --classifier").part("model"));
    net.eval();
    const data::Mnist test = data::load_mnist(data_dir, {.train = false, .mean = 0, .std = 1});  // in [0, 1]
    real_score = dcgan::inception_score(probabilities(test.images));
    std::printf("score of the %lld real test images: %.3f (of at most 10)\n", static_cast<long long>(test.size()),
                real_score);
  }
  // The score of the generator's samples from `noise` (eval mode, as the twin samples).
  double score(nn::Sequential& generator, const Tensor& noise) {
    return dcgan::inception_score(probabilities(dcgan::sample(generator, noise)));
  }
  // p(y|x) of images in [0, 1], normalised as the classifier was trained.
  Tensor probabilities(const Tensor& images) {
    NoGradGuard no_grad;
    std::vector<Tensor> batches;
    for (int64_t i = 0; i < images.size(0); i += 1000) {
      const Tensor x = images.narrow(0, i, std::min<int64_t>(1000, images.size(0) - i));
      batches.push_back(net((x - 0.2860) * (1 / 0.3530)).exp());  // the net ends in log_softmax
    }
    return cat(batches);
  }
  Net net;
  double real_score;
};

struct EpochRow {
  int epoch;
  double discriminator_loss, generator_loss, score, seconds, steps_per_second;
};

void write_losses_csv(const std::string& path, const std::vector<EpochRow>& rows) {
  std::ostringstream out;
  out << "epoch,discriminator_loss,generator_loss,score,seconds,steps_per_second\n";
  for (const auto& r : rows)
    out << r.epoch << "," << r.discriminator_loss << "," << r.generator_loss << "," << r.score << "," << r.seconds
        << "," << r.steps_per_second << "\n";
  write_file(path, out.str(), "dcgan: losses.csv");
}

std::vector<EpochRow> read_losses_csv(const std::string& path) {
  std::vector<EpochRow> rows;
  if (!std::filesystem::exists(path)) return rows;
  std::istringstream in(read_file(path, "dcgan: losses.csv"));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    EpochRow r{};
    if (std::sscanf(line.c_str(), "%d,%lf,%lf,%lf,%lf,%lf", &r.epoch, &r.discriminator_loss, &r.generator_loss,
                    &r.score, &r.seconds, &r.steps_per_second) == 6)
      rows.push_back(r);
  }
  return rows;
}

// Where train writes: checked writable before the first epoch, written after each.
std::string samples_path(const std::string& folder, int epoch) {
  return folder + "/samples_epoch_" + std::to_string(epoch) + ".png";
}
std::string checkpoint_path(const std::string& folder) { return folder + "/checkpoint.safetensors"; }

int train(const TrainOptions& o) {
  if (o.threads > 0) set_num_threads(o.threads);
  const data::Mnist data = data::load_mnist(o.data_dir, {.train = true, .mean = 0.5, .std = 0.5});  // to [-1, 1]
  const int64_t size = o.limit > 0 ? std::min(o.limit, data.size()) : data.size();
  std::cout << "data: " << size << " training images from " << o.data_dir << ", " << get_num_threads() << " threads\n";
  manual_seed(o.seed);
  dcgan::Gan gan(o.lr);
  std::cout << "generator: " << gan.generator << "\ndiscriminator: " << gan.discriminator << "\n";
  int first_epoch = 1;
  if (!o.resume.empty()) {
    const examples::Checkpoint checkpoint = examples::load_checkpoint(o.resume, "dcgan");
    gan.generator.load_state_dict(checkpoint.part("generator"));
    gan.discriminator.load_state_dict(checkpoint.part("discriminator"));
    gan.generator_optimizer.load_state_dict(checkpoint.part("generator_optimizer"));
    gan.discriminator_optimizer.load_state_dict(checkpoint.part("discriminator_optimizer"));
    first_epoch = checkpoint.epoch + 1;  // size-checked: below kMaxEpochs
    examples::restore_rng_state(checkpoint);  // exact resume (an older checkpoint: the generator as seeded)
    std::cout << "resumed from " << o.resume << " after epoch " << checkpoint.epoch << "\n";
  }
  std::optional<Judge> judge;
  if (!o.classifier.empty()) judge.emplace(o.classifier, o.data_dir);
  const Tensor grid_noise = dcgan::fixed_noise(64, 7), score_noise = dcgan::fixed_noise(o.score_samples, 123);
  if (!o.save_dir.empty()) std::filesystem::create_directories(o.save_dir);
  const std::string csv = o.save_dir.empty() ? "" : o.save_dir + "/losses.csv";
  for (int epoch = first_epoch; !o.save_dir.empty() && epoch <= o.epochs; ++epoch)  // refused now, not after training
    check_writable_file(samples_path(o.save_dir, epoch), "dcgan train");
  if (!o.onnx_path.empty()) check_writable_file(o.onnx_path, "dcgan train");
  if (!csv.empty()) {
    check_writable_file(csv, "dcgan train");
    check_writable_file(checkpoint_path(o.save_dir), "dcgan train");
  }
  std::vector<EpochRow> history = csv.empty() ? std::vector<EpochRow>{} : read_losses_csv(csv);
  std::erase_if(history, [&](const EpochRow& r) { return r.epoch >= first_epoch; });

  data::DataLoader loader(data.images.narrow(0, 0, size), data.labels.narrow(0, 0, size),
                          {.batch_size = o.batch_size, .shuffle = true, .drop_last = true, .seed = o.seed});
  NABLA_CHECK(loader.num_batches() > 0, "dcgan: ", size, " training images make no whole batch of ", o.batch_size,
              " (the last partial batch is dropped, as in the twin); use a smaller --batch-size or a larger --limit");
  for (int epoch = first_epoch; epoch <= o.epochs; ++epoch) {
    ProgressBar bar("epoch " + std::to_string(epoch), loader.num_batches(), std::cout, o.quiet ? 1 << 30 : 50, "step");
    const auto start = std::chrono::steady_clock::now();
    const auto order = loader.order(epoch);
    double d_sum = 0, g_sum = 0;
    for (int64_t i = 0; i < loader.num_batches(); ++i) {
      const auto losses = gan.step(loader.batch(order, i).first, o.bf16);
      d_sum += losses.discriminator;
      g_sum += losses.generator;
      if (!o.quiet) {
        char status[64];
        std::snprintf(status, sizeof status, "D %.3f G %.3f", losses.discriminator, losses.generator);
        bar.update(i + 1, i + 1, status);
      }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto steps = static_cast<double>(loader.num_batches());
    if (!o.quiet) bar.finish("");
    const double score = judge ? judge->score(gan.generator, score_noise) : 0;
    char scored[64] = "";
    if (judge) std::snprintf(scored, sizeof scored, ", score %.3f (real images %.3f)", score, judge->real_score);
    std::printf("epoch %d: loss D %.4f, loss G %.4f%s, %.1f s, %.1f GAN steps/s\n", epoch, d_sum / steps,
                g_sum / steps, scored, seconds, steps / seconds);
    std::fflush(stdout);
    history.push_back({epoch, d_sum / steps, g_sum / steps, score, seconds, steps / seconds});
    if (o.save_dir.empty()) continue;
    const std::string picture = samples_path(o.save_dir, epoch);
    examples::write_png(picture, dcgan::grid(dcgan::sample(gan.generator, grid_noise)));
    write_losses_csv(csv, history);
    examples::save_checkpoint(checkpoint_path(o.save_dir),
                              {{"generator", gan.generator.state_dict()},
                               {"discriminator", gan.discriminator.state_dict()},
                               {"generator_optimizer", gan.generator_optimizer.state_dict()},
                               {"discriminator_optimizer", gan.discriminator_optimizer.state_dict()}},
                              epoch, "nabla dcgan example", examples::rng_states_of_all_ranks());
    std::cout << "wrote " << picture << "\n";
  }
  if (!o.save_dir.empty()) std::cout << "saved " << o.save_dir << "/{checkpoint.safetensors, losses.csv}\n";
  examples::export_onnx(gan.generator, grid_noise.narrow(0, 0, 1), o.onnx_path);  // noise in, images out
  return 0;
}

// The score of a trained generator, as train prints it after each epoch.
int score_generator(const ScoreOptions& o) {
  nn::Sequential generator = dcgan::make_generator();
  generator.load_state_dict(examples::load_checkpoint(o.model, "dcgan score").part("generator"));
  Judge judge(o.classifier, o.data_dir);
  std::printf("score of %lld samples: %.3f\n", static_cast<long long>(o.samples),
              judge.score(generator, dcgan::fixed_noise(o.samples, 123)));
  return 0;
}

int generate(const GenerateOptions& o) {
  nn::Sequential generator = dcgan::make_generator();
  generator.load_state_dict(examples::load_checkpoint(o.model, "dcgan generate").part("generator"));
  std::filesystem::create_directories(o.out_dir);
  const auto sample_path = [&](int64_t i) {
    char name[32];
    std::snprintf(name, sizeof name, "/sample_%04lld.png", static_cast<long long>(i));
    return o.out_dir + name;
  };
  for (int64_t i = 0; i < o.count; ++i) check_writable_file(sample_path(i), "dcgan generate");
  check_writable_file(o.out_dir + "/grid.png", "dcgan generate");
  const Tensor images = dcgan::sample(generator, dcgan::fixed_noise(o.count, o.seed));
  for (int64_t i = 0; i < o.count; ++i) examples::write_png(sample_path(i), dcgan::picture(images.select(0, i)));
  examples::write_png(o.out_dir + "/grid.png", dcgan::grid(images.narrow(0, 0, std::min<int64_t>(64, o.count))));
  std::cout << "wrote " << o.count << " samples and grid.png to " << o.out_dir << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "A DCGAN on an MNIST-format data set with Nabla: train it, score it, or generate images from a checkpoint."};
  app.require_subcommand(1);
  TrainOptions t;
  CLI::App* train_command = app.add_subcommand("train", "train the generator and discriminator");
  train_command->add_option("--data", t.data_dir, "folder of {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]")
      ->capture_default_str();
  train_command->add_option("--epochs", t.epochs, "epochs to train (in total, when resuming)")
      ->capture_default_str()
      ->check(examples::kEpochs);
  train_command->add_option("--batch-size", t.batch_size, "training batch size")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  train_command->add_option("--lr", t.lr, "both Adams' learning rate")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  train_command->add_option("--seed", t.seed, "seed for the initial weights, noise and shuffling")
      ->capture_default_str();
  train_command->add_option("--threads", t.threads, "threads (0: OpenMP's default)")->check(examples::kThreads);
  train_command->add_option("--save", t.save_dir, "folder for the sample pictures, losses.csv and checkpoint");
  examples::add_export_onnx_option(*train_command, t.onnx_path);
  train_command->add_option("--resume", t.resume, "continue from this checkpoint");
  train_command->add_option("--classifier", t.classifier,
                            "the MNIST example's checkpoint, to score samples (tools/run-example mnist --epochs 2)");
  train_command->add_option("--score-samples", t.score_samples, "samples scored per epoch")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  train_command->add_option("--limit", t.limit, "train on the first N images only (smoke tests)")
      ->check(CLI::NonNegativeNumber);
  train_command->add_flag("--quiet", t.quiet, "no progress bar");
  train_command->add_flag("--bf16", t.bf16,
                          "bfloat16 autocast for the forward passes (the discriminator's convs), "
                          "where this CPU runs it faster");
  GenerateOptions g;
  CLI::App* generate_command = app.add_subcommand("generate", "write new samples from a trained generator");
  generate_command->add_option("--model", g.model, "a checkpoint written by dcgan train")->required();
  generate_command->add_option("--count", g.count, "how many images")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  generate_command->add_option("--out", g.out_dir, "folder for sample_NNNN.png and grid.png")->required();
  generate_command->add_option("--seed", g.seed, "seed for the noise")->capture_default_str();
  ScoreOptions sc;
  CLI::App* score_command = app.add_subcommand("score", "score a trained generator's samples with a classifier");
  score_command->add_option("--model", sc.model, "a checkpoint written by dcgan train")->required();
  score_command->add_option("--classifier", sc.classifier, "the MNIST example's checkpoint")->required();
  score_command->add_option("--data", sc.data_dir, "the folder of the real test images")->capture_default_str();
  score_command->add_option("--samples", sc.samples, "how many samples")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  CLI11_PARSE(app, argc, argv);
  try {
    if (*score_command) return score_generator(sc);
    return *train_command ? train(t) : generate(g);
  } catch (const std::exception& e) {  // nabla::Error, or the file system's (a --save path that is a file)
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
