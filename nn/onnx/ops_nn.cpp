// ONNX's layer operators on Nabla's layers' functional ops: Conv, ConvTranspose, the pools, the norms, Gemm and
// MatMul, Dropout, Softmax, the activations, Pad, Resize/Upsample, DepthToSpace/SpaceToDepth. ONNX gives padding as
// begin and end per dim; when they differ (SAME_UPPER, asymmetric pads) the input is padded first, or a transposed
// conv's output cropped, so that oneDNN still runs one symmetric primitive.
#include <algorithm>
#include <cmath>
#include <mutex>

#include "nabla/core/factory.hpp"
#include "nabla/core/grad_mode.hpp"
#include "nabla/nn/fusion.hpp"
#include "nabla/ops/activation.hpp"
#include "nabla/ops/conv.hpp"
#include "nabla/ops/dropout.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/interpolate.hpp"
#include "nabla/ops/linear.hpp"
#include "nabla/ops/normalization.hpp"
#include "nabla/ops/pad.hpp"
#include "nabla/ops/pooling.hpp"
#include "nabla/ops/reduction.hpp"
#include "nabla/ops/shape_ops.hpp"
#include "nabla/ops/softmax.hpp"
#include "nn/onnx/operators.h"

namespace nabla::onnx::detail {

namespace {

using Tensors = std::vector<Tensor>;

// ---- windows: strides, dilations and ONNX's begin/end pads for the spatial dims

struct Window {
  std::string auto_pad;  // NOTSET, SAME_UPPER, SAME_LOWER, VALID
  std::vector<int64_t> kernel_shape, strides, dilations, pads;

  explicit Window(NodeReader& node)
      : auto_pad(node.s("auto_pad", "NOTSET")),
        kernel_shape(node.ints("kernel_shape")),
        strides(node.ints("strides")),
        dilations(node.ints("dilations")),
        pads(node.ints("pads")) {
    if (auto_pad != "NOTSET" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER" && auto_pad != "VALID")
      node.invalid("auto_pad '" + auto_pad + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
  }

  Shape stride(int64_t dims) const { return strides.empty() ? Shape(static_cast<size_t>(dims), 1) : strides; }
  Shape dilation(int64_t dims) const { return dilations.empty() ? Shape(static_cast<size_t>(dims), 1) : dilations; }

  // (begin, end) pads per spatial dim for an input of spatial size `in` and kernel `kernel`: SAME pads so that the
  // output is ceil(in / stride).
  std::pair<Shape, Shape> padding(const Shape& in, const Shape& kernel, const std::string& where) const {
    const auto dims = static_cast<int64_t>(in.size());
    const Shape s = stride(dims), d = dilation(dims);
    NABLA_CHECK(static_cast<int64_t>(s.size()) == dims && static_cast<int64_t>(d.size()) == dims, where,
                ": strides and dilations need ", dims, " values");
    check_window_sizes(where, "strides", s);  // bounded, so that the SAME arithmetic below cannot overflow
    check_window_sizes(where, "dilations", d);
    check_window_sizes(where, "kernel_shape", kernel);
    Shape begin(in.size(), 0), end(in.size(), 0);
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      for (size_t i = 0; i < in.size(); ++i) {
        NABLA_CHECK(s[i] > 0, where, ": strides must be positive");
        const int64_t out = (in[i] + s[i] - 1) / s[i];
        const int64_t total = std::max<int64_t>(0, (out - 1) * s[i] + (kernel[i] - 1) * d[i] + 1 - in[i]);
        const int64_t small = total / 2;
        (auto_pad == "SAME_UPPER" ? begin : end)[i] = small;
        (auto_pad == "SAME_UPPER" ? end : begin)[i] = total - small;
      }
    } else if (auto_pad == "NOTSET" && !pads.empty()) {
      NABLA_CHECK(static_cast<int64_t>(pads.size()) == 2 * dims, where, ": pads needs ", 2 * dims, " values, got ",
                  pads.size());
      begin.assign(pads.begin(), pads.begin() + dims);
      end.assign(pads.begin() + dims, pads.end());
      for (size_t i = 0; i < in.size(); ++i) NABLA_CHECK(begin[i] >= 0 && end[i] >= 0, where, ": negative pads");
    }
    return {begin, end};
  }
};

Shape spatial(const Tensor& x, int64_t from = 2) { return Shape(x.shape().begin() + from, x.shape().end()); }

// Nabla's pad list (last dim first) for ONNX's begin/end of the spatial dims.
std::vector<int64_t> torch_pads(const Shape& begin, const Shape& end) {
  std::vector<int64_t> pads;
  for (size_t i = begin.size(); i-- > 0;) pads.insert(pads.end(), {begin[i], end[i]});
  return pads;
}

int64_t spatial_dims(const Tensor& x, const std::string& where) {
  NABLA_CHECK(x.dim() >= 3 && x.dim() <= 5, where, ": Nabla runs 1-D to 3-D windows (a 3-D to 5-D input), got shape ",
              shape_str(x.shape()));
  return x.dim() - 2;
}

// ---- convolutions

Kernel conv_kernel(NodeReader& node) {
  const Window window(node);
  const int64_t group = node.i("group", 1);
  const bool relu = node.fuse_relu;
  return [window, group, relu, where = node.where()](const Tensors& in, const RunContext&) {
    Tensor x = required(in, 0, where);
    const Tensor& w = required(in, 1, where);
    const Tensor b = in.size() > 2 ? in[2] : Tensor();
    const int64_t dims = spatial_dims(x, where);
    NABLA_CHECK(w.dim() == dims + 2, where, ": weight of shape ", shape_str(w.shape()), " for a ", x.dim(), "-D input");
    const Shape kernel = spatial(w);
    NABLA_CHECK(window.kernel_shape.empty() || window.kernel_shape == kernel, where, ": kernel_shape ",
                shape_str(window.kernel_shape), " differs from the weight's ", shape_str(kernel));
    auto [begin, end] = window.padding(spatial(x), kernel, where);
    if (begin != end) {
      x = pad(x, torch_pads(begin, end));
      begin.assign(begin.size(), 0);
    }
    ConvParams params{window.stride(dims), window.dilation(dims), begin, "", {}, group, false, false, relu};
    return Tensors{convolution(x, w, b, params, dims, where)};
  };
}

// y cropped by `begin` at the front and extended (with zeros) or cropped to `size` per spatial dim.
Tensor crop_to(const Tensor& y, const Shape& begin, const Shape& size) {
  Tensor out = y;
  std::vector<int64_t> extend(2 * begin.size(), 0);
  for (size_t i = 0; i < begin.size(); ++i) {
    const auto d = static_cast<int64_t>(i) + 2;
    const int64_t start = std::max<int64_t>(begin[i], 0), stop = std::min(out.size(d), begin[i] + size[i]);
    out = out.slice(d, start, std::max(start, stop));
    extend[2 * (begin.size() - 1 - i)] = std::max<int64_t>(-begin[i], 0);
    extend[2 * (begin.size() - 1 - i) + 1] = size[i] - out.size(d) - std::max<int64_t>(-begin[i], 0);
  }
  return std::any_of(extend.begin(), extend.end(), [](int64_t e) { return e != 0; }) ? pad(out, extend) : out;
}

Kernel conv_transpose_kernel(NodeReader& node) {
  const Window window(node);
  const int64_t group = node.i("group", 1);
  const std::vector<int64_t> output_padding_attr = node.ints("output_padding"),
                             output_shape = node.ints("output_shape");
  return [window, group, output_padding_attr, output_shape, where = node.where()](const Tensors& in,
                                                                                  const RunContext&) {
    const Tensor &x = required(in, 0, where), &w = required(in, 1, where);
    const Tensor b = in.size() > 2 ? in[2] : Tensor();
    const int64_t dims = spatial_dims(x, where);
    NABLA_CHECK(w.dim() == dims + 2, where, ": weight of shape ", shape_str(w.shape()), " for a ", x.dim(), "-D input");
    const Shape kernel = spatial(w), input = spatial(x), s = window.stride(dims), d = window.dilation(dims);
    NABLA_CHECK(static_cast<int64_t>(s.size()) == dims && static_cast<int64_t>(d.size()) == dims, where,
                ": strides and dilations need ", dims, " values");
    const Shape output_padding = output_padding_attr.empty() ? Shape(input.size(), 0) : output_padding_attr;
    NABLA_CHECK(output_padding.size() == input.size() &&
                    (output_shape.empty() || static_cast<int64_t>(output_shape.size()) >= dims),
                where, ": output_padding and output_shape need ", dims, " values");
    for (const auto& [name, values] : {std::pair{"strides", s},
                                       {"dilations", d},
                                       {"output_padding", output_padding},
                                       {"output_shape", Shape(output_shape)}}) {
      check_window_sizes(where, name, values);  // bounded, so that the size arithmetic below cannot overflow
      for (int64_t v : values) NABLA_CHECK(v >= 0, where, ": ", name, " must not be negative");
    }
    Shape begin(input.size(), 0), end(input.size(), 0), full(input.size()), size(input.size());
    for (size_t i = 0; i < input.size(); ++i) full[i] = s[i] * (input[i] - 1) + (kernel[i] - 1) * d[i] + 1;
    const bool same = window.auto_pad == "SAME_UPPER" || window.auto_pad == "SAME_LOWER";
    if (!output_shape.empty() || same) {
      const std::vector<int64_t> target =
          !output_shape.empty() ? Shape(output_shape.end() - dims, output_shape.end()) : Shape();
      for (size_t i = 0; i < input.size(); ++i) {
        const int64_t want = target.empty() ? input[i] * s[i] : target[i];
        const int64_t total = full[i] + output_padding[i] - want;
        const int64_t half = total >= 0 ? total / 2 : -((1 - total) / 2);  // Python's total // 2, as ONNX specifies
        begin[i] = window.auto_pad == "SAME_UPPER" ? half : total - half;
        end[i] = total - begin[i];
      }
    } else if (!window.pads.empty()) {
      std::tie(begin, end) = window.padding(input, kernel, where);
    }
    for (size_t i = 0; i < input.size(); ++i) size[i] = full[i] + output_padding[i] - begin[i] - end[i];
    const bool direct =
        begin == end && std::all_of(begin.begin(), begin.end(), [](int64_t p) { return p >= 0; }) && [&] {
          for (size_t i = 0; i < input.size(); ++i)
            if (output_padding[i] >= std::max(s[i], d[i])) return false;
          return true;
        }();
    if (direct) {
      ConvParams params{s, d, begin, "", output_padding, group, true, false, false};
      return Tensors{convolution(x, w, b, params, dims, where)};
    }
    ConvParams params{s, d, Shape(input.size(), 0), "", Shape(input.size(), 0), group, true, false, false};
    Tensor y = crop_to(convolution(x, w, Tensor(), params, dims, where), begin, size);
    if (b.defined()) {
      Shape bias_shape(static_cast<size_t>(y.dim()), 1);
      bias_shape[1] = b.numel();
      y = y + b.reshape(bias_shape);
    }
    return Tensors{y};
  };
}

// ---- pooling

// One pool over x (float32), its ONNX pads made symmetric for oneDNN: -inf (max) or zero padding first when they are
// not; an average that leaves the padding out divides by the pooled share of real elements.
Tensor pooled(const Window& window, bool max, bool ceil_mode, bool count_include_pad, const Tensor& x,
              const std::string& where) {
  const int64_t dims = spatial_dims(x, where);
  NABLA_CHECK(static_cast<int64_t>(window.kernel_shape.size()) == dims, where, ": kernel_shape needs ", dims,
              " values");
  auto [begin, end] = window.padding(spatial(x), window.kernel_shape, where);
  PoolParams params{max,       window.kernel_shape, window.stride(dims), begin, window.dilation(dims),
                    ceil_mode, count_include_pad};
  bool fits = begin == end;  // PyTorch's pools take symmetric pads of at most half the kernel
  for (size_t i = 0; fits && i < begin.size(); ++i) fits = 2 * begin[i] <= window.kernel_shape[i];
  if (fits) return pool(x, params, dims, where);
  params.padding.assign(begin.size(), 0);
  const std::vector<int64_t> pads = torch_pads(begin, end);
  if (max) return pool(nabla::pad(x, pads, "constant", -INFINITY), params, dims, where);
  params.count_include_pad = true;
  const Tensor sums = pool(nabla::pad(x, pads), params, dims, where);
  if (count_include_pad) return sums;
  Shape ones_shape(static_cast<size_t>(x.dim()), 1);
  std::copy(x.shape().begin() + 2, x.shape().end(), ones_shape.begin() + 2);
  return sums / pool(nabla::pad(ones(ones_shape), pads), params, dims, where);
}

Kernel pool_kernel(NodeReader& node, bool max) {
  const Window window(node);
  const bool ceil_mode = node.i("ceil_mode", 0) != 0;
  const bool count_include_pad = !max && node.i("count_include_pad", 0) != 0;
  if (max && node.i("storage_order", 0) != 0)
    node.unsupported("storage_order=1 (column-major indices) is not supported");
  if (max && node.output_used(1)) node.unsupported("the Indices output is not supported");
  if (window.kernel_shape.empty()) node.invalid("kernel_shape is required");
  return [window, max, ceil_mode, count_include_pad, where = node.where()](const Tensors& in, const RunContext&) {
    const Tensor& x = required(in, 0, where);
    if (x.dtype() != kInt64 || !max) return Tensors{pooled(window, max, ceil_mode, count_include_pad, x, where)};
    // Integers are pooled in float32: exact while they fit its 24-bit mantissa.
    for (int64_t v : x.contiguous().to_vector<int64_t>())
      NABLA_CHECK(v > -(int64_t{1} << 24) && v < (int64_t{1} << 24), where, ": integers beyond 2^24 cannot be pooled");
    return Tensors{pooled(window, max, ceil_mode, count_include_pad, x.to(kFloat32), where).to(kInt64)};
  };
}

Builder global_pool(bool max) {
  return [max](NodeReader& node) -> Kernel {
    return [max, where = node.where()](const Tensors& in, const RunContext&) {
      const Tensor& x = required(in, 0, where);
      NABLA_CHECK(x.dim() >= 3, where, ": expected an (N, C, ...) input, got shape ", shape_str(x.shape()));
      if (x.dim() <= 5)
        return Tensors{adaptive_pool(x, Shape(static_cast<size_t>(x.dim() - 2), 1), max, x.dim() - 2, where)};
      Shape dims;
      for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
      if (!max) return Tensors{mean(x, dims, true)};
      Tensor y = x;
      for (int64_t d : dims) y = std::get<0>(nabla::max(y, d, true));
      return Tensors{y};
    };
  };
}

// ---- normalization

Kernel batch_norm_kernel(NodeReader& node) {
  const float eps = node.f("epsilon", 1e-5f), momentum = node.f("momentum", 0.9f);
  const bool training_mode = node.i("training_mode", 0) != 0;
  if (node.opset() < 9 && node.i("spatial", 1) != 1) node.unsupported("spatial=0 is not supported");
  if (node.opset() < 7 && node.i("is_test", 0) == 0) node.unsupported("is_test=0 is not supported");
  const bool statistics = node.output_used(1) || node.output_used(2), relu = node.fuse_relu;
  if (statistics && !training_mode) node.invalid("running-statistics outputs need training_mode=1");
  return [eps, momentum, training_mode, statistics, relu, where = node.where()](const Tensors& in,
                                                                                const RunContext& context) {
    const Tensor &x = required(in, 0, where), &running_mean = required(in, 3, where),
                 &running_var = required(in, 4, where);
    BatchNormFuncOptions options{required(in, 1, where), required(in, 2, where), context.training || training_mode,
                                 1.0 - momentum, eps};
    if (!statistics)
      return Tensors{relu ? batch_norm_relu(x, running_mean, running_var, options)
                          : batch_norm(x, running_mean, running_var, options)};
    // ONNX's training outputs: the running statistics updated with the batch's (biased) mean and variance, as new
    // tensors; the inputs stay as they are.
    Shape dims{0}, channel_shape(static_cast<size_t>(x.dim()), 1);
    for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
    channel_shape[1] = x.size(1);
    const Tensor batch_mean = mean(x, dims), centred = x - batch_mean.reshape(channel_shape);
    const Tensor batch_var = mean(centred * centred, dims);
    const Tensor y = batch_norm(x, running_mean.clone(), running_var.clone(), options);
    return Tensors{y, running_mean * momentum + batch_mean * (1.0 - momentum),
                   running_var * momentum + batch_var * (1.0 - momentum)};
  };
}

Kernel instance_norm_kernel(NodeReader& node) {
  const float eps = node.f("epsilon", 1e-5f);
  return [eps, where = node.where()](const Tensors& in, const RunContext&) {
    InstanceNormFuncOptions options;
    options.weight = required(in, 1, where);
    options.bias = required(in, 2, where);
    options.eps = eps;
    return Tensors{instance_norm(required(in, 0, where), options)};
  };
}

Kernel layer_norm_kernel(NodeReader& node) {
  const int64_t axis = node.i("axis", -1);
  const float eps = node.f("epsilon", 1e-5f);
  if (node.i("stash_type", 1) != 1) node.unsupported("stash_type other than 1 (float) is not supported");
  const bool statistics = node.output_used(1) || node.output_used(2);
  return [axis, eps, statistics, where = node.where()](const Tensors& in, const RunContext&) {
    const Tensor& x = required(in, 0, where);
    const int64_t a = wrap_dim(axis, x.dim(), where.c_str());
    const Shape normalized(x.shape().begin() + a, x.shape().end());
    LayerNormFuncOptions options;
    options.weight = required(in, 1, where).expand(normalized);
    if (in.size() > 2 && in[2].defined()) options.bias = in[2].expand(normalized);
    options.eps = eps;
    Tensors out{layer_norm(x, normalized, options)};
    if (statistics) {  // ONNX's Mean and InvStdDev outputs, over the normalized dims kept as 1s
      Shape dims;
      for (int64_t d = a; d < x.dim(); ++d) dims.push_back(d);
      const Tensor m = mean(x, dims, true), centred = x - m;
      out.push_back(m);
      out.push_back(rdiv(sqrt(mean(centred * centred, dims, true) + static_cast<double>(eps)), 1.0));
    }
    return out;
  };
}

// ---- products

Kernel gemm_kernel(NodeReader& node) {
  const float alpha = node.f("alpha", 1.f), beta = node.f("beta", 1.f);
  const bool trans_a = node.i("transA", 0) != 0, trans_b = node.i("transB", 0) != 0;
  if (node.opset() < 7 && node.has("broadcast")) node.ignore("broadcast");
  return [alpha, beta, trans_a, trans_b, where = node.where()](const Tensors& in, const RunContext&) {
    const Tensor &a = required(in, 0, where), &b = required(in, 1, where);
    const Tensor c = in.size() > 2 ? in[2] : Tensor();
    NABLA_CHECK(a.dim() == 2 && b.dim() == 2, where, ": A and B must be matrices, got ", shape_str(a.shape()), " and ",
                shape_str(b.shape()));
    // nn.Linear's form (x·Wᵀ + b, b one per output), one oneDNN inner product.
    if (alpha == 1.f && (beta == 1.f || !c.defined()) && !trans_a && trans_b &&
        (!c.defined() || (c.dim() == 1 && c.numel() == b.size(0))))
      return Tensors{linear(a, b, c)};
    Tensor y = matmul(trans_a ? a.t() : a, trans_b ? b.t() : b);
    if (alpha != 1.f) y = y * static_cast<double>(alpha);
    if (c.defined() && beta != 0.f) y = y + (beta == 1.f ? c : c * static_cast<double>(beta));
    return Tensors{y};
  };
}

Kernel matmul_kernel(NodeReader& node) {
  return [where = node.where()](const Tensors& in, const RunContext&) {
    return Tensors{matmul(required(in, 0, where), required(in, 1, where))};
  };
}

// ---- dropout and softmax

Kernel dropout_kernel(NodeReader& node) {
  const float ratio_attr = node.opset() < 12 ? node.f("ratio", 0.5f) : 0.5f;
  if (node.opset() < 7) node.i("is_test", 0);
  node.ignore("seed");
  const bool mask = node.output_used(1);
  return [ratio_attr, mask, where = node.where()](const Tensors& in, const RunContext& context) {
    const Tensor& x = required(in, 0, where);
    const float ratio =
        in.size() > 1 && in[1].defined() ? in[1].to(kFloat32).contiguous().to_vector<float>().at(0) : ratio_attr;
    const bool training = context.training || (in.size() > 2 && in[2].defined() && in[2].to(kBool).item<bool>());
    const bool active = training && ratio > 0.f;
    if (!mask) return Tensors{active ? dropout(x, ratio, true) : x};
    if (!active) return Tensors{x, ones(x.shape(), kBool)};
    const Tensor keep = rand(x.shape()) >= static_cast<double>(ratio);
    return Tensors{nabla::where(keep, x * (1.0 / (1.0 - ratio)), 0.0), keep};
  };
}

Builder softmax_family(bool log) {
  return [log](NodeReader& node) -> Kernel {
    const bool coerce_2d = node.opset() < 13;  // before opset 13: over the flattened dims from axis on
    const int64_t axis = node.i("axis", coerce_2d ? 1 : -1);
    return [log, coerce_2d, axis, where = node.where()](const Tensors& in, const RunContext&) {
      const Tensor& x = required(in, 0, where);
      const auto run = [log](const Tensor& t, int64_t d) { return log ? log_softmax(t, d) : softmax(t, d); };
      if (!coerce_2d) return Tensors{run(x, axis)};
      const int64_t a = axis < 0 ? axis + x.dim() : axis;
      NABLA_CHECK(a >= 0 && a <= x.dim(), where, ": axis ", axis, " is out of range for shape ", shape_str(x.shape()));
      const Shape& s = x.shape();
      const Shape flat{numel(Shape(s.begin(), s.begin() + a)), numel(Shape(s.begin() + a, s.end()))};
      return Tensors{run(x.reshape(flat), 1).reshape(s)};
    };
  };
}

// ---- activations

Builder with_alpha(Tensor (*op)(const Tensor&, double), float fallback) {
  return [op, fallback](NodeReader& node) {
    const double alpha = node.f("alpha", fallback);
    return unary_kernel([op, alpha](const Tensor& x) { return op(x, alpha); }, node.where());
  };
}

Kernel selu_kernel(NodeReader& node) {
  const double alpha = node.f("alpha", 1.67326319217681884765625f), gamma = node.f("gamma", 1.05070102214813232421875f);
  return unary_kernel([alpha, gamma](const Tensor& x) { return elu(x, alpha) * gamma; }, node.where());
}

Kernel hard_sigmoid_kernel(NodeReader& node) {
  const double alpha = node.f("alpha", 0.2f), beta = node.f("beta", 0.5f);
  if (std::abs(alpha - 1.0 / 6) < 1e-7 && beta == 0.5) return unary_kernel(hardsigmoid, node.where());
  return unary_kernel([alpha, beta](const Tensor& x) { return clamp(x * alpha + beta, 0.0, 1.0); }, node.where());
}

Kernel prelu_kernel(NodeReader& node) {
  return [where = node.where()](const Tensors& in, const RunContext&) {
    const Tensor &x = required(in, 0, where), &slope = required(in, 1, where);
    const int64_t channels = x.dim() >= 2 ? x.size(1) : 1;
    // PyTorch's export: one slope, or one per channel as (C, 1, ...): Nabla's prelu; any other broadcast: where().
    bool per_channel =
        slope.numel() == channels && slope.dim() <= x.dim() - 1 && slope.dim() >= 1 && slope.size(0) == channels;
    for (int64_t d = 1; per_channel && d < slope.dim(); ++d) per_channel = slope.size(d) == 1;
    if (slope.numel() == 1 || per_channel) return Tensors{prelu(x, slope.reshape({slope.numel()}))};
    return Tensors{nabla::where(x > 0.0, x, x * slope)};
  };
}

// ---- padding and resizing

Kernel pad_kernel(NodeReader& node) {
  const std::string mode = node.s("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    node.unsupported("mode '" + mode + "' is not supported");
  const std::vector<int64_t> pads_attr = node.opset() < 11 ? node.ints("pads") : std::vector<int64_t>{};
  const float value_attr = node.opset() < 11 ? node.f("value", 0.f) : 0.f;
  return [mode, pads_attr, value_attr, where = node.where()](const Tensors& in, const RunContext&) {
    Tensor x = required(in, 0, where);
    const int64_t rank = x.dim();
    const std::vector<int64_t> pads = in.size() > 1 && in[1].defined() ? int_values(in[1], "pads", where) : pads_attr;
    NABLA_CHECK(static_cast<int64_t>(pads.size()) == 2 * rank, where, ": pads needs ", 2 * rank, " values, got ",
                pads.size());
    const double value =
        in.size() > 2 && in[2].defined() ? in[2].to(kFloat32).contiguous().to_vector<float>().at(0) : value_attr;
    Shape begin(pads.begin(), pads.begin() + rank), end(pads.begin() + rank, pads.end());
    for (int64_t d = 0; d < rank; ++d) {  // negative pads crop
      const auto i = static_cast<size_t>(d);
      if (begin[i] < 0 || end[i] < 0) {
        x = x.slice(d, std::max<int64_t>(-begin[i], 0), x.size(d) - std::max<int64_t>(-end[i], 0));
        begin[i] = std::max<int64_t>(begin[i], 0);
        end[i] = std::max<int64_t>(end[i], 0);
      }
    }
    int64_t first = 0;  // Nabla pads the trailing dims: from the first padded one (or, for reflect/edge, the spatial)
    while (first < rank && begin[static_cast<size_t>(first)] == 0 && end[static_cast<size_t>(first)] == 0) ++first;
    if (first == rank) return Tensors{x};
    if (mode != "constant") first = std::min(first, std::max<int64_t>(rank - 2, 0));
    const Shape b(begin.begin() + first, begin.end()), e(end.begin() + first, end.end());
    return Tensors{nabla::pad(x, torch_pads(b, e), mode == "edge" ? "replicate" : mode, value)};
  };
}

// Resize with the coordinate rules PyTorch's interpolate has: nearest (asymmetric, floor), linear with
// align_corners or half-pixel centres. Others (cubic, round_prefer_floor, tf_crop_and_resize) are Unsupported.
struct ResizeMode {
  std::string mode;  // "nearest" or "linear"
  bool align_corners = false;
  bool pytorch_half_pixel = false;  // half-pixel, but an output of one element reads the input's first
};

Kernel resize_from(const ResizeMode& resize, size_t scales_input, size_t sizes_input, std::vector<float> scales_attr,
                   const std::string& where) {
  return [resize, scales_input, sizes_input, scales_attr, where](const Tensors& in, const RunContext&) {
    const Tensor& x = required(in, 0, where);
    NABLA_CHECK(x.dim() >= 3 && x.dim() <= 5, where, ": Nabla resizes 3-D to 5-D (N, C, ...) inputs, got shape ",
                shape_str(x.shape()));
    InterpolateOptions options;
    static const char* linear_modes[] = {"linear", "bilinear", "trilinear"};
    options.mode = resize.mode == "nearest" ? "nearest" : linear_modes[x.dim() - 3];
    if (resize.mode == "linear") options.align_corners = resize.align_corners;
    const bool has_sizes = sizes_input < in.size() && in[sizes_input].defined() && in[sizes_input].numel() > 0;
    if (has_sizes) {
      const std::vector<int64_t> sizes = int_values(in[sizes_input], "sizes", where);
      NABLA_CHECK(static_cast<int64_t>(sizes.size()) == x.dim() && sizes[0] == x.size(0) && sizes[1] == x.size(1),
                  where, ": sizes must keep N and C and give every dim, got ", shape_str(sizes));
      options.size.assign(sizes.begin() + 2, sizes.end());
    } else {
      std::vector<float> scales = scales_attr;
      if (scales_input < in.size() && in[scales_input].defined())
        scales = in[scales_input].to(kFloat32).contiguous().to_vector<float>();
      NABLA_CHECK(static_cast<int64_t>(scales.size()) == x.dim() && scales[0] == 1.f && scales[1] == 1.f, where,
                  ": scales must be 1 for N and C and given for every dim, got ", scales.size(), " values");
      options.scale_factor.assign(scales.begin() + 2, scales.end());
    }
    Tensor source = x;
    if (resize.pytorch_half_pixel)
      for (size_t i = 0; i < options.size.size() + options.scale_factor.size(); ++i) {
        const auto d = static_cast<int64_t>(i) + 2;
        const bool single =
            options.size.empty() ? std::floor(x.size(d) * options.scale_factor[i]) == 1 : options.size[i] == 1;
        if (!single) continue;
        source = source.narrow(d, 0, 1);
        if (!options.scale_factor.empty()) options.scale_factor[i] = 1.0;
      }
    return Tensors{interpolate(source, options)};
  };
}

Kernel resize_kernel(NodeReader& node) {
  const std::string mode = node.s("mode", "nearest");
  const std::string transform =
      node.s("coordinate_transformation_mode", node.opset() < 11 ? "asymmetric" : "half_pixel");
  const std::string nearest_mode = node.s("nearest_mode", "round_prefer_floor");
  node.f("cubic_coeff_a", -0.75f);  // cubic alone reads these
  if (node.i("exclude_outside", 0) != 0) node.unsupported("exclude_outside=1 is not supported");
  node.f("extrapolation_value", 0.f);
  ResizeMode resize{mode};
  if (mode == "nearest") {
    if (transform != "asymmetric" || nearest_mode != "floor")
      node.unsupported("nearest resizing with coordinate_transformation_mode '" + transform + "' and nearest_mode '" +
                       nearest_mode + "' is not supported (Nabla has PyTorch's: asymmetric with floor)");
  } else if (mode == "linear") {
    resize.align_corners = transform == "align_corners";
    resize.pytorch_half_pixel = transform == "pytorch_half_pixel";
    if (transform != "align_corners" && transform != "half_pixel" && transform != "pytorch_half_pixel")
      node.unsupported("linear resizing with coordinate_transformation_mode '" + transform + "' is not supported");
  } else {
    node.unsupported("mode '" + mode + "' is not supported");
  }
  const bool opset10 = node.opset() < 11;  // X, scales; later X, roi, scales, sizes
  return resize_from(resize, opset10 ? 1 : 2, opset10 ? 99 : 3, {}, node.where());
}

Kernel upsample_kernel(NodeReader& node) {
  const std::string mode = node.s("mode", "nearest");
  if (mode != "nearest") node.unsupported("mode '" + mode + "' is not supported (Upsample's linear is asymmetric)");
  const std::vector<float> scales = node.opset() < 9 ? node.floats("scales") : std::vector<float>{};
  return resize_from(ResizeMode{"nearest"}, node.opset() < 9 ? 99 : 1, 99, scales, node.where());
}

// DepthToSpace (DCR: PyTorch's pixel_shuffle reads channels as (C, b, b); DCR as (b, b, C)) and SpaceToDepth.
Kernel depth_to_space_kernel(NodeReader& node) {
  const int64_t b = node.i("blocksize", 0);
  const std::string mode = node.s("mode", "DCR");
  if (b <= 0) node.invalid("blocksize must be positive");
  if (mode != "DCR" && mode != "CRD") node.invalid("mode '" + mode + "' is not DCR or CRD");
  return [b, mode, where = node.where()](const Tensors& in, const RunContext&) {
    const Tensor& x = required(in, 0, where);
    NABLA_CHECK(x.dim() == 4 && x.size(1) % (b * b) == 0, where, ": expected (N, C, H, W) with C divisible by ", b * b,
                ", got shape ", shape_str(x.shape()));
    if (mode == "CRD") return Tensors{pixel_shuffle(x, b)};
    const int64_t n = x.size(0), c = x.size(1) / (b * b), h = x.size(2), w = x.size(3);
    return Tensors{x.reshape({n, b, b, c, h, w}).permute({0, 3, 4, 1, 5, 2}).reshape({n, c, h * b, w * b})};
  };
}

Kernel space_to_depth_kernel(NodeReader& node) {
  const int64_t b = node.i("blocksize", 0);
  if (b <= 0) node.invalid("blocksize must be positive");
  return [b, where = node.where()](const Tensors& in, const RunContext&) {
    const Tensor& x = required(in, 0, where);
    NABLA_CHECK(x.dim() == 4 && x.size(2) % b == 0 && x.size(3) % b == 0, where,
                ": expected (N, C, H, W) with H and W ", "divisible by ", b, ", got shape ", shape_str(x.shape()));
    const int64_t n = x.size(0), c = x.size(1), h = x.size(2) / b, w = x.size(3) / b;
    return Tensors{x.reshape({n, c, h, b, w, b}).permute({0, 3, 5, 1, 2, 4}).reshape({n, c * b * b, h, w})};
  };
}

}  // namespace

Kernel conv_batch_norm_kernel(Kernel conv, Kernel conv_relu, Kernel norm, float eps) {
  struct Folded {
    std::mutex mutex;
    std::vector<std::pair<const void*, uint64_t>> key;  // the six tensors and their versions
    Tensor weight, bias;
  };
  auto folded = std::make_shared<Folded>();
  return [conv, conv_relu, norm, eps, folded](const Tensors& in, const RunContext& context) {
    const Tensors conv_in(in.begin(), in.begin() + 3), statistics(in.begin() + 3, in.end());
    const bool gradients = autograd::is_grad_enabled() && std::any_of(in.begin() + 1, in.end(), [](const Tensor& t) {
                             return t.defined() && t.requires_grad();
                           });
    if (context.training || gradients) {
      Tensors norm_in{conv(conv_in, context).at(0)};
      norm_in.insert(norm_in.end(), statistics.begin(), statistics.end());
      return norm(norm_in, context);
    }
    std::vector<std::pair<const void*, uint64_t>> key;
    for (auto t = in.begin() + 1; t != in.end(); ++t) key.emplace_back(t->impl(), t->defined() ? t->version() : 0);
    std::lock_guard lock(folded->mutex);
    if (key != folded->key) {
      std::tie(folded->weight, folded->bias) =
          nn::utils::fuse_conv_bn_weights(in.at(1), in.at(2), in.at(5), in.at(6), eps, in.at(3), in.at(4));
      folded->key = std::move(key);
    }
    return conv_relu({in.at(0), folded->weight, folded->bias}, context);
  };
}

void register_nn_ops(Registry& r) {
  r["Conv"] = conv_kernel;
  r["ConvTranspose"] = conv_transpose_kernel;
  r["MaxPool"] = [](NodeReader& node) { return pool_kernel(node, true); };
  r["AveragePool"] = [](NodeReader& node) { return pool_kernel(node, false); };
  r["GlobalMaxPool"] = global_pool(true);
  r["GlobalAveragePool"] = global_pool(false);
  r["BatchNormalization"] = batch_norm_kernel;
  r["InstanceNormalization"] = instance_norm_kernel;
  r["LayerNormalization"] = layer_norm_kernel;
  r["Gemm"] = gemm_kernel;
  r["MatMul"] = matmul_kernel;
  r["Dropout"] = dropout_kernel;
  r["Softmax"] = softmax_family(false);
  r["LogSoftmax"] = softmax_family(true);
  r["Relu"] = unary_builder(relu);
  r["LeakyRelu"] = with_alpha(leaky_relu, 0.01f);
  r["Elu"] = with_alpha(elu, 1.f);
  r["Celu"] = with_alpha(celu, 1.f);
  r["Selu"] = selu_kernel;
  r["PRelu"] = prelu_kernel;
  r["Sigmoid"] = unary_builder(sigmoid);
  r["Tanh"] = unary_builder(nabla::tanh);
  r["HardSigmoid"] = hard_sigmoid_kernel;
  r["HardSwish"] = unary_builder(hardswish);
  r["Softplus"] = unary_builder([](const Tensor& x) { return softplus(x); });
  r["Softsign"] = unary_builder(softsign);
  r["Pad"] = pad_kernel;
  r["Resize"] = resize_kernel;
  r["Upsample"] = upsample_kernel;
  r["DepthToSpace"] = depth_to_space_kernel;
  r["SpaceToDepth"] = space_to_depth_kernel;
}

}  // namespace nabla::onnx::detail
