#include "nabla/nn/padding.hpp"

#include "nabla/core/error.hpp"
#include "nabla/ops/pad.hpp"

namespace nabla::nn {

namespace {
const char* const kPrefix[] = {"ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad", "CircularPad"};
const char* const kMode[] = {"constant", "constant", "reflect", "replicate", "circular"};

std::string tuple(const std::vector<int64_t>& values) {
  std::string s = "(";
  for (size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + std::to_string(values[i]);
  return s + ")";
}
}  // namespace

template <size_t D, PadMode Mode>
PadNd<D, Mode>::PadNd(const PadOptions& opts) : options(opts) {
  check_required(name(), "padding", options.padding.values);
  const auto& p = options.padding.values;
  NABLA_CHECK(p.size() == 1 || p.size() == 2 * D, name(), ": padding must be one number or ", 2 * D,
              " numbers (left, right, ...), got ", p.size());
  pads_ = p.size() == 1 ? std::vector<int64_t>(2 * D, p[0]) : p;
}

template <size_t D, PadMode Mode>
Tensor PadNd<D, Mode>::forward(const Tensor& input) {
  NABLA_CHECK(input.dim() == D + 1 || input.dim() == D + 2, name(), ": expected ", D + 1, "D or ", D + 2,
              "D input, got ", shape_str(input.shape()));
  return pad(input, pads_, kMode[static_cast<int>(Mode)], Mode == PadMode::Constant ? options.value : 0.0);
}

template <size_t D, PadMode Mode>
std::string PadNd<D, Mode>::name() const {
  return kPrefix[static_cast<int>(Mode)] + std::to_string(D) + "d";
}

template <size_t D, PadMode Mode>
std::string PadNd<D, Mode>::extra_repr() const {
  if (Mode == PadMode::Constant) return "padding=" + tuple(pads_) + ", value=" + python_float(options.value);
  return tuple(pads_);
}

#define NABLA_PAD_MODES(D)                       \
  template class PadNd<D, PadMode::Zero>;        \
  template class PadNd<D, PadMode::Constant>;    \
  template class PadNd<D, PadMode::Reflection>;  \
  template class PadNd<D, PadMode::Replication>; \
  template class PadNd<D, PadMode::Circular>;
NABLA_PAD_MODES(1)
NABLA_PAD_MODES(2)
NABLA_PAD_MODES(3)
#undef NABLA_PAD_MODES

}  // namespace nabla::nn
