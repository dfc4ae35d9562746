#pragma once
/// @file
/// Upsample (over F::interpolate), PixelShuffle and PixelUnshuffle, as torch.nn has them.
/// @ingroup layers_pool
#include "nabla/nn/module.hpp"
#include "nabla/ops/interpolate.hpp"

namespace nabla::nn {
/// @addtogroup layers_pool
/// @{

using UpsampleOptions = InterpolateOptions;  ///< the options of nn::Upsample (F::interpolate's)

/// torch.nn.Upsample: F::interpolate with the layer's options.
class Upsample : public Layer<Upsample> {
 public:
  explicit Upsample(const UpsampleOptions& options);  ///< checks the options once
  Tensor forward(const Tensor& input);                ///< input (N, C, *spatial) resized
  std::string extra_repr() const override;

  UpsampleOptions options;  ///< as constructed
};

/// The options of nn::PixelShuffle.
struct PixelShuffleOptions {
  int64_t upscale_factor = kRequired;  ///< r: (*, C·r², H, W) → (*, C, H·r, W·r) (required)
};

/// (*, C·r², H, W) → (*, C, H·r, W·r).
class PixelShuffle : public Layer<PixelShuffle> {
 public:
  explicit PixelShuffle(const PixelShuffleOptions& options);  ///< checks the options once
  Tensor forward(const Tensor& input);                        ///< F::pixel_shuffle(input, upscale_factor)
  std::string extra_repr() const override;

  PixelShuffleOptions options;  ///< as constructed
};

/// The options of nn::PixelUnshuffle.
struct PixelUnshuffleOptions {
  int64_t downscale_factor = kRequired;  ///< r: (*, C, H·r, W·r) → (*, C·r², H, W) (required)
};

/// (*, C, H·r, W·r) → (*, C·r², H, W).
class PixelUnshuffle : public Layer<PixelUnshuffle> {
 public:
  explicit PixelUnshuffle(const PixelUnshuffleOptions& options);  ///< checks the options once
  Tensor forward(const Tensor& input);                            ///< F::pixel_unshuffle(input, downscale_factor)
  std::string extra_repr() const override;

  PixelUnshuffleOptions options;  ///< as constructed
};

/// @}
}  // namespace nabla::nn
