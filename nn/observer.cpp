#include "nabla/nn/observer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "nabla/autograd/grad_mode.hpp"
#include "nabla/core/error.hpp"
#include "nabla/ops/reduction.hpp"

namespace nabla::quantization {

namespace {

bool symmetric(QScheme scheme) {
  return scheme == QScheme::PerTensorSymmetric || scheme == QScheme::PerChannelSymmetric;
}
bool per_channel(QScheme scheme) {
  return scheme == QScheme::PerChannelAffine || scheme == QScheme::PerChannelSymmetric;
}

}  // namespace

Tensor Observer::float_values(const Tensor& x, const char* who) {
  NABLA_CHECK(x.defined() && (x.dtype() == kFloat32 || x.dtype() == kBFloat16), who,
              ": observes float32 (or bfloat16) tensors, got ",
              x.defined() ? std::string(x.is_quantized() ? "a quantized " : "") + dtype_name(x.dtype())
                          : std::string("an undefined tensor"));
  return (x.dtype() == kFloat32 ? x.detach() : x.detach().to(kFloat32)).contiguous();
}

Observer::Observer(const ObserverOptions& o) : options(o) {
  NABLA_CHECK(o.dtype == kUInt8 || o.dtype == kInt8,
              "Observer: dtype must be kUInt8 (torch.quint8) or kInt8 "
              "(torch.qint8), got ",
              dtype_name(o.dtype));
}

QParams Observer::qparams_for(const std::vector<float>& min_vals, const std::vector<float>& max_vals) const {
  const bool unsigned_8 = options.dtype == kUInt8;
  int64_t quant_min = unsigned_8 ? 0 : -128, quant_max = unsigned_8 ? 255 : 127;
  if (options.reduce_range) {
    quant_min /= 2;
    quant_max /= 2;
  }
  const float eps = std::numeric_limits<float>::epsilon();
  QParams q;
  q.scheme = per_channel(options.qscheme) ? QScheme::PerChannelAffine : QScheme::PerTensorAffine;
  q.axis = options.ch_axis;
  for (size_t i = 0; i < min_vals.size(); ++i) {
    const float min_neg = std::min(min_vals[i], 0.f), max_pos = std::max(max_vals[i], 0.f);
    float scale;
    int64_t zero_point;
    if (symmetric(options.qscheme)) {
      scale = std::max(std::max(-min_neg, max_pos) / (static_cast<float>(quant_max - quant_min) / 2), eps);
      zero_point = unsigned_8 ? 128 : 0;
    } else {
      scale = std::max((max_pos - min_neg) / static_cast<float>(quant_max - quant_min), eps);
      zero_point =
          std::clamp<int64_t>(quant_min - static_cast<int64_t>(std::nearbyint(min_neg / scale)), quant_min, quant_max);
    }
    q.scales.push_back(scale);
    q.zero_points.push_back(zero_point);
  }
  return q;
}

MinMaxObserver::MinMaxObserver(const ObserverOptions& o)
    : Observer(o), min_val(std::numeric_limits<float>::infinity()), max_val(-std::numeric_limits<float>::infinity()) {
  NABLA_CHECK(!per_channel(o.qscheme), "MinMaxObserver: qscheme ", qscheme_name(o.qscheme),
              " is per channel: use PerChannelMinMaxObserver");
}

Tensor MinMaxObserver::forward(const Tensor& x) {
  if (x.defined() && x.numel() == 0) return x;  // as PyTorch: an empty batch changes nothing
  const Tensor values = float_values(x, "MinMaxObserver");
  NoGradGuard no_grad;
  min_val = std::min(min_val, values.min().item<float>());
  max_val = std::max(max_val, values.max().item<float>());
  return x;
}

QParams MinMaxObserver::calculate_qparams() const {
  NABLA_CHECK(min_val <= max_val,
              "MinMaxObserver: nothing was observed (run calibration batches through the "
              "model before quantization::convert)");
  return qparams_for({min_val}, {max_val});
}

PerChannelMinMaxObserver::PerChannelMinMaxObserver(const ObserverOptions& o) : Observer(o) {
  NABLA_CHECK(per_channel(o.qscheme), "PerChannelMinMaxObserver: qscheme ", qscheme_name(o.qscheme),
              " is per tensor: use MinMaxObserver");
}

Tensor PerChannelMinMaxObserver::forward(const Tensor& x) {
  if (x.defined() && x.numel() == 0) return x;
  const Tensor values = float_values(x, "PerChannelMinMaxObserver");
  NABLA_CHECK(options.ch_axis >= 0 && options.ch_axis < values.dim(), "PerChannelMinMaxObserver: ch_axis ",
              options.ch_axis, " is out of range for a tensor of shape ", shape_str(values.shape()));
  const int64_t channels = values.size(options.ch_axis);
  NABLA_CHECK(min_vals.empty() || static_cast<int64_t>(min_vals.size()) == channels,
              "PerChannelMinMaxObserver: ", "observed ", min_vals.size(), " channels before, now ", channels);
  NoGradGuard no_grad;
  const Tensor rows = values.transpose(0, options.ch_axis).reshape({channels, -1});
  const std::vector<float> mins = std::get<0>(rows.min(1)).to_vector<float>();
  const std::vector<float> maxs = std::get<0>(rows.max(1)).to_vector<float>();
  if (min_vals.empty()) {
    min_vals = mins;
    max_vals = maxs;
    return x;
  }
  for (size_t c = 0; c < mins.size(); ++c) {
    min_vals[c] = std::min(min_vals[c], mins[c]);
    max_vals[c] = std::max(max_vals[c], maxs[c]);
  }
  return x;
}

QParams PerChannelMinMaxObserver::calculate_qparams() const {
  NABLA_CHECK(!min_vals.empty(), "PerChannelMinMaxObserver: nothing was observed");
  return qparams_for(min_vals, max_vals);
}

}  // namespace nabla::quantization
