// libFuzzer target: the conv family, fold/unfold, pooling and pad with random options and input shapes.
// Every case must end in either a result of PyTorch's output shape (finite for finite input; max pooling
// may give -inf for a window wholly in the padding) or a nabla::Error. Anything else (another exception,
// a sanitizer report, a hang) is a defect. The expected shapes are derived here from PyTorch's docs,
// in 128-bit arithmetic, independently of the library's own shape code.
#include <fuzzer/FuzzedDataProvider.h>
#include <nabla/nabla.hpp>

#include "fuzz_values.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>

namespace {

using namespace nabla;
namespace F = nabla::nn::functional;
using Wide = __int128;

using namespace fuzz;

// The output checks: PyTorch's shape (when the oracle knows it) and finite values for finite input.
void check(const Tensor& x, const Tensor& y, const std::optional<Shape>& expected, bool may_be_minus_inf,
           const std::string& what) {
  if (expected && y.shape() != *expected)
    defect(what + ": output shape " + shape_str(y.shape()) + ", PyTorch's is " + shape_str(*expected) + " for input " +
           shape_str(x.shape()));
  if (!finite(x)) return;
  for (float v : y.to_vector<float>())
    if (!std::isfinite(v) && !(may_be_minus_inf && v == -INFINITY))
      defect(what + ": a non-finite output for finite input " + shape_str(x.shape()));
}

// Spatial output sizes, or nothing when any is out of int64 range (the library must refuse those).
std::optional<Shape> spatial(const std::vector<Wide>& sizes) {
  Shape out;
  for (Wide s : sizes) {
    if (s < 0 || s > std::numeric_limits<int64_t>::max()) return std::nullopt;
    out.push_back(static_cast<int64_t>(s));
  }
  return out;
}

Wide floor_div(Wide a, Wide b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

// (N, C, *spatial) for a batched input, (C, *spatial) for an unbatched one.
Shape with_channels(const Tensor& x, size_t dims, int64_t channels, const Shape& sizes) {
  Shape s;
  if (x.dim() == static_cast<int64_t>(dims) + 2) s.push_back(x.size(0));
  s.push_back(channels);
  s.insert(s.end(), sizes.begin(), sizes.end());
  return s;
}

template <size_t D>
void conv(FuzzedDataProvider& in, bool transposed, bool lazy) {
  const Tensor x = input(in, D);
  const int64_t in_ch = x.dim() >= 2 ? x.size(x.dim() - D - 1) : 1;
  const int64_t out_ch = option(in, 0, 4), groups = option(in, 1, 3);
  const auto kernel = options(in, D, 1, 4), stride = options(in, D, 1, 3), dilation = options(in, D, 1, 2);
  const int pad_form = in.ConsumeIntegralInRange<int>(0, 5);
  const auto padding = options(in, D, 0, 2), output_padding = options(in, D, 0, 1);
  const Padding<D> pad = pad_form == 0 ? Padding<D>("same") : pad_form == 1 ? Padding<D>("valid") : Padding<D>(padding);
  Tensor y;
  if (transposed) {
    const nn::ConvTransposeOptions<D> o{.in_channels = in_ch,
                                        .out_channels = out_ch,
                                        .kernel_size = kernel,
                                        .stride = stride,
                                        .padding = pad,
                                        .output_padding = output_padding,
                                        .groups = groups,
                                        .dilation = dilation};
    y = lazy ? nn::LazyConv<nn::ConvTransposeNd<D>>({.out_channels = out_ch,
                                                     .kernel_size = kernel,
                                                     .stride = stride,
                                                     .padding = pad,
                                                     .output_padding = output_padding,
                                                     .groups = groups,
                                                     .dilation = dilation})
                   .forward(x)
             : nn::ConvTransposeNd<D>(o).forward(x);
  } else {
    const nn::ConvOptions<D> o{.in_channels = in_ch,
                               .out_channels = out_ch,
                               .kernel_size = kernel,
                               .stride = stride,
                               .padding = pad,
                               .dilation = dilation,
                               .groups = groups};
    y = lazy ? nn::LazyConv<nn::ConvNd<D>>({.out_channels = out_ch,
                                            .kernel_size = kernel,
                                            .stride = stride,
                                            .padding = pad,
                                            .dilation = dilation,
                                            .groups = groups})
                   .forward(x)
             : nn::ConvNd<D>(o).forward(x);
  }
  std::vector<Wide> sizes;
  for (size_t d = 0; d < D; ++d) {
    const Wide l = x.size(x.dim() - D + d), k = at(kernel, d), s = at(stride, d), dil = at(dilation, d);
    if (transposed && pad_form == 0)
      sizes.push_back(l * s);
    else if (transposed)
      sizes.push_back((l - 1) * s - 2 * Wide(pad_form == 1 ? 0 : at(padding, d)) + dil * (k - 1) +
                      at(output_padding, d) + 1);
    else if (pad_form == 0)
      sizes.push_back(l);
    else
      sizes.push_back(floor_div(l + 2 * Wide(pad_form == 1 ? 0 : at(padding, d)) - dil * (k - 1) - 1, s) + 1);
  }
  const auto s = spatial(sizes);
  check(x, y, s ? std::optional(with_channels(x, D, out_ch, *s)) : std::nullopt, false,
        transposed ? "conv_transpose" : "conv");
  if (in.ConsumeBool() && y.numel() > 0) y.sum().backward();
}

template <size_t D>
void depthwise_separable(FuzzedDataProvider& in) {
  const Tensor x = input(in, D);
  nn::DepthwiseSeparableConvNd<D> block({.in_channels = option(in, 1, 4),
                                         .out_channels = option(in, 1, 4),
                                         .kernel_size = options(in, D, 1, 3),
                                         .stride = options(in, D, 1, 2),
                                         .padding = options(in, D, 0, 1),
                                         .depth_multiplier = option(in, 1, 3)});
  const Tensor y = block.forward(x);
  check(x, y, std::nullopt, false, "depthwise_separable");
}

template <size_t D>
void pooling(FuzzedDataProvider& in, int kind) {
  const Tensor x = input(in, D);
  const auto kernel = options(in, D, 1, 4), padding = options(in, D, 0, 2), dilation = options(in, D, 1, 2);
  const auto stride = in.ConsumeBool() ? std::vector<int64_t>{} : options(in, D, 1, 3);
  const bool ceil_mode = in.ConsumeBool();
  Tensor y;
  std::vector<Wide> sizes;
  if (kind == 2) {  // adaptive
    const auto output_size = options(in, D, 0, 5);
    y = in.ConsumeBool() ? nn::AdaptivePoolNd<D, true>({.output_size = output_size}).forward(x)
                         : nn::AdaptivePoolNd<D, false>({.output_size = output_size}).forward(x);
    for (size_t d = 0; d < D; ++d) sizes.push_back(at(output_size, d));
  } else {
    const bool max = kind == 0;
    y = max ? nn::MaxPoolNd<D>({.kernel_size = kernel,
                                .stride = stride,
                                .padding = padding,
                                .dilation = dilation,
                                .ceil_mode = ceil_mode})
                  .forward(x)
            : nn::AvgPoolNd<D>({.kernel_size = kernel,
                                .stride = stride,
                                .padding = padding,
                                .ceil_mode = ceil_mode,
                                .count_include_pad = in.ConsumeBool()})
                  .forward(x);
    for (size_t d = 0; d < D; ++d) {
      const Wide l = x.size(x.dim() - D + d), k = at(kernel, d), p = at(padding, d);
      const Wide dil = max ? at(dilation, d) : 1, s = stride.empty() ? k : at(stride, d);
      const Wide span = l + 2 * p - dil * (k - 1) - 1;
      Wide out = floor_div(ceil_mode ? span + s - 1 : span, s) + 1;
      if (ceil_mode && (out - 1) * s >= l + p) --out;
      sizes.push_back(out);
    }
  }
  const auto s = spatial(sizes);
  check(x, y, s ? std::optional(with_channels(x, D, x.size(x.dim() - D - 1), *s)) : std::nullopt, kind == 0, "pooling");
}

void fold_unfold(FuzzedDataProvider& in) {
  const bool fold = in.ConsumeBool();
  const size_t dims = 2;
  const auto kernel = options(in, dims, 1, 3), dilation = options(in, dims, 1, 2), padding = options(in, dims, 0, 1),
             stride = options(in, dims, 1, 2);
  const auto sizes = [&](const std::vector<int64_t>& v) { return v.size() == 1 ? Sizes(v[0]) : Sizes(v); };
  if (!fold) {
    const Tensor x = input(in, dims);
    const Tensor y = F::unfold(x, {.kernel_size = sizes(kernel),
                                   .dilation = sizes(dilation),
                                   .padding = sizes(padding),
                                   .stride = sizes(stride)});
    check(x, y, std::nullopt, false, "unfold");
    return;
  }
  const auto output_size = options(in, dims, 1, 6);
  Shape shape{in.ConsumeIntegralInRange<int64_t>(0, 3), in.ConsumeIntegralInRange<int64_t>(0, 12),
              in.ConsumeIntegralInRange<int64_t>(0, 12)};
  if (in.ConsumeBool()) shape.erase(shape.begin());
  const Tensor x = randn(shape);
  const Tensor y = F::fold(x, {.output_size = sizes(output_size),
                               .kernel_size = sizes(kernel),
                               .dilation = sizes(dilation),
                               .padding = sizes(padding),
                               .stride = sizes(stride)});
  check(x, y, std::nullopt, false, "fold");
}

void pad(FuzzedDataProvider& in) {
  const Tensor x = input(in, in.ConsumeIntegralInRange<size_t>(1, 3));
  std::vector<int64_t> pads;
  const size_t n = in.ConsumeIntegralInRange<size_t>(0, 7);
  for (size_t i = 0; i < n; ++i) pads.push_back(option(in, -2, 3));
  static const char* const kModes[] = {"constant", "reflect", "replicate", "circular", "wrap"};
  const Tensor y = F::pad(x, pads, kModes[in.ConsumeIntegralInRange<int>(0, 4)]);
  std::vector<Wide> sizes(x.shape().begin(), x.shape().end());
  for (size_t i = 0; i + 1 < pads.size() && i / 2 < sizes.size(); i += 2)
    sizes[sizes.size() - 1 - i / 2] += Wide(pads[i]) + pads[i + 1];  // the last dim first
  check(x, y, spatial(sizes), false, "pad");
}

template <size_t D>
void run(FuzzedDataProvider& in, int kind) {
  switch (kind) {
    case 0: return conv<D>(in, false, false);
    case 1: return conv<D>(in, true, false);
    case 2: return conv<D>(in, false, true);
    case 3: return conv<D>(in, true, true);
    case 4: return depthwise_separable<D>(in);
    case 5: return pooling<D>(in, 0);
    case 6: return pooling<D>(in, 1);
    case 7: return pooling<D>(in, 2);
    case 8: return fold_unfold(in);
    default: return pad(in);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  nabla::manual_seed(in.ConsumeIntegral<uint8_t>());
  const int dims = in.ConsumeIntegralInRange<int>(1, 3), kind = in.ConsumeIntegralInRange<int>(0, 9);
  try {
    if (dims == 1)
      run<1>(in, kind);
    else if (dims == 2)
      run<2>(in, kind);
    else
      run<3>(in, kind);
  } catch (const nabla::Error&) {
    // refused with a message: the expected outcome for a bad case
  }
  return 0;
}
