#include "nabla/nn/upsampling.hpp"

#include "nabla/core/error.hpp"
#include "nabla/ops/shape_ops.hpp"

namespace nabla::nn {

Upsample::Upsample(const UpsampleOptions& opts) : options(opts) {
  NABLA_CHECK(options.size.empty() != options.scale_factor.empty(),
              "Upsample: either size or scale_factor should be defined, not both and not neither");
}

Tensor Upsample::forward(const Tensor& input) { return interpolate(input, options); }

std::string Upsample::extra_repr() const {
  // PyTorch's: "scale_factor=2.0, mode=nearest" or "size=(4, 5), mode=bilinear".
  std::string s;
  if (!options.scale_factor.empty()) {
    s = "scale_factor=";
    if (options.scale_factor.size() == 1) {
      s += python_float(options.scale_factor[0]);
    } else {
      s += "(";
      for (size_t i = 0; i < options.scale_factor.size(); ++i)
        s += (i ? ", " : "") + python_float(options.scale_factor[i]);
      s += ")";
    }
  } else {
    s = "size=";
    if (options.size.size() == 1) {
      s += std::to_string(options.size[0]);
    } else {
      s += "(";
      for (size_t i = 0; i < options.size.size(); ++i) s += (i ? ", " : "") + std::to_string(options.size[i]);
      s += ")";
    }
  }
  return s + ", mode=" + options.mode;
}

PixelShuffle::PixelShuffle(const PixelShuffleOptions& opts) : options(opts) {
  check_required("PixelShuffle", "upscale_factor", options.upscale_factor);
}
Tensor PixelShuffle::forward(const Tensor& input) { return pixel_shuffle(input, options.upscale_factor); }
std::string PixelShuffle::extra_repr() const { return "upscale_factor=" + std::to_string(options.upscale_factor); }

PixelUnshuffle::PixelUnshuffle(const PixelUnshuffleOptions& opts) : options(opts) {
  check_required("PixelUnshuffle", "downscale_factor", options.downscale_factor);
}
Tensor PixelUnshuffle::forward(const Tensor& input) { return pixel_unshuffle(input, options.downscale_factor); }
std::string PixelUnshuffle::extra_repr() const {
  return "downscale_factor=" + std::to_string(options.downscale_factor);
}

}  // namespace nabla::nn
