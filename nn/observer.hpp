#pragma once
/// @file
/// torch.ao.quantization's observers: they watch the values a tensor takes during calibration and choose the scale
/// and zero point that quantize it, by PyTorch's formulas (float32 arithmetic, so the same parameters to the bit).
///
/// @code
///   quantization::MinMaxObserver observer({.dtype = kUInt8});
///   for (...) observer(activations);
///   const QParams params = observer.calculate_qparams();  // scales[0], zero_points[0]
/// @endcode
/// @ingroup quantization
#include <memory>

#include "nabla/core/qparams.hpp"
#include "nabla/core/tensor.hpp"

namespace nabla::quantization {
/// @addtogroup quantization
/// @{

/// PyTorch's observer arguments. dtype kUInt8 (torch.quint8) or kInt8 (torch.qint8); reduce_range drops one bit
/// (0..127, -64..63), for CPUs whose int8 sums could overflow (PyTorch's "x86" qconfig sets it for activations).
struct ObserverOptions {
  Dtype dtype = kUInt8;                        ///< kUInt8 (activations) or kInt8 (weights)
  QScheme qscheme = QScheme::PerTensorAffine;  ///< per tensor or per channel, affine or symmetric
  bool reduce_range = false;                   ///< one bit less of range
  int64_t ch_axis = 0;                         ///< per-channel observers: the channels' dim
};

/// The base of the observers: records the values passing through and chooses quantization parameters.
class Observer {
 public:
  /// with these options (a nabla::Error for an impossible combination)
  explicit Observer(const ObserverOptions& options);
  virtual ~Observer() = default;
  /// Records x's values; returns x unchanged.
  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }  ///< forward(x)
  /// The scale and zero point (per channel: one each per channel) for what was observed. Throws when nothing was.
  virtual QParams calculate_qparams() const = 0;
  /// Whether forward has seen any value yet.
  virtual bool observed() const = 0;
  const ObserverOptions options;  ///< as constructed

 protected:
  /// x's values as a contiguous float32 tensor outside the graph (a bfloat16 one is widened); who names the observer.
  static Tensor float_values(const Tensor& x, const char* who);
  /// PyTorch's _calculate_qparams: from the observed minima and maxima (with 0 always inside the range).
  QParams qparams_for(const std::vector<float>& min_vals, const std::vector<float>& max_vals) const;
};

/// The running minimum and maximum of all values seen (torch.ao.quantization.MinMaxObserver).
class MinMaxObserver : public Observer {
 public:
  explicit MinMaxObserver(const ObserverOptions& options = {});  ///< with these options
  Tensor forward(const Tensor& x) override;
  QParams calculate_qparams() const override;
  bool observed() const override { return min_val <= max_val; }
  float min_val;  ///< the smallest value seen (+inf until something is observed)
  float max_val;  ///< the largest value seen (-inf until something is observed)
};

/// A histogram of all values seen, whose range the scale covers only as far as it pays: calculate_qparams drops
/// outlying bins while that lowers the L2 error of quantizing the histogram (torch.ao.quantization.HistogramObserver,
/// the activation observer of PyTorch's default qconfigs). Per tensor only. Batches with a wider range than the
/// histogram so far re-bin it (upsampled by upsample_rate, as PyTorch does). One difference, on purpose: PyTorch 1.13
/// truncates the histogram's range to integers (torch.histc(..., min=int(min_val), ...)), dropping the values
/// beyond them; Nabla bins over the observed range, as PyTorch does since 2.0.
class HistogramObserver : public Observer {
 public:
  /// bins: the histogram's resolution; upsample_rate: the re-binning's resolution.
  explicit HistogramObserver(const ObserverOptions& options = {}, int64_t bins = 2048, int64_t upsample_rate = 128);
  Tensor forward(const Tensor& x) override;
  QParams calculate_qparams() const override;
  bool observed() const override { return min_val <= max_val; }
  const int64_t bins;            ///< the histogram's bins
  const int64_t upsample_rate;   ///< the re-binning's resolution
  float min_val;                 ///< the histogram's lower end (+inf until something is observed)
  float max_val;                 ///< the histogram's upper end (-inf until something is observed)
  std::vector<float> histogram;  ///< bins counts (fractional once re-binned)

 private:
  void combine(const float* values, int64_t n, float min, float max);  ///< n values into [min, max]
  std::pair<float, float> non_linear_param_search() const;
  double quantization_error(int64_t start_bin, int64_t end_bin) const;
};

/// Per slice along ch_axis (torch.ao.quantization.PerChannelMinMaxObserver): for weights, with qscheme
/// PerChannelSymmetric and dtype kInt8 in PyTorch's default qconfigs.
class PerChannelMinMaxObserver : public Observer {
 public:
  /// Defaults: int8, per-channel symmetric (weights).
  explicit PerChannelMinMaxObserver(const ObserverOptions& options = {.dtype = kInt8,
                                                                      .qscheme = QScheme::PerChannelSymmetric});
  Tensor forward(const Tensor& x) override;
  QParams calculate_qparams() const override;
  bool observed() const override { return !min_vals.empty(); }
  std::vector<float> min_vals;  ///< per channel; empty until something is observed
  std::vector<float> max_vals;  ///< per channel; empty until something is observed
};

/// @}
}  // namespace nabla::quantization
