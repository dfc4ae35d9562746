#pragma once
// The DCGAN of ../shared/reference/dcgan_reference.py (pytorch/examples' dcgan scaled to 28×28 grey), layer
// for layer, and what its example does with it: the training step, samples, the picture and the score.
//
// Generator (z: 64 numbers from N(0, 1), seen as 64×1×1):
//   ConvTranspose2d(64, 128, 7, 1, 0, bias=False) + BN + ReLU       1×1 → 7×7
//   ConvTranspose2d(128, 64, 4, 2, 1, bias=False) + BN + ReLU       7×7 → 14×14
//   ConvTranspose2d(64, 1, 4, 2, 1) + Tanh                          14×14 → 28×28
// Discriminator (logits):
//   Conv2d(1, 32, 4, 2, 1) + LeakyReLU(0.2)                         28 → 14
//   Conv2d(32, 64, 4, 2, 1, bias=False) + BN + LeakyReLU(0.2)       14 → 7
//   Conv2d(64, 1, 7, 1, 0) → Flatten                                7 → 1
#include <nabla/nabla.hpp>

#include "common/png.hpp"

namespace dcgan {

constexpr int64_t kNoise = 64;  // the length of z

// Both with pytorch/examples' init: conv weights N(0, 0.02), BatchNorm weights N(1, 0.02), biases 0.
nabla::nn::Sequential make_generator();
nabla::nn::Sequential make_discriminator();

// `count` noise vectors (count × 64 × 1 × 1) from their own generator seeded with `seed`, leaving the global
// random stream where it was: the same seed gives the same batch in every run.
nabla::Tensor fixed_noise(int64_t count, uint64_t seed);

// Two networks and their Adam optimizers (lr 2e-4, betas (0.5, 0.999)), as the twin trains them.
struct Gan {
  explicit Gan(double lr = 2e-4);
  struct Losses {
    float discriminator, generator;
  };
  // One step: D on a real batch (label 1) and a generated one (label 0, detached), then G (label 1), with
  // binary_cross_entropy_with_logits. `real` in [-1, 1]. bf16: the forward passes under bfloat16 autocast (the
  // discriminator's convs; transposed convs stay float32, as in PyTorch).
  Losses step(const nabla::Tensor& real, bool bf16 = false);

  nabla::nn::Sequential generator, discriminator;
  nabla::optim::Adam generator_optimizer, discriminator_optimizer;
};

// Images from `noise` through the generator in eval mode (running BatchNorm statistics), in [0, 1], batches of
// at most 1000.
nabla::Tensor sample(nabla::nn::Sequential& generator, const nabla::Tensor& noise);

// Images (N, 1, H, W) in [0, 1] as one picture: rows of `columns` images, `padding` pixels apart.
examples::GreyImage grid(const nabla::Tensor& images, int64_t columns = 8, int64_t padding = 2);
// One image (1, H, W) or (H, W) in [0, 1].
examples::GreyImage picture(const nabla::Tensor& image);

// exp(E_x KL(p(y|x) ‖ p(y))): the Inception-score formula, with `probabilities` (N, classes) a classifier's
// p(y|x). Between 1 and the number of classes; higher when each image is clearly one class and the classes are
// balanced.
double inception_score(const nabla::Tensor& probabilities);

}  // namespace dcgan
