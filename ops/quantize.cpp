// Quantized tensors: quantize (per tensor, per channel), dequantize, and the Tensor methods that read their
// parameters. Plain loops: one multiply, round and clamp per element (the int8 kernels themselves are oneDNN's).
#include "nabla/ops/quantize.hpp"

#include <cmath>
#include <limits>
#include <omp.h>

#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "core/tensor_impl.h"

namespace nabla {

const char* qscheme_name(QScheme scheme) {
  switch (scheme) {
    case QScheme::PerChannelAffine: return "per_channel_affine";
    case QScheme::PerTensorSymmetric: return "per_tensor_symmetric";
    case QScheme::PerChannelSymmetric: return "per_channel_symmetric";
    case QScheme::PerTensorAffine: break;
  }
  return "per_tensor_affine";
}

namespace {

// Calls fn(T{}) with T uint8_t or int8_t, the integer type of a quantized dtype.
template <class Fn>
decltype(auto) visit_quantized(Dtype dtype, const char* op, Fn&& fn) {
  NABLA_CHECK(dtype == kUInt8 || dtype == kInt8, op,
              ": expected a quantized dtype, kUInt8 (torch.quint8) or kInt8 "
              "(torch.qint8), got ",
              dtype_name(dtype));
  return dtype == kUInt8 ? fn(uint8_t{}) : fn(int8_t{});
}

}  // namespace

void check_quantization_params(double scale, int64_t zero_point, Dtype dtype, const char* op) {
  NABLA_CHECK(std::isfinite(scale) && scale > 0 && static_cast<float>(scale) > 0, op,
              ": scale must be a positive "
              "finite number (representable in float32), got ",
              scale);
  visit_quantized(dtype, op, [&](auto q) {
    using Q = decltype(q);
    NABLA_CHECK(zero_point >= std::numeric_limits<Q>::min(), op, " zero_point ", zero_point, " is below lower bound.");
    NABLA_CHECK(zero_point <= std::numeric_limits<Q>::max(), op, " zero_point ", zero_point, " is above upper bound.");
  });
}

namespace {

// PyTorch's quantize_val on x86: x · (1/scale) in float32, rounded to nearest even, converted to int64 as the CPU
// converts (NaN and ±inf become INT64_MIN, so the lowest integer), plus the zero point, saturated.
template <class Q>
Q quantize_one(float x, float inv_scale, int64_t zero_point) {
  constexpr float kLimit = 9223372036854775808.f;  // 2^63
  const float r = std::nearbyint(x * inv_scale);
  if (!(r >= -kLimit && r < kLimit)) return std::numeric_limits<Q>::min();
  return static_cast<Q>(std::clamp<int64_t>(static_cast<int64_t>(r) + zero_point, std::numeric_limits<Q>::min(),
                                            std::numeric_limits<Q>::max()));
}

// Runs body(begin, end) over [0, n) split across the threads when n is large enough to pay for them.
template <class Body>
void split(int64_t n, Body&& body) {
  if (n < 65536) return body(int64_t{0}, n);
#pragma omp parallel
  {
    const int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
    body(n * t / threads, n * (t + 1) / threads);
  }
}

// x as a contiguous float32 tensor (bfloat16 is widened).
Tensor float_input(const Tensor& x, const char* op) {
  NABLA_CHECK(x.defined(), op, ": got an undefined tensor");
  NABLA_CHECK(x.dtype() == kFloat32 || x.dtype() == kBFloat16, op, ": expected a float32 or bfloat16 tensor, got ",
              x.is_quantized() ? "an already quantized " : "", dtype_name(x.dtype()));
  return (x.dtype() == kFloat32 ? x.detach() : x.detach().to(kFloat32)).contiguous();
}

// The channel of element i of a contiguous tensor of `shape` whose channels lie along `axis`.
struct ChannelOf {
  int64_t inner, channels;
  ChannelOf(const Shape& shape, int64_t axis)
      : inner(numel(Shape(shape.begin() + axis + 1, shape.end()))), channels(shape[static_cast<size_t>(axis)]) {}
  int64_t operator()(int64_t i) const { return i / inner % channels; }
};

const QParams& checked_qparams(const TensorImpl* impl, const char* op) {
  NABLA_CHECK(impl != nullptr, op, ": got an undefined tensor");
  NABLA_CHECK(impl->qparams != nullptr, op,
              ": expected a quantized tensor (from quantize_per_tensor or "
              "quantize_per_channel), got a ",
              dtype_name(impl->dtype), " one");
  return *impl->qparams;
}

bool per_channel(const QParams& p) {
  return p.scheme == QScheme::PerChannelAffine || p.scheme == QScheme::PerChannelSymmetric;
}

}  // namespace

Tensor quantize_per_tensor(const Tensor& x, double scale, int64_t zero_point, Dtype dtype) {
  const char* op = "quantize_per_tensor";
  check_quantization_params(scale, zero_point, dtype, op);
  const Tensor in = float_input(x, op);
  Tensor q = empty(in.shape(), dtype);
  visit_quantized(dtype, op, [&](auto type) {
    using Q = decltype(type);
    const float* src = in.const_data_ptr<float>();
    Q* dst = q.data_ptr<Q>();
    const float inv_scale = 1.0f / static_cast<float>(scale);
    split(in.numel(), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) dst[i] = quantize_one<Q>(src[i], inv_scale, zero_point);
    });
  });
  return make_quantized(q, {QScheme::PerTensorAffine, {scale}, {zero_point}, 0});
}

Tensor quantize_per_channel(const Tensor& x, const std::vector<double>& scales, const std::vector<int64_t>& zero_points,
                            int64_t axis, Dtype dtype) {
  const char* op = "quantize_per_channel";
  const Tensor in = float_input(x, op);
  NABLA_CHECK(axis >= 0 && axis < in.dim(), op, ": axis ", axis, " is out of range for a tensor of shape ",
              shape_str(in.shape()));
  const int64_t channels = in.size(axis);
  NABLA_CHECK(static_cast<int64_t>(scales.size()) == channels && zero_points.size() == scales.size(), op, ": expected ",
              channels, " scales and zero points (the size of dim ", axis, " of ", shape_str(in.shape()), "), got ",
              scales.size(), " scales and ", zero_points.size(), " zero points");
  for (size_t c = 0; c < scales.size(); ++c) check_quantization_params(scales[c], zero_points[c], dtype, op);
  Tensor q = empty(in.shape(), dtype);
  visit_quantized(dtype, op, [&](auto type) {
    using Q = decltype(type);
    const float* src = in.const_data_ptr<float>();
    Q* dst = q.data_ptr<Q>();
    std::vector<float> inv_scales;
    for (double s : scales) inv_scales.push_back(1.0f / static_cast<float>(s));
    const ChannelOf channel_of(in.shape(), axis);
    split(in.numel(), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const auto c = static_cast<size_t>(channel_of(i));
        dst[i] = quantize_one<Q>(src[i], inv_scales[c], zero_points[c]);
      }
    });
  });
  return make_quantized(q, {QScheme::PerChannelAffine, scales, zero_points, axis});
}

Tensor dequantize(const Tensor& q) {
  const QParams& p = checked_qparams(q.impl(), "dequantize");
  const Tensor in = q.is_contiguous() ? q : q.clone();
  Tensor out = empty(in.shape(), kFloat32);
  float* dst = out.data_ptr<float>();
  visit_quantized(in.dtype(), "dequantize", [&](auto type) {
    using Q = decltype(type);
    const Q* src = static_cast<const Q*>(in.const_data_ptr());
    if (!per_channel(p)) {
      const auto scale = static_cast<float>(p.scales[0]);
      const int64_t zero_point = p.zero_points[0];
      split(in.numel(), [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) dst[i] = static_cast<float>(src[i] - zero_point) * scale;
      });
      return;
    }
    const ChannelOf channel_of(in.shape(), p.axis);
    split(in.numel(), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const auto c = static_cast<size_t>(channel_of(i));
        dst[i] = static_cast<float>(src[i] - p.zero_points[c]) * static_cast<float>(p.scales[c]);
      }
    });
  });
  return out;
}

Tensor make_quantized(const Tensor& integers, QParams params) {
  visit_quantized(integers.dtype(), "make_quantized", [](auto) {});
  NABLA_CHECK(!params.scales.empty() && params.scales.size() == params.zero_points.size(),
              "make_quantized: expected as many zero points as scales (at least one), got ", params.scales.size(),
              " scales and ", params.zero_points.size(), " zero points");
  if (per_channel(params))
    NABLA_CHECK(params.axis >= 0 && params.axis < integers.dim() &&
                    static_cast<int64_t>(params.scales.size()) == integers.size(params.axis),
                "make_quantized: ", params.scales.size(), " channels do not match axis ", params.axis, " of ",
                shape_str(integers.shape()));
  Tensor q = make_view(integers.detach(), integers.shape(), integers.strides(), integers.storage_offset());
  q.impl()->qparams = std::make_shared<const QParams>(std::move(params));
  return q;
}

// ---- Tensor's methods

bool Tensor::is_quantized() const { return impl_ != nullptr && impl_->qparams != nullptr; }
const QParams& Tensor::qparams() const { return checked_qparams(impl_.get(), "qparams"); }
QScheme Tensor::qscheme() const { return qparams().scheme; }

double Tensor::q_scale() const {
  NABLA_CHECK(!per_channel(qparams()), "q_scale: the tensor is quantized per channel: use q_per_channel_scales()");
  return qparams().scales[0];
}

int64_t Tensor::q_zero_point() const {
  NABLA_CHECK(!per_channel(qparams()),
              "q_zero_point: the tensor is quantized per channel: use q_per_channel_zero_points()");
  return qparams().zero_points[0];
}

Tensor Tensor::q_per_channel_scales() const {
  NABLA_CHECK(per_channel(qparams()), "q_per_channel_scales: the tensor is quantized per tensor: use q_scale()");
  return from_vector(qparams().scales, {static_cast<int64_t>(qparams().scales.size())});
}

Tensor Tensor::q_per_channel_zero_points() const {
  NABLA_CHECK(per_channel(qparams()),
              "q_per_channel_zero_points: the tensor is quantized per tensor: use q_zero_point()");
  return from_vector(qparams().zero_points, {static_cast<int64_t>(qparams().zero_points.size())});
}

int64_t Tensor::q_per_channel_axis() const {
  NABLA_CHECK(per_channel(qparams()), "q_per_channel_axis: the tensor is quantized per tensor");
  return qparams().axis;
}

Tensor Tensor::int_repr() const {
  checked_qparams(impl_.get(), "int_repr");
  Tensor out = empty(shape(), dtype());
  out.copy_(detach());
  out.impl()->qparams = nullptr;
  return out;
}

Tensor Tensor::dequantize() const { return nabla::dequantize(*this); }

}  // namespace nabla
