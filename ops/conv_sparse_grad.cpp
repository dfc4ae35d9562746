#include "ops/conv_sparse_grad.h"

#include <vector>

#include "nabla/core/factory.hpp"
#include "core/tensor_impl.h"

namespace nabla::detail {
namespace {

struct Nonzero {
  int64_t n, o, position;  // position: flat index over the output's spatial dims
  float value;
};

// (N, C, *spatial) <-> (N, *spatial, C): channels last, so a kernel tap's channels are contiguous.
Shape to_channels_last(int64_t rank) {
  Shape order{0};
  for (int64_t d = 2; d < rank; ++d) order.push_back(d);
  order.push_back(1);
  return order;
}
Shape to_channels_first(int64_t rank) {
  Shape order{0, rank - 1};
  for (int64_t d = 1; d < rank - 1; ++d) order.push_back(d);
  return order;
}

}  // namespace

std::optional<ConvGrads> sparse_conv_backward(const Tensor& x, const Tensor& w, const Tensor& gy, const ConvWindow& win,
                                              bool need_input, bool need_weight, bool need_bias) {
  const int64_t total = gy.numel();
  const float* pg = gy.const_data_ptr<float>();
  int64_t count = 0;
  for (int64_t i = 0; i < total; ++i)
    if (pg[i] != 0.0f && ++count * 32 > total) return std::nullopt;  // a dense gradient stops the scan early

  const int64_t rank = x.dim(), dims = rank - 2;
  const int64_t batch = x.size(0), channels = x.size(1), out_channels = w.size(0);
  const int64_t group_in = channels / win.groups, group_out = out_channels / win.groups;
  const Shape in_size(x.shape().begin() + 2, x.shape().end()), out_size(gy.shape().begin() + 2, gy.shape().end());
  const Shape kernel(w.shape().begin() + 2, w.shape().end());
  const int64_t out_numel = numel(out_size), taps = numel(kernel), in_numel = numel(in_size);
  const Shape in_strides = contiguous_strides(in_size);

  std::vector<Nonzero> nonzeros;  // in (n, o, position) order
  nonzeros.reserve(count);
  for (int64_t i = 0; i < total; ++i)
    if (pg[i] != 0.0f)
      nonzeros.push_back({i / (out_channels * out_numel), i / out_numel % out_channels, i % out_numel, pg[i]});

  // For a nonzero at output position p, tap t reads input position window_start(p) + tap_offset(t),
  // when that is inside the input. Returns the flat input position, or -1.
  std::vector<Shape> tap_offsets(taps, Shape(dims));
  for (int64_t t = 0; t < taps; ++t) {
    int64_t rest = t;
    for (int64_t d = dims - 1; d >= 0; --d) {
      tap_offsets[t][d] = rest % kernel[d] * win.dilation[d];
      rest /= kernel[d];
    }
  }
  const auto for_each_tap = [&](int64_t position, auto&& fn) {
    Shape start(dims);
    int64_t rest = position;
    for (int64_t d = dims - 1; d >= 0; --d) {
      start[d] = rest % out_size[d] * win.stride[d] - win.pad_l[d];
      rest /= out_size[d];
    }
    for (int64_t t = 0; t < taps; ++t) {
      int64_t flat = 0;
      bool inside = true;
      for (int64_t d = 0; d < dims && inside; ++d) {
        const int64_t at = start[d] + tap_offsets[t][d];
        inside = at >= 0 && at < in_size[d];
        flat += at * in_strides[d];
      }
      if (inside) fn(t, flat);
    }
  };

  ConvGrads grads;
  if (need_input) {  // gx[n, in, group channels] += value * w[o, tap, :]
    const Tensor w_last = w.permute(to_channels_last(rank)).contiguous();  // (O, *k, C/groups)
    Tensor gx_last = zeros({batch, in_numel, channels});
    const float* pw = w_last.const_data_ptr<float>();
    float* pgx = gx_last.data_ptr<float>();
    std::vector<int64_t> first(batch + 1, 0);  // nonzeros of image n: [first[n], first[n + 1])
    for (const auto& z : nonzeros) ++first[z.n + 1];
    for (int64_t n = 0; n < batch; ++n) first[n + 1] += first[n];
#pragma omp parallel for schedule(dynamic)
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t k = first[n]; k < first[n + 1]; ++k) {
        const Nonzero& z = nonzeros[k];
        const int64_t channel0 = z.o / group_out * group_in;
        for_each_tap(z.position, [&](int64_t t, int64_t in) {
          float* dst = pgx + (n * in_numel + in) * channels + channel0;
          const float* src = pw + (z.o * taps + t) * group_in;
#pragma omp simd
          for (int64_t c = 0; c < group_in; ++c) dst[c] += z.value * src[c];
        });
      }
    Shape shape{batch};
    shape.insert(shape.end(), in_size.begin(), in_size.end());
    shape.push_back(channels);
    grads.input = gx_last.reshape(shape).permute(to_channels_first(rank));  // a view: the consumer copies if it must
  }
  if (need_weight) {  // gw[o, tap, :] += value * x[n, in, group channels]
    const Tensor x_last = x.permute(to_channels_last(rank)).contiguous();  // (N, *in, C)
    Tensor gw_last = zeros({out_channels, taps, group_in});
    const float* px = x_last.const_data_ptr<float>();
    float* pgw = gw_last.data_ptr<float>();
    std::vector<std::vector<const Nonzero*>> by_filter(out_channels);
    for (const auto& z : nonzeros) by_filter[z.o].push_back(&z);
#pragma omp parallel for schedule(dynamic)
    for (int64_t o = 0; o < out_channels; ++o)
      for (const Nonzero* z : by_filter[o]) {
        const int64_t channel0 = o / group_out * group_in;
        for_each_tap(z->position, [&](int64_t t, int64_t in) {
          float* dst = pgw + (o * taps + t) * group_in;
          const float* src = px + (z->n * in_numel + in) * channels + channel0;
#pragma omp simd
          for (int64_t c = 0; c < group_in; ++c) dst[c] += z->value * src[c];
        });
      }
    Shape shape{out_channels};
    shape.insert(shape.end(), kernel.begin(), kernel.end());
    shape.push_back(group_in);
    grads.weight = gw_last.reshape(shape).permute(to_channels_first(rank)).contiguous();
  }
  if (need_bias) {
    std::vector<float> gb(out_channels, 0.0f);
    for (const auto& z : nonzeros) gb[z.o] += z.value;
    grads.bias = from_vector(gb, {out_channels});
  }
  return grads;
}

}  // namespace nabla::detail
