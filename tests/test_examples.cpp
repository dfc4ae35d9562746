// The MobileNet and DCGAN examples' parts: the summary's counts against numbers worked out by hand, the folded
// inference network against the trained one in eval mode, short training runs on a subset of Fashion-MNIST,
// the score, the sample grid and the PNG writer.
#include "helpers.hpp"

#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>

#include "common/checkpoint.hpp"
#include "dcgan/gan.hpp"
#include "mobilenet/net.hpp"

using namespace nabla;
using nabla::test::check_close;
namespace F = nabla::nn::functional;

namespace {

const char* kFashion = "/usr/share/datasets/fashion-mnist";

double mean_of(const std::vector<double>& v, size_t from, size_t to) {
  return std::accumulate(v.begin() + static_cast<std::ptrdiff_t>(from), v.begin() + static_cast<std::ptrdiff_t>(to),
                         0.0) /
         static_cast<double>(to - from);
}

}  // namespace

TEST_CASE("MobileNet summary: parameters and multiply-adds as worked out by hand") {
  const mobilenet::Summary s = mobilenet::summarize();
  // stem 1·32·9 + BN 64; per block: depthwise in·9 + 2·in, pointwise in·out + 2·out; linear 256·10 + 10
  const int64_t blocks_params = (32 * 9 + 64 + 32 * 64 + 128) + (64 * 9 + 128 + 64 * 128 + 256) +
                                (128 * 9 + 256 + 128 * 128 + 256) + (128 * 9 + 256 + 128 * 256 + 512) +
                                (256 * 9 + 512 + 256 * 256 + 512);
  CHECK(s.parameters == 352 + blocks_params + 2570);
  CHECK(s.parameters == 136202);  // what mobilenet_reference.py prints for its model
  manual_seed(0);
  CHECK(mobilenet::make_model().num_parameters() == s.parameters);
  // Multiply-adds per image: output positions × weights of each conv, 256·10 for the linear layer.
  const int64_t convs = 28 * 28 * 32 * 9 + (28 * 28 * 32 * 9 + 28 * 28 * 64 * 32) +
                        (14 * 14 * 64 * 9 + 14 * 14 * 128 * 64) + (14 * 14 * 128 * 9 + 14 * 14 * 128 * 128) +
                        (7 * 7 * 128 * 9 + 7 * 7 * 256 * 128) + (7 * 7 * 256 * 9 + 7 * 7 * 256 * 256);
  CHECK(s.mult_adds == convs + 2560);
  CHECK(s.layers.size() == 13);
  CHECK(s.layers[4].name == "ds2.pointwise");
  CHECK((s.layers[4].channels == 128 && s.layers[4].height == 14 && s.layers[4].width == 14));
  // Each block as one standard 3×3 conv + BN instead.
  CHECK(s.standard_parameters == 352 + 2570 + (32 * 64 * 9 + 128) + (64 * 128 * 9 + 256) + (128 * 128 * 9 + 256) +
                                     (128 * 256 * 9 + 512) + (256 * 256 * 9 + 512));
  CHECK(s.standard_mult_adds == 28 * 28 * 32 * 9 + 2560 + 28 * 28 * 64 * 32 * 9 + 14 * 14 * 128 * 64 * 9 +
                                    14 * 14 * 128 * 128 * 9 + 7 * 7 * 256 * 128 * 9 + 7 * 7 * 256 * 256 * 9);
  CHECK(mobilenet::to_string(s).find("8.3x fewer parameters") != std::string::npos);
}

TEST_CASE("MobileNet: a short training run lowers the loss; the folded network computes what eval mode does") {
  const data::Mnist train = data::load_mnist(kFashion, {.train = true});
  manual_seed(3);
  nn::Sequential model = mobilenet::make_model();
  optim::Adam optimizer(model.parameters(), {.lr = 2e-3});
  optim::lr_scheduler::CosineAnnealingLR schedule(optimizer, 200);
  data::DataLoader loader(train.images.narrow(0, 0, 3200), train.labels.narrow(0, 0, 3200),
                          {.batch_size = 32, .shuffle = true, .seed = 3});
  std::vector<double> losses;
  for (int64_t epoch = 0; losses.size() < 200; ++epoch) {
    for (auto& [x, y] : loader.epoch(epoch)) {
      if (losses.size() == 200) break;
      optimizer.zero_grad();
      const Tensor loss = F::cross_entropy(model(x), y);
      loss.backward();
      optimizer.step();
      schedule.step();
      losses.push_back(loss.item<float>());
    }
  }
  CHECK(schedule.get_last_lr()[0] == doctest::Approx(0.0).epsilon(1e-12));  // annealed to eta_min over the run
  INFO("first 25 steps' mean loss ", mean_of(losses, 0, 25), ", last 25 ", mean_of(losses, 175, 200));
  CHECK(mean_of(losses, 175, 200) < 0.6 * mean_of(losses, 0, 25));

  model.eval();
  nn::Sequential folded = mobilenet::fold_batchnorm(model);
  NoGradGuard no_grad;
  const Tensor x = train.images.narrow(0, 3200, 64);
  check_close(folded(x), model(x), 1e-4, 1e-4);
  CHECK(folded.num_parameters() < model.num_parameters());  // no BatchNorm parameters left
}

TEST_CASE(
    "DCGAN: the networks' shapes, and a short run in which the discriminator neither wins outright nor "
    "diverges") {
  manual_seed(5);
  dcgan::Gan gan;
  CHECK(gan.generator(dcgan::fixed_noise(3, 1)).shape() == Shape{3, 1, 28, 28});
  CHECK(gan.discriminator(zeros({3, 1, 28, 28})).shape() == Shape{3, 1});
  CHECK(gan.generator.num_parameters() == 64 * 128 * 49 + 256 + 128 * 64 * 16 + 128 + 64 * 16 + 1);
  CHECK(gan.discriminator.num_parameters() == 16 * 32 + 32 + 32 * 64 * 16 + 128 + 64 * 49 + 1);

  const Tensor real = data::load_mnist(kFashion, {.train = true, .mean = 0.5, .std = 0.5}).images.narrow(0, 0, 9600);
  std::vector<double> d_losses, g_losses;
  for (int64_t step = 0; step < 300; ++step) {
    const auto losses = gan.step(real.narrow(0, (step * 64) % 9600, 64));
    d_losses.push_back(losses.discriminator);
    g_losses.push_back(losses.generator);
  }
  for (size_t i = 0; i < d_losses.size(); ++i) REQUIRE((std::isfinite(d_losses[i]) && std::isfinite(g_losses[i])));
  const double late_d = mean_of(d_losses, 250, 300), late_g = mean_of(g_losses, 250, 300);
  INFO("last 50 steps: D loss ", late_d, ", G loss ", late_g);
  CHECK(late_d > 0.05);  // D has not collapsed to a sure win (the generator still fools it sometimes)
  CHECK(late_d < 2.0);   // nor lost all sense of real and fake (log 4 ≈ 1.39 is a coin toss)
  CHECK(late_g < 10.0);

  const Tensor samples = dcgan::sample(gan.generator, dcgan::fixed_noise(10, 2));
  CHECK(samples.shape() == Shape{10, 1, 28, 28});
  CHECK(samples.min().item<float>() >= 0.f);
  CHECK(samples.max().item<float>() <= 1.f);
  CHECK(gan.generator.is_training());  // sampling put it back in training mode
  // The same seed gives the same noise, and leaves the global stream where it was.
  manual_seed(9);
  const float next = randn({1}).item<float>();
  manual_seed(9);
  check_close(dcgan::fixed_noise(4, 11), dcgan::fixed_noise(4, 11), 0, 0);
  CHECK(randn({1}).item<float>() == next);
}

TEST_CASE("Inception-score formula: 1 for identical predictions, the class count for sure and balanced ones") {
  CHECK(dcgan::inception_score(full({6, 3}, 1.0 / 3)) == doctest::Approx(1.0));
  CHECK(dcgan::inception_score(from_vector(std::vector<float>{1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1},
                                           {6, 3})) == doctest::Approx(3.0));
  // Sure but unbalanced (2:1): exp(H(p(y))) = exp(-(2/3 log 2/3 + 1/3 log 1/3)).
  CHECK(dcgan::inception_score(from_vector(std::vector<float>{1, 0, 1, 0, 0, 1}, {3, 2})) ==
        doctest::Approx(std::exp(-(2.0 / 3 * std::log(2.0 / 3) + 1.0 / 3 * std::log(1.0 / 3)))));
  CHECK_THROWS_WITH_AS(dcgan::inception_score(zeros({4})), doctest::Contains("inception_score"), Error);
}

TEST_CASE("sample grid and PNG files: written, read back pixel for pixel; a damaged file is refused by name") {
  // Two 2×3 images: pixel values 0, 0.2, ..., 1 and their reverse.
  const Tensor images =
      from_vector(std::vector<float>{0, 0.2f, 0.4f, 0.6f, 0.8f, 1, 1, 0.8f, 0.6f, 0.4f, 0.2f, 0}, {2, 1, 2, 3});
  const examples::GreyImage g = dcgan::grid(images, 2, 1);
  CHECK(g.width == 2 * (3 + 1) + 1);
  CHECK(g.height == 2 + 2);
  CHECK(g.pixels[0] == 0);  // the padding
  CHECK(g.pixels[1 * g.width + 1] == 0);
  CHECK(g.pixels[1 * g.width + 2] == 51);
  CHECK(g.pixels[2 * g.width + 3] == 255);
  CHECK(g.pixels[1 * g.width + 5] == 255);  // the second image starts at column 1 + 3 + 1

  const auto dir = std::filesystem::temp_directory_path() / "nabla_test_png";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "grid.png").string();
  examples::write_png(path, g);
  const examples::GreyImage back = examples::read_png(path);
  CHECK(back.width == g.width);
  CHECK(back.height == g.height);
  CHECK(back.pixels == g.pixels);
  CHECK(!std::filesystem::exists(path + ".tmp"));

  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 20);  // cut inside the image data
  CHECK_THROWS_WITH_AS(examples::read_png(path), doctest::Contains("grid.png"), Error);
  std::ofstream(path, std::ios::binary) << "not a png at all";
  CHECK_THROWS_WITH_AS(examples::read_png(path), doctest::Contains("grid.png"), Error);
  CHECK_THROWS_WITH_AS(examples::write_png((dir / "no" / "such" / "dir.png").string(), g), doctest::Contains("dir.png"),
                       Error);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a checkpoint whose epoch is out of range is refused, not resumed at epoch + 1") {
  const std::string path = (std::filesystem::temp_directory_path() / "nabla_epoch_range.safetensors").string();
  StateDict model;
  model.insert("w", ones({2}));
  for (const int epoch : {std::numeric_limits<int>::max(), examples::kMaxEpochs}) {
    examples::save_checkpoint(path, {{"model", model}}, epoch, "test");
    CHECK_THROWS_WITH_AS(examples::load_checkpoint(path, "test"), doctest::Contains("no valid epoch"), Error);
  }
  examples::save_checkpoint(path, {{"model", model}}, examples::kMaxEpochs - 1, "test");
  CHECK(examples::load_checkpoint(path, "test").epoch == examples::kMaxEpochs - 1);
  std::filesystem::remove(path);
}
