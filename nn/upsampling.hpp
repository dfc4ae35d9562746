#pragma once
/// @file
/// Upsample (over F::interpolate), PixelShuffle and PixelUnshuffle, as torch.nn has them.
#include "nabla/nn/module.hpp"
#include "nabla/ops/interpolate.hpp"

namespace nabla::nn {

using UpsampleOptions = InterpolateOptions;

class Upsample : public Layer<Upsample> {
 public:
  explicit Upsample(const UpsampleOptions& options);
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  UpsampleOptions options;
};

struct PixelShuffleOptions {
  int64_t upscale_factor = kRequired;
};

/// (*, C·r², H, W) → (*, C, H·r, W·r).
class PixelShuffle : public Layer<PixelShuffle> {
 public:
  explicit PixelShuffle(const PixelShuffleOptions& options);
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  PixelShuffleOptions options;
};

struct PixelUnshuffleOptions {
  int64_t downscale_factor = kRequired;
};

/// (*, C, H·r, W·r) → (*, C·r², H, W).
class PixelUnshuffle : public Layer<PixelUnshuffle> {
 public:
  explicit PixelUnshuffle(const PixelUnshuffleOptions& options);
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  PixelUnshuffleOptions options;
};

}  // namespace nabla::nn
