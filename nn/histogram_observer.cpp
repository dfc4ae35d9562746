// torch.ao.quantization.HistogramObserver, step for step in float32 where PyTorch computes in float32 (and in
// double where it computes in Python floats), so that it picks the same range from the same histogram.
#include <algorithm>
#include <cmath>
#include <limits>

#include "nabla/autograd/grad_mode.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/shape.hpp"
#include "nabla/nn/observer.hpp"
#include "nabla/ops/reduction.hpp"

namespace nabla::quantization {

namespace {

// torch.histc(values, bins, min, max) on CPU: a value's bin by linear interpolation in float32, the last bin
// closed on the right, values outside [min, max] not counted. min == max widens the range by one either way.
std::vector<float> histc(const float* values, int64_t n, int64_t bins, float min, float max) {
  if (min == max) {
    min -= 1;
    max += 1;
  }
  std::vector<float> counts(static_cast<size_t>(bins), 0.f);
  const float width = max - min;  // 0 when ±1 is lost in a huge value's rounding: every value is in bin 0
  for (int64_t i = 0; i < n; ++i) {
    const float v = values[i];
    if (!(v >= min && v <= max)) continue;
    int64_t bin = width > 0 ? static_cast<int64_t>((v - min) * static_cast<float>(bins) / width) : 0;
    if (bin == bins) --bin;
    counts[static_cast<size_t>(bin)] += 1.f;
  }
  return counts;
}

// torch.div(a, b, rounding_mode='floor') for floats (ATen's div_floor_floating).
float floor_divide(float a, float b) {
  const float mod = std::fmod(a, b);
  float div = (a - mod) / b;
  if (mod != 0 && (b < 0) != (mod < 0)) div -= 1;
  if (div == 0) return std::copysign(0.f, a / b);
  float floored = std::floor(div);
  if (div - floored > 0.5f) floored += 1;
  return floored;
}

// The L2 norm of values spread uniformly between begin and end at the given density (HistogramObserver._get_norm).
float norm(float begin, float end, float density) { return density * ((end * end * end - begin * begin * begin) / 3); }

// A float32 sum as torch.sum's (accumulated wider, rounded once).
float sum(const std::vector<float>& values) {
  double total = 0;
  for (float v : values) total += v;
  return static_cast<float>(total);
}

}  // namespace

HistogramObserver::HistogramObserver(const ObserverOptions& o, int64_t bins_, int64_t upsample_rate_)
    : Observer(o),
      bins(bins_),
      upsample_rate(upsample_rate_),
      min_val(std::numeric_limits<float>::infinity()),
      max_val(-std::numeric_limits<float>::infinity()) {
  NABLA_CHECK(o.qscheme == QScheme::PerTensorAffine || o.qscheme == QScheme::PerTensorSymmetric,
              "HistogramObserver: qscheme ", qscheme_name(o.qscheme), " is per channel; it observes per tensor only");
  NABLA_CHECK(bins > 0 && upsample_rate > 0, "HistogramObserver: bins and upsample_rate must be positive, got ", bins,
              " and ", upsample_rate);
}

Tensor HistogramObserver::forward(const Tensor& x) {
  if (x.defined() && x.numel() == 0) return x;
  const Tensor values = float_values(x, "HistogramObserver");
  NoGradGuard no_grad;
  const float min = values.min().item<float>(), max = values.max().item<float>();
  NABLA_CHECK(std::isfinite(min) && std::isfinite(max), "HistogramObserver: the tensor holds ",
              std::isnan(min) || std::isnan(max) ? "NaN" : "infinite", " values, which have no place in a histogram");
  const float* data = values.const_data_ptr<float>();
  if (!observed() || min_val == max_val) {  // PyTorch starts over while every value so far was the same
    min_val = min;
    max_val = max;
    histogram = histc(data, values.numel(), bins, min, max);
    return x;
  }
  combine(data, values.numel(), std::min(min, min_val), std::max(max, max_val));
  return x;
}

// HistogramObserver._adjust_min_max and _combine_histograms: the combined range is widened (at the top) to a whole
// number of the old bins' upsampled widths, the old histogram spread evenly over its upsampled bins, summed into
// the new bins, and added to the new values' histogram.
void HistogramObserver::combine(const float* values, int64_t n, float min, float max) {
  const float upsampled_width = (max_val - min_val) / static_cast<float>(bins * upsample_rate);
  const float new_bins_width = static_cast<float>(bins) * upsampled_width;
  const int64_t downsample_rate = std::max<int64_t>(  // at least 1: the new range holds the old one
      1, checked_cast_to_int64(std::ceil((max - min) / new_bins_width),
                               "HistogramObserver: the ratio of the new range to the histogram's"));
  max += static_cast<float>(downsample_rate) * new_bins_width - (max - min);
  std::vector<float> combined = histc(values, n, bins, min, max);
  if (min == min_val && max == max_val) {
    for (int64_t i = 0; i < bins; ++i) combined[i] += histogram[i];
  } else {
    // The old histogram upsampled (each bin's count repeated upsample_rate times) from fine bin `start`; the
    // running sum (in double, as PyTorch's cumsum) read at the end of every downsample_rate fine bins. Fine bins
    // past the new range are dropped (a rounding's worth at most).
    const int64_t start = std::max<int64_t>(
        0, checked_cast_to_int64(std::nearbyint((min_val - min) / upsampled_width), "HistogramObserver: the offset"));
    const int64_t stop = start + bins * upsample_rate;
    double integral = 0;
    float previous = 0;  // the running sum at the end of the bin before, kept as PyTorch keeps it: in float32
    for (int64_t bin = 0, fine = start; bin < bins; ++bin) {
      const int64_t end = bin + 1 > stop / downsample_rate ? stop : (bin + 1) * downsample_rate;  // no overflow
      for (; fine < end; ++fine) integral += histogram[(fine - start) / upsample_rate];
      combined[bin] += static_cast<float>((integral - previous) / static_cast<double>(upsample_rate));
      previous = static_cast<float>(integral);
    }
  }
  histogram = std::move(combined);
  min_val = min;
  max_val = max;
}

// HistogramObserver._compute_quantization_error: the L2 error of quantizing the histogram's bins start_bin..end_bin
// into 2^8 destination bins (values outside them clamped to the end ones).
double HistogramObserver::quantization_error(int64_t start_bin, int64_t end_bin) const {
  const double bin_width = (static_cast<double>(max_val) - static_cast<double>(min_val)) / static_cast<double>(bins);
  const double dst_bin_width = bin_width * static_cast<double>(end_bin - start_bin + 1) / 256.0;
  if (dst_bin_width == 0.0) return 0.0;
  const float width = static_cast<float>(bin_width), dst_width = static_cast<float>(dst_bin_width);
  const float half = static_cast<float>(dst_bin_width / 2), minus_half = static_cast<float>(-dst_bin_width / 2);
  std::vector<float> norms(static_cast<size_t>(bins));
  for (int64_t i = 0; i < bins; ++i) {
    const float begin = static_cast<float>(i - start_bin) * width, end = begin + width;
    const float dst_of_begin = std::clamp(floor_divide(begin, dst_width), 0.f, 255.f);
    const float dst_of_end = std::clamp(floor_divide(end, dst_width), 0.f, 255.f);
    const float density = histogram[i] / width;
    float total = 0;
    total += norm(begin - (dst_of_begin + 0.5f) * dst_width, half, density);
    total += (dst_of_end - dst_of_begin - 1) * norm(minus_half, half, density);
    total += norm(minus_half, end - (dst_of_end * dst_width + half), density);
    norms[i] = total;
  }
  return sum(norms);
}

// HistogramObserver._non_linear_param_search: moves the range's lower or upper end inwards, a quantile step (1e-5
// of the values) at a time on the side that gives up fewer bins, while the quantization error keeps falling.
std::pair<float, float> HistogramObserver::non_linear_param_search() const {
  const float bin_width = (max_val - min_val) / static_cast<float>(bins);
  const double total = sum(histogram);
  std::vector<float> cumulative(histogram.size());
  float running = 0;
  for (size_t i = 0; i < histogram.size(); ++i) cumulative[i] = running += histogram[i];
  const double step = 1e-5;
  double alpha = 0.0, beta = 1.0;
  int64_t start_bin = 0, end_bin = bins - 1;
  double norm_min = std::numeric_limits<double>::infinity();
  while (alpha < beta) {
    const double next_alpha = alpha + step, next_beta = beta - step;
    int64_t l = start_bin, r = end_bin;
    while (l < end_bin && cumulative[l] < static_cast<float>(next_alpha * total)) ++l;
    while (r > start_bin && cumulative[r] > static_cast<float>(next_beta * total)) --r;
    int64_t next_start = start_bin, next_end = end_bin;
    if (l - start_bin > end_bin - r) {
      next_start = l;
      alpha = next_alpha;
    } else {
      next_end = r;
      beta = next_beta;
    }
    if (next_start == start_bin && next_end == end_bin) continue;
    const double error = quantization_error(next_start, next_end);
    if (error > norm_min) break;
    norm_min = error;
    start_bin = next_start;
    end_bin = next_end;
  }
  return {min_val + bin_width * static_cast<float>(start_bin), min_val + bin_width * static_cast<float>(end_bin + 1)};
}

QParams HistogramObserver::calculate_qparams() const {
  NABLA_CHECK(observed(),
              "HistogramObserver: nothing was observed (run calibration batches through the model before "
              "quantization::convert)");
  const auto [min, max] = non_linear_param_search();
  return qparams_for({min}, {max});
}

}  // namespace nabla::quantization
