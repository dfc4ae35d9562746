// The pytorch/examples MNIST network, layer for layer, trained on Fashion-MNIST (or any MNIST-format
// folder) with Adam. It reads top to bottom like its PyTorch twin, ../shared/reference/mnist_reference.py.
//
//   mnist --epochs 3 --save runs/mnist          # trains, evaluates, checkpoints after each epoch
//   mnist --resume runs/mnist/checkpoint.safetensors --epochs 5
//   mpirun -np 2 mnist ...                      # data parallel: --batch-size per rank; rank 0 reports and saves
#include <CLI/CLI.hpp>
#include <nabla/nabla.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>

#include "common/checkpoint.hpp"
#include "common/onnx_export.hpp"
#include "common/cli.hpp"
#include "common/quantize.hpp"
#include "common/report.hpp"
#include "mnist/net.hpp"

using namespace nabla;

// Where the ranks other than 0 send what rank 0 prints.
std::ostream& null_stream() {
  static std::ostream sink(nullptr);
  return sink;
}

struct Evaluation {
  double loss;
  double accuracy;  // percent
};

// Over the whole test set: each rank evaluates its slice, the sums are added up across ranks.
Evaluation evaluate(Net& model, const data::Mnist& test, int64_t batch_size, bool bf16) {
  model.eval();
  NoGradGuard no_grad;
  AutocastGuard autocast(kBFloat16, bf16);
  const int64_t rank = distributed::rank(), ranks = distributed::world_size();
  const int64_t begin = test.size() * rank / ranks, end = test.size() * (rank + 1) / ranks;
  double loss = 0;
  int64_t correct = 0;
  for (int64_t i = begin, n = 0; i < end; i += n) {  // not i += batch_size: it may be as large as INT64_MAX
    n = std::min(batch_size, end - i);
    const Tensor output = model(test.images.narrow(0, i, n));
    const Tensor target = test.labels.narrow(0, i, n);
    loss += F::nll_loss(output, target, {.reduction = Reduction::sum}).item<float>();
    correct += (output.argmax(1) == target).sum().item<int64_t>();
  }
  Tensor sums = from_vector(std::vector<float>{static_cast<float>(loss), static_cast<float>(correct)}, {2});
  distributed::all_reduce(sums);
  model.train();
  const auto total = sums.to_vector<float>();
  return {total[0] / static_cast<double>(test.size()), 100.0 * total[1] / static_cast<double>(test.size())};
}

int main(int argc, char** argv) {
  CLI::App app{"Trains the pytorch/examples MNIST CNN on an MNIST-format data set with Nabla."};
  std::string data_dir = "/usr/share/datasets/fashion-mnist", save_dir, resume, log_csv, onnx_path;
  int epochs = 3, threads = 0;
  int64_t batch_size = 64, test_batch_size = 1000, limit = 0;
  double lr = 1e-3;
  uint64_t seed = 1;
  bool quiet = false, winograd = false, bf16 = false, int8 = false;
  std::string comm_hook = "allreduce";
  app.add_option("--data", data_dir, "folder of {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]")
      ->capture_default_str();
  app.add_option("--epochs", epochs, "epochs to train (in total, when resuming)")
      ->capture_default_str()
      ->check(examples::kEpochs);
  app.add_option("--batch-size", batch_size, "training batch size")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--test-batch-size", test_batch_size, "evaluation batch size")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--lr", lr, "Adam learning rate")->capture_default_str();
  app.add_option("--seed", seed, "seed for the initial weights, dropout and shuffling")->capture_default_str();
  app.add_option("--threads", threads, "threads (0: OpenMP's default)")->check(examples::kThreads);
  app.add_option("--save", save_dir, "folder for checkpoint.safetensors, metrics.csv and training_curve.svg");
  app.add_option("--resume", resume, "continue from this checkpoint");
  app.add_option("--log-csv", log_csv, "metrics CSV path (default: <save>/metrics.csv)");
  app.add_option("--limit", limit, "train on the first N images only (smoke tests)")->check(CLI::NonNegativeNumber);
  app.add_flag("--quiet", quiet, "no progress bar");
  app.add_option("--comm-hook", comm_hook, "under mpirun, how gradients travel: allreduce (float32) or bf16 (half the "
                 "bytes)")
      ->capture_default_str()
      ->check(CLI::IsMember({"allreduce", "bf16"}));
  app.add_flag("--bf16", bf16, "bfloat16 autocast (convs and linears in bfloat16, where this CPU runs it faster)");
  app.add_flag("--int8", int8,
               "after training, quantize to int8 (calibrated on 1,000 training images) and evaluate "
               "beside float32: accuracy and speed");
  examples::add_export_onnx_option(app, onnx_path);
  app.add_flag("--winograd", winograd, "run conv2 with oneDNN's Winograd algorithm: faster, less exact");
  CLI11_PARSE(app, argc, argv);

  distributed::Session session;                // under mpirun: one of its ranks; alone: a world of one
  const bool lead = distributed::rank() == 0;  // rank 0 reports and writes the files
  std::ostream& out = lead ? std::cout : null_stream();
  try {
    if (threads > 0) set_num_threads(threads);
    const data::Mnist train = data::load_mnist(data_dir, {.train = true});
    const data::Mnist test = data::load_mnist(data_dir, {.train = false});
    const Tensor train_images = limit > 0 ? train.images.narrow(0, 0, std::min(limit, train.size())) : train.images;
    const Tensor train_labels = limit > 0 ? train.labels.narrow(0, 0, std::min(limit, train.size())) : train.labels;
    out << "data: " << train_images.size(0) << " training and " << test.size() << " test images from " << data_dir
        << ", " << get_num_threads() << " threads" << (distributed::world_size() > 1 ? " per rank, " : "")
        << (distributed::world_size() > 1 ? std::to_string(distributed::world_size()) + " ranks" : "") << "\n";

    manual_seed(seed);
    Net model(winograd);
    optim::Adam optimizer(model.parameters(), {.lr = lr});
    out << model << "\n";
    int first_epoch = 1;
    std::optional<examples::Checkpoint> checkpoint;
    if (!resume.empty()) {
      checkpoint = examples::load_checkpoint(resume, "mnist");
      model.load_state_dict(checkpoint->part("model"));
      optimizer.load_state_dict(checkpoint->part("optimizer"));
      first_epoch = checkpoint->epoch + 1;  // size-checked: below kMaxEpochs
      optimizer.set_lr(lr);
      out << "resumed from " << resume << " after epoch " << first_epoch - 1 << "\n";
    }
    // Data parallel: every rank starts from rank 0's weights; the gradients are averaged during backward. With
    // one process it adds nothing. Each rank then draws its own dropout masks; resumed, from where the
    // checkpoint's run left its generator, so the run goes on as if never interrupted.
    nn::DistributedDataParallel ddp(model);
    if (comm_hook == "bf16") ddp.register_comm_hook(nn::CommHook::bf16_compress);
    manual_seed(seed + static_cast<uint64_t>(distributed::rank()));
    if (checkpoint && !examples::restore_rng_state(*checkpoint))
      out << "note: " << resume << " has no random generator states for " << distributed::world_size()
          << " rank(s): dropout is reseeded, so this run will differ from an uninterrupted one\n";
    if (!save_dir.empty() && lead) {
      std::filesystem::create_directories(save_dir);
      check_writable_file(save_dir + "/checkpoint.safetensors", "mnist");  // refused now, not after an epoch
    }
    if (!onnx_path.empty() && lead) check_writable_file(onnx_path, "mnist");
    if (log_csv.empty() && !save_dir.empty()) log_csv = save_dir + "/metrics.csv";
    examples::MetricsLog metrics(lead ? log_csv : "", lead && !save_dir.empty() ? save_dir + "/training_curve.svg" : "",
                                 "MNIST CNN (Nabla)", first_epoch);

    data::DataLoaderOptions loading{.batch_size = batch_size, .shuffle = true, .seed = seed};
    if (distributed::world_size() > 1) {  // each rank its share, reshuffled every epoch the same way on all ranks
      loading.shuffle = false;             // the sampler shuffles (PyTorch refuses both)
      loading.sampler = data::DistributedSampler(train_images.size(0), {.seed = seed});
    }
    data::DataLoader loader(train_images, train_labels, loading);
    // Each batch's gradients are averaged across the ranks: they must all take the same number of steps.
    distributed::check_same_across_ranks(loader.num_batches(),
                                         "the training batches per epoch (each rank's --limit, "
                                         "--batch-size and data must agree)");
    for (int epoch = first_epoch; epoch <= epochs; ++epoch) {
      const bool show = lead && !quiet;
      ProgressBar bar("epoch " + std::to_string(epoch), loader.num_batches(), show ? std::cout : std::clog,
                      show ? 100 : 1 << 30, "img");
      const auto start = std::chrono::steady_clock::now();
      double loss_sum = 0;
      int64_t seen = 0, step = 0;
      for (auto& [x, y] : loader.epoch(epoch)) {
        optimizer.zero_grad();
        Tensor loss;
        {
          AutocastGuard autocast(kBFloat16, bf16);  // the forward only, as PyTorch recommends
          loss = F::nll_loss(ddp(x), y);
        }
        loss.backward();
        optimizer.step();
        const float value = loss.item<float>();
        loss_sum += value * static_cast<double>(x.size(0));
        seen += x.size(0);
        if (show) bar.update(++step, seen, "loss " + std::to_string(value).substr(0, 6));
      }
      Tensor totals = from_vector(std::vector<float>{static_cast<float>(loss_sum), static_cast<float>(seen)}, {2});
      distributed::all_reduce(totals);  // over every rank's images
      loss_sum = totals.to_vector<float>()[0];
      seen = static_cast<int64_t>(totals.to_vector<float>()[1]);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (show) bar.finish("loss " + std::to_string(loss_sum / static_cast<double>(seen)).substr(0, 6));
      const Evaluation result = evaluate(model, test, test_batch_size, bf16);
      if (lead)
        std::printf("epoch %d: train loss %.4f, test loss %.4f, test accuracy %.2f%%, %.1f s, %.0f img/s\n", epoch,
                    loss_sum / static_cast<double>(seen), result.loss, result.accuracy, seconds,
                    static_cast<double>(seen) / seconds);
      metrics.add({epoch, loss_sum / static_cast<double>(seen), result.loss, result.accuracy, seconds,
                   static_cast<double>(seen) / seconds});
      if (save_dir.empty()) continue;
      const nabla::Metadata rng = examples::rng_states_of_all_ranks();  // every rank takes part
      if (lead)
        examples::save_checkpoint(save_dir + "/checkpoint.safetensors",
                                  {{"model", model.state_dict()}, {"optimizer", optimizer.state_dict()}}, epoch,
                                  "nabla mnist example", rng);
    }
    if (!save_dir.empty())
      out << "saved " << save_dir << "/{checkpoint.safetensors, metrics.csv, training_curve.svg}\n";
    if (lead) examples::export_onnx(model, test.images.narrow(0, 0, 1), onnx_path);
    if (int8)
      examples::report_int8(
          model, [&] { return evaluate(model, test, test_batch_size, false).accuracy; },
          [&] { examples::calibrate(model, train_images, 1000, test_batch_size); }, test.size(), "img");
  } catch (const std::exception& e) {  // nabla::Error, or the file system's (a --save path that is a file)
    if (distributed::world_size() > 1) distributed::abort(1, std::string("error: ") + e.what());  // the whole job
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
