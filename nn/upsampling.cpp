#include "nabla/nn/upsampling.hpp"

#include "nabla/core/error.hpp"
#include "nabla/ops/shape_ops.hpp"

namespace nabla::nn {

Upsample::Upsample(const UpsampleOptions& opts) : options(opts) {
  NABLA_CHECK(options.size.empty() != options.scale_factor.empty(),
              "Upsample: either size or scale_factor should be defined, not both and not neither");
}

Tensor Upsample::forward(const Tensor& input) { return interpolate(input, options); }

namespace {
// One value as itself, several as a Python tuple: "2.0", "(4, 5)".
template <class T, class Format>
std::string one_or_tuple(const std::vector<T>& values, Format format) {
  if (values.size() == 1) return format(values[0]);
  std::string s = "(";
  for (size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + format(values[i]);
  return s + ")";
}
}  // namespace

std::string Upsample::extra_repr() const {
  // PyTorch's: "scale_factor=2.0, mode=nearest" or "size=(4, 5), mode=bilinear".
  const std::string what = options.scale_factor.empty()
                               ? "size=" + one_or_tuple(options.size, [](int64_t v) { return std::to_string(v); })
                               : "scale_factor=" + one_or_tuple(options.scale_factor, python_float);
  return what + ", mode=" + options.mode;
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
