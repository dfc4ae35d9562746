#include "dcgan/gan.hpp"

#include <algorithm>
#include <cmath>

using namespace nabla;
namespace F = nabla::nn::functional;

namespace dcgan {
namespace {

// pytorch/examples' weights_init, applied to every layer of a network.
void init_weights(nn::Module& module) {
  if (auto* conv = dynamic_cast<nn::Conv2d*>(&module)) nn::init::normal_(conv->weight, 0.0, 0.02);
  if (auto* up = dynamic_cast<nn::ConvTranspose2d*>(&module)) nn::init::normal_(up->weight, 0.0, 0.02);
  if (auto* norm = dynamic_cast<nn::BatchNorm2d*>(&module)) {
    nn::init::normal_(norm->weight, 1.0, 0.02);
    nn::init::zeros_(norm->bias);
  }
}

}  // namespace

nn::Sequential make_generator() {
  nn::Sequential g(
      nn::ConvTranspose2d({.in_channels = kNoise, .out_channels = 128, .kernel_size = 7, .bias = false}),
      nn::BatchNorm2d({.num_features = 128}), nn::ReLU(),
      nn::ConvTranspose2d(
          {.in_channels = 128, .out_channels = 64, .kernel_size = 4, .stride = 2, .padding = 1, .bias = false}),
      nn::BatchNorm2d({.num_features = 64}), nn::ReLU(),
      nn::ConvTranspose2d({.in_channels = 64, .out_channels = 1, .kernel_size = 4, .stride = 2, .padding = 1}),
      nn::Tanh());
  g.apply(init_weights);
  return g;
}

nn::Sequential make_discriminator() {
  nn::Sequential d(
      nn::Conv2d({.in_channels = 1, .out_channels = 32, .kernel_size = 4, .stride = 2, .padding = 1}),
      nn::LeakyReLU({.negative_slope = 0.2}),
      nn::Conv2d({.in_channels = 32, .out_channels = 64, .kernel_size = 4, .stride = 2, .padding = 1, .bias = false}),
      nn::BatchNorm2d({.num_features = 64}), nn::LeakyReLU({.negative_slope = 0.2}),
      nn::Conv2d({.in_channels = 64, .out_channels = 1, .kernel_size = 7}), nn::Flatten());
  d.apply(init_weights);
  return d;
}

Tensor fixed_noise(int64_t count, uint64_t seed) {
  const RngState outside = get_rng_state();
  manual_seed(seed);
  Tensor noise = randn({count, kNoise, 1, 1});
  set_rng_state(outside);
  return noise;
}

Gan::Gan(double lr)
    : generator(make_generator()),
      discriminator(make_discriminator()),
      generator_optimizer(generator.parameters(), {.lr = lr, .betas = {0.5, 0.999}}),
      discriminator_optimizer(discriminator.parameters(), {.lr = lr, .betas = {0.5, 0.999}}) {}

Gan::Losses Gan::step(const Tensor& real, bool bf16) {
  const int64_t n = real.size(0);
  const Tensor is_real = ones({n, 1}), is_fake = zeros({n, 1});
  // Forward passes under autocast when asked; each backward after its guard has closed, as PyTorch recommends.
  const auto forward = [bf16](const auto& compute) {
    AutocastGuard autocast(kBFloat16, bf16);
    return compute();
  };
  const Tensor fake = forward([&] { return generator(randn({n, kNoise, 1, 1})); });

  discriminator_optimizer.zero_grad();
  const Tensor discriminator_loss = forward([&] {
    return F::binary_cross_entropy_with_logits(discriminator(real), is_real) +
           F::binary_cross_entropy_with_logits(discriminator(fake.detach()), is_fake);
  });
  discriminator_loss.backward();
  discriminator_optimizer.step();

  generator_optimizer.zero_grad();  // the generator is judged by the updated discriminator
  const Tensor generator_loss =
      forward([&] { return F::binary_cross_entropy_with_logits(discriminator(fake), is_real); });
  generator_loss.backward();
  generator_optimizer.step();
  return {discriminator_loss.item<float>(), generator_loss.item<float>()};
}

Tensor sample(nn::Sequential& generator, const Tensor& noise) {
  const bool was_training = generator.is_training();
  generator.eval();
  NoGradGuard no_grad;
  std::vector<Tensor> batches;
  for (int64_t i = 0; i < noise.size(0); i += 1000)
    batches.push_back(generator(noise.narrow(0, i, std::min<int64_t>(1000, noise.size(0) - i))));
  generator.train(was_training);
  return (cat(batches) + 1.0) * 0.5;
}

examples::GreyImage grid(const Tensor& images, int64_t columns, int64_t padding) {
  NABLA_CHECK(images.dim() == 4 && images.size(1) == 1 && images.size(0) > 0,
              "grid: expected (N, 1, H, W) images, got ", shape_str(images.shape()));
  const int64_t count = images.size(0), h = images.size(2), w = images.size(3);
  const int64_t rows = (count + columns - 1) / columns;
  examples::GreyImage out{columns * (w + padding) + padding, rows * (h + padding) + padding, {}};
  out.pixels.assign(static_cast<size_t>(out.width * out.height), 0);
  const std::vector<float> values = images.contiguous().to_vector<float>();
  for (int64_t i = 0; i < count; ++i)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        const float v = std::clamp(values[static_cast<size_t>((i * h + y) * w + x)], 0.f, 1.f);
        const int64_t row = padding + (i / columns) * (h + padding) + y,
                      col = padding + (i % columns) * (w + padding) + x;
        out.pixels[static_cast<size_t>(row * out.width + col)] = static_cast<uint8_t>(std::lround(v * 255));
      }
  return out;
}

examples::GreyImage picture(const Tensor& image) {
  const Tensor one = image.reshape({1, 1, image.size(-2), image.size(-1)});
  return grid(one, 1, 0);
}

double inception_score(const Tensor& probabilities) {
  NABLA_CHECK(probabilities.dim() == 2 && probabilities.size(0) > 0,
              "inception_score: expected (N, classes) "
              "probabilities, got ",
              shape_str(probabilities.shape()));
  const int64_t n = probabilities.size(0), classes = probabilities.size(1);
  const std::vector<float> p = probabilities.contiguous().to_vector<float>();
  std::vector<double> marginal(static_cast<size_t>(classes), 0.0);  // p(y), the mean over images
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < classes; ++c) marginal[static_cast<size_t>(c)] += p[static_cast<size_t>(i * classes + c)];
  for (double& m : marginal) m /= static_cast<double>(n);
  double kl = 0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < classes; ++c) {
      const double q = p[static_cast<size_t>(i * classes + c)];
      kl += q * (std::log(q + 1e-12) - std::log(marginal[static_cast<size_t>(c)] + 1e-12));
    }
  return std::exp(kl / static_cast<double>(n));
}

}  // namespace dcgan
