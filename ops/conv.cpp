// Convolution and transposed convolution: PyTorch's checks, then oneDNN's (de)convolution
// primitives for the forward and both backward passes, recorded right below the forward.
#include "nabla/ops/conv.hpp"
#include "nabla/core/trace.hpp"

#include <algorithm>
#include <sstream>

#include "nabla/autograd/grad_mode.hpp"
#include "nabla/autograd/node.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/pad.hpp"
#include "nabla/ops/quantize.hpp"
#include "nabla/ops/reduction.hpp"
#include "nabla/core/autocast.hpp"
#include "nabla/ops/autocast.hpp"
#include "ops/activation.h"
#include "ops/conv_sparse_grad.h"
#include "ops/kernels.h"
#include "ops/onednn.h"

namespace nabla {

// ---- shape rules

namespace conv_shape {
int64_t output_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad_l, int64_t pad_r, int64_t dilation) {
  const int64_t span = in + pad_l + pad_r - dilation * (kernel - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

// Checked: (in - 1) · stride overflows for a large input and stride.
int64_t transposed_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation,
                               int64_t output_padding) {
  const char* what = "conv_transpose output size";
  return checked_add(checked_mul(in - 1, stride, what), -2 * padding + dilation * (kernel - 1) + output_padding + 1,
                     what);
}

std::pair<int64_t, int64_t> same_padding(int64_t kernel, int64_t dilation) {
  const int64_t total = dilation * (kernel - 1);
  return {total / 2, total - total / 2};
}

std::pair<int64_t, int64_t> transposed_same_padding(int64_t kernel, int64_t stride, int64_t dilation) {
  const int64_t total = dilation * (kernel - 1) + 1 - stride;
  if (total < 0) return {0, total};
  return {total / 2, total - total / 2};
}
}  // namespace conv_shape

namespace {

std::string list_str(const Shape& values, const char* separator = ", ") {
  std::string s;
  for (size_t i = 0; i < values.size(); ++i) s += (i ? separator : "") + std::to_string(values[i]);
  return s;
}

// PyTorch's names for ranks in its messages: conv2d input is "4D (batched)".
std::string op_name(bool transposed, int64_t dims) {
  return std::string(transposed ? "conv_transpose" : "conv") + std::to_string(dims) + "d";
}

}  // namespace

std::vector<int64_t> expand_dims(const std::vector<int64_t>& values, int64_t dims, const char* name,
                                 const std::string& who) {
  if (values.size() == 1) return std::vector<int64_t>(dims, values[0]);
  NABLA_CHECK(static_cast<int64_t>(values.size()) == dims, who, ": expected ", name,
              " to be a single integer value or a list of ", dims, " values to match the convolution dimensions, but "
              "got ", name, "=[", list_str(values), "]");
  return values;
}

void validate_conv_params(const ConvParams& p, const Shape& kernel, const std::string& who) {
  NABLA_CHECK(p.groups > 0, who, ": groups must be a positive integer, got groups=", p.groups);
  check_required(who, "kernel_size", kernel);
  check_window_sizes(who, "groups", {p.groups});
  check_window_sizes(who, "kernel_size", kernel);
  check_window_sizes(who, "stride", p.stride);
  check_window_sizes(who, "dilation", p.dilation);
  check_window_sizes(who, "padding", p.padding);
  check_window_sizes(who, "output_padding", p.output_padding);
  for (int64_t k : kernel)
    NABLA_CHECK(k > 0, who, ": kernel_size must be positive, got kernel_size=(", list_str(kernel), ")");
  for (int64_t s : p.stride)
    NABLA_CHECK(s > 0, who, ": non-positive stride is not supported, got stride=(", list_str(p.stride), ")");
  for (int64_t d : p.dilation)
    NABLA_CHECK(d > 0, who, ": dilation should be greater than zero, got dilation=(", list_str(p.dilation), ")");
  NABLA_CHECK(p.padding_mode.empty() || p.padding_mode == "valid" || p.padding_mode == "same", who,
              ": Invalid padding string '", p.padding_mode, "', should be one of {'valid', 'same'}");
  if (p.transposed) {
    const bool output_padded =
        std::any_of(p.output_padding.begin(), p.output_padding.end(), [](int64_t v) { return v != 0; });
    NABLA_CHECK(p.padding_mode != "same" || !output_padded, who, ": output_padding=(", list_str(p.output_padding),
                ") can't be combined with padding='same', which fixes the output size at input * stride");
    for (int64_t op : p.output_padding)
      NABLA_CHECK(op >= 0, who, ": negative output_padding is not supported, got output_padding=(",
                  list_str(p.output_padding), ")");
    for (size_t d = 0; d < p.output_padding.size(); ++d)
      NABLA_CHECK(p.output_padding[d] < p.stride[d] || p.output_padding[d] < p.dilation[d], who,
                  ": output padding must be smaller than either stride or dilation, but got output_padding=(",
                  list_str(p.output_padding), ") for stride=(", list_str(p.stride), ") and dilation=(",
                  list_str(p.dilation), ")");
  } else {
    const bool strided = std::any_of(p.stride.begin(), p.stride.end(), [](int64_t s) { return s != 1; });
    NABLA_CHECK(p.padding_mode != "same" || !strided, who, ": padding='same' is not supported for strided "
                "convolutions (stride=(", list_str(p.stride), ")); use stride 1 or numeric padding");
  }
  if (p.padding_mode.empty())
    for (int64_t v : p.padding)
      NABLA_CHECK(v >= 0, who, ": negative padding is not supported, got padding=(", list_str(p.padding), ")");
}

namespace {

// Everything that determines one (de)convolution, resolved against an input.
struct Geometry {
  bool transposed;
  int64_t batch, in_channels, out_channels, groups;
  Shape in_size, kernel, stride, dilation, pad_l, pad_r, out_size;
  // What the primitive computes in (bfloat16 under autocast: source, weights and result) and the input's own dtype
  // (its gradient's); weights, their gradients and the bias stay float32.
  Dtype dtype = kFloat32, input_dtype = kFloat32;

  Shape src_shape() const { return cat_shape(batch, in_channels, in_size); }
  Shape dst_shape() const { return cat_shape(batch, out_channels, out_size); }
  static Shape cat_shape(int64_t n, int64_t c, const Shape& spatial) {
    Shape s{n, c};
    s.insert(s.end(), spatial.begin(), spatial.end());
    return s;
  }
};

// PyTorch's weight layout, described with oneDNN's logical weight dims ([g,] oc/g, ic/g, k...) and
// explicit strides, so the tensor is used where it lies, for conv (out, in/g, k...) and for
// transposed conv (in, out/g, k...) alike.
dnnl::memory::desc user_weights_desc(const Geometry& g, Dtype dtype = kFloat32) {
  const int64_t groups = g.groups, oc = g.out_channels / groups, ic = g.in_channels / groups;
  const int64_t k = numel(g.kernel);
  Shape dims, strides;
  if (groups > 1) {
    dims.push_back(groups);
    strides.push_back(oc * ic * k);
  }
  dims.insert(dims.end(), {oc, ic});
  if (g.transposed) strides.insert(strides.end(), {k, oc * k});
  else strides.insert(strides.end(), {ic * k, k});
  dims.insert(dims.end(), g.kernel.begin(), g.kernel.end());
  const Shape kernel_strides = contiguous_strides(g.kernel);
  strides.insert(strides.end(), kernel_strides.begin(), kernel_strides.end());
  return {onednn::dims(dims), onednn::data_type(dtype), onednn::dims(strides)};
}

// The descriptors of one (de)convolution: layouts left to oneDNN (format_tag::any), PyTorch's bias.
struct Descriptors {
  explicit Descriptors(const Geometry& g)
      : src(onednn::any_desc(g.src_shape(), g.dtype)),
        diff_src(onednn::any_desc(g.src_shape(), g.input_dtype)),
        dst(onednn::any_desc(g.dst_shape(), g.dtype)),
        weights(onednn::any_desc(Shape(user_weights_desc(g).dims()), g.dtype)),
        diff_weights(onednn::any_desc(Shape(user_weights_desc(g).dims()))),
        strides(onednn::dims(g.stride)),
        pad_l(onednn::dims(g.pad_l)),
        pad_r(onednn::dims(g.pad_r)) {
    for (int64_t d : g.dilation) dilates.push_back(d - 1);  // oneDNN counts dilation from 0
  }
  dnnl::memory::desc src, diff_src, dst, weights, diff_weights, bias;
  dnnl::memory::dims strides, dilates, pad_l, pad_r;
};

// Conv and deconv share every signature, so one template serves both.
template <class Forward, class BackwardData, class BackwardWeights>
using ConvRecipe = onednn::Recipe<Forward, BackwardData, BackwardWeights>;
ConvRecipe<dnnl::convolution_forward, dnnl::convolution_backward_data, dnnl::convolution_backward_weights> conv_recipe(
    "convolution");
ConvRecipe<dnnl::deconvolution_forward, dnnl::deconvolution_backward_data, dnnl::deconvolution_backward_weights>
    deconv_recipe("deconvolution");

onednn::Key family_key(const Geometry& g, bool bias, const ConvParams& p) {
  onednn::Key key(g.transposed ? "deconv" : p.winograd ? "conv-winograd" : "conv");
  key << g.src_shape() << g.dst_shape() << g.kernel << g.stride << g.dilation << g.pad_l << g.pad_r << g.groups
      << static_cast<int64_t>(bias) << static_cast<int64_t>(p.relu) << static_cast<int64_t>(g.dtype)
      << static_cast<int64_t>(g.input_dtype);
  return key;
}

// The forward, then the recorded backward. Inputs are read in whatever layout they come (a previous oneDNN op's,
// or a plain or permuted one), results left in the layout the primitive chose (onednn::Output).
template <class Forward, class BackwardData, class BackwardWeights>
Tensor run(const std::shared_ptr<onednn::Primitives<Forward, BackwardData, BackwardWeights>>& prims,
           dnnl::algorithm algorithm, const Geometry& g, const Tensor& input, const Tensor& weight_in,
           const Tensor& bias, bool relu) {
  const bool training = autograd::needs_graph({input, weight_in, bias});
  Descriptors d(g);
  if (bias.defined()) d.bias = onednn::plain_desc({g.out_channels});
  dnnl::primitive_attr attr;
  if (relu) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(ops);
  }
  const auto& trained = prims->forward(
      true,
      [&](dnnl::prop_kind kind) {
        return typename Forward::desc(kind, algorithm, d.src, d.weights, d.bias, d.dst, d.strides, d.dilates, d.pad_l,
                                      d.pad_r);
      },
      attr);
  // Inference takes the training primitive's layouts: oneDNN's own choice for inference (brgconv on nhwc) was
  // slower on the MNIST network at batch 1000, and weights and activations then have one layout in training and
  // evaluation alike.
  const auto& pass = training ? trained
                              : prims->forward(
                                    false,
                                    [&](dnnl::prop_kind kind) {
                                      return typename Forward::desc(
                                          kind, algorithm, trained.pd.src_desc(), trained.pd.weights_desc(), d.bias,
                                          trained.pd.dst_desc(), d.strides, d.dilates, d.pad_l, d.pad_r);
                                    },
                                    attr);
  const Tensor x = onednn::dense(input.detach());         // read where it lies, in any dim order
  const Tensor weight = weight_in.detach().contiguous();  // the layout user_weights_desc describes
  const dnnl::memory::desc user_md = user_weights_desc(g);
  const Tensor b = bias.defined() ? bias.detach().contiguous() : Tensor();
  // The source in the layout the forward reads it in, kept for backward-weights, which usually wants the same.
  const onednn::Held src = onednn::read_as(x, pass.pd.src_desc());
  onednn::Args forward(pass);
  forward.in(DNNL_ARG_SRC, src).weights(DNNL_ARG_WEIGHTS, weight, user_md).out(DNNL_ARG_DST, g.dst_shape());
  if (b.defined()) forward.plain(DNNL_ARG_BIAS, b);
  forward.run();
  const Tensor out = forward.result(DNNL_ARG_DST);
  if (!training) return out;

  // The output gradient is reordered at most once for both backward primitives (read_as keeps the reordered copy
  // on the gradient's storage). With the ReLU fused, the conv's node hands its output (whose values are already
  // relu'd: the conv's backward never reads them) to the ReLU's node.
  const Tensor conv = autograd::record(
      "ConvolutionBackward0", out, {input, weight_in, bias},
      [prims, algorithm, g, d, x, src, w = weight, user_md](const Tensor& grad, const autograd::Needs& needs) {
        const Tensor gy = onednn::dense(grad);
        const bool has_bias = d.bias.get_size() > 0;
        if (!g.transposed && g.dtype == kFloat32 && !onednn::has_native(gy)) {  // counting nonzeros: plain floats
          const detail::ConvWindow window{g.groups, g.stride, g.dilation, g.pad_l};
          if (auto sparse =
                  detail::sparse_conv_backward(x, w, gy.contiguous(), window, needs[0], needs[1], needs[2] && has_bias))
            return autograd::Grads{sparse->input, sparse->weight, sparse->bias};
        }
        autograd::Grads grads(3);
        if (needs[0]) {  // skipped for a first layer
          onednn::Args data(prims->template backward<0>(
              [&](const auto&) {
                return typename BackwardData::desc(algorithm, d.diff_src, d.weights, d.dst, d.strides, d.dilates,
                                                   d.pad_l, d.pad_r);
              },
              "backward data"));
          // plain gradients come in x's dim order
          data.in(DNNL_ARG_DIFF_DST, gy).weights(DNNL_ARG_WEIGHTS, w, user_md).out(DNNL_ARG_DIFF_SRC, x.shape(), x);
          data.run();
          grads[0] = data.result(DNNL_ARG_DIFF_SRC);
        }
        if (needs[1] || needs[2]) {
          onednn::Args weights(prims->template backward<1>(
              [&](const auto&) {
                return typename BackwardWeights::desc(algorithm, d.src, d.diff_weights, d.bias, d.dst, d.strides,
                                                      d.dilates, d.pad_l, d.pad_r);
              },
              "backward weights"));
          const Tensor gw = empty(w.shape());
          const Tensor gb = has_bias ? empty({g.out_channels}) : Tensor();
          weights.in(DNNL_ARG_SRC, src).in(DNNL_ARG_DIFF_DST, gy);
          // Straight into gw when the primitive's layout is PyTorch's; else into its own, reordered after.
          const bool direct = weights.desc(DNNL_ARG_DIFF_WEIGHTS) == user_md;
          const onednn::Held blocked = direct ? onednn::Held{} : weights.scratch(DNNL_ARG_DIFF_WEIGHTS);
          if (direct) weights.plain(DNNL_ARG_DIFF_WEIGHTS, gw, user_md);
          if (has_bias) weights.plain(DNNL_ARG_DIFF_BIAS, gb);
          weights.run();
          if (!direct) onednn::reorder_into(blocked.memory, onednn::over(user_md, gw).memory);
          grads[1] = needs[1] ? gw : Tensor();
          grads[2] = needs[2] ? gb : Tensor();
        }
        return grads;
      },
      autograd::Saves::Inputs);  // the output is not read: saving it would keep an activation alive per conv
  return relu ? detail::record_relu(conv, out) : conv;
}

// Batch 0 or channels 0: no primitive, an empty or bias-only result (PyTorch's behaviour).
Tensor degenerate(const Geometry& g, const Tensor& input, const Tensor& weight, const Tensor& bias) {
  Tensor y = zeros(g.dst_shape());
  if (bias.defined() && y.numel() > 0) {
    Shape bias_shape(g.dst_shape().size(), 1);
    bias_shape[1] = g.out_channels;
    NoGradGuard no_grad;
    y = y + bias.detach().reshape(bias_shape);
  }
  return autograd::record(
      "ConvolutionBackward0", y, {input, weight, bias},
      [g, in_shape = input.shape(), in_dtype = input.dtype(), w_shape = weight.shape()](const Tensor& grad,
                                                                                        const autograd::Needs&) {
        Shape dims{0};
        for (int64_t d = 2; d < grad.dim(); ++d) dims.push_back(d);
        return autograd::Grads{zeros(in_shape, in_dtype), zeros(w_shape), sum(grad, dims)};
      },
      autograd::Saves::Nothing);
}

std::string size_list(const Shape& s) { return list_str(s, " x "); }

// Checks the batched input, weight and bias (checked by check_operands) against each other and against the params
// (validated); resolves the padding.
// The checks of the operands on their own: defined, float32, of the right ranks.
void check_operands(const Tensor& input, const Tensor& weight, const Tensor& bias, bool transposed, int64_t dims,
                    const std::string& who) {
  const std::string name = op_name(transposed, dims);
  NABLA_CHECK(input.defined(), who, ": got an undefined input");
  NABLA_CHECK(input.dim() == dims + 1 || input.dim() == dims + 2, who, ": Expected ", dims + 1, "D (unbatched) or ",
              dims + 2, "D (batched) input to ", name, ", but got input of size: ", shape_str(input.shape()));
  NABLA_CHECK(weight.defined() && weight.dim() == dims + 2, who, ": Expected ", dims + 2, "-dimensional weight for ",
              name, ", but got weight of size ", weight.defined() ? shape_str(weight.shape()) : "(undefined)");
  // bfloat16 input only where the conv computes in bfloat16, under autocast (autocast_input has cast any other to
  // float32); outside it, a bfloat16 input against a float32 weight is refused, as PyTorch refuses it.
  const bool autocast_input =
      input.dtype() == kBFloat16 && !transposed && autocast::lower_precision_dtype() == kBFloat16;
  NABLA_CHECK((input.dtype() == kFloat32 || autocast_input) && weight.dtype() == kFloat32, who, ": Input type (",
              dtype_name(input.dtype()), ") and weight type (", dtype_name(weight.dtype()),
              ") should be float32 (bfloat16 input is for convolutions under an AutocastGuard)");
  NABLA_CHECK(!bias.defined() || bias.dtype() == kFloat32, who, ": bias type (", dtype_name(bias.dtype()),
              ") should be float32, like the input and weight");
}

Geometry resolve(const Tensor& input, const Tensor& weight, const Tensor& bias, const ConvParams& p, int64_t dims,
                 const std::string& who) {
  Geometry g{};
  g.transposed = p.transposed;
  g.groups = p.groups;
  g.batch = input.size(0);
  g.in_channels = input.size(1);
  // Channel counts and sizes within oneDNN's 32-bit range before any arithmetic on them (a 2^32-channel input
  // would otherwise divide by a wrapped group size inside the kernel).
  check_window_sizes(who, "channels", {g.in_channels, weight.size(0), weight.size(1)});
  check_window_sizes(who, "input size", Shape(input.shape().begin() + 2, input.shape().end()));
  g.kernel = Shape(weight.shape().begin() + 2, weight.shape().end());
  g.stride = p.stride;
  g.dilation = p.dilation;
  const int64_t w0 = weight.size(0);
  if (!p.transposed) {
    NABLA_CHECK(w0 >= p.groups, who, ": Given groups=", p.groups, ", expected weight to be at least ", p.groups,
                " at dimension 0, but got weight of size ", shape_str(weight.shape()), " instead");
    NABLA_CHECK(w0 % p.groups == 0, who, ": Given groups=", p.groups, ", expected weight to be divisible by ", p.groups,
                " at dimension 0, but got weight of size ", shape_str(weight.shape()), " instead");
    NABLA_CHECK(g.in_channels == weight.size(1) * p.groups, who, ": Given groups=", p.groups, ", weight of size ",
                shape_str(weight.shape()), ", expected input", shape_str(input.shape()), " to have ",
                weight.size(1) * p.groups, " channels, but got ", g.in_channels, " channels instead");
    g.out_channels = w0;
  } else {
    NABLA_CHECK(w0 % p.groups == 0, who, ": Given groups=", p.groups, ", expected weight to be divisible by ", p.groups,
                " at dimension 0, but got weight of size ", shape_str(weight.shape()), " instead");
    NABLA_CHECK(g.in_channels == w0, who, ": Given transposed=1, weight of size ", shape_str(weight.shape()),
                ", expected input", shape_str(input.shape()), " to have ", w0, " channels, but got ", g.in_channels,
                " channels instead");
    g.out_channels = weight.size(1) * p.groups;
  }
  NABLA_CHECK(!bias.defined() || bias.shape() == Shape{g.out_channels}, who, ": Given weight of size ",
              shape_str(weight.shape()), ", expected bias to be 1-dimensional with ", g.out_channels,
              " elements, but got bias of size ", shape_str(bias.shape()), " instead");
  g.in_size = Shape(input.shape().begin() + 2, input.shape().end());
  const bool empty_batch_or_channels = g.batch == 0 || g.in_channels == 0;
  for (int64_t s : g.in_size)
    NABLA_CHECK(s > 0 || empty_batch_or_channels, who, ": Only zero batch or zero channel inputs are supported, but "
                "got input shape: ", shape_str(input.shape()));

  for (int64_t d = 0; d < dims; ++d) {
    const int64_t k = g.kernel[d], dil = g.dilation[d];
    if (p.transposed && p.padding_mode == "same") {
      const auto [l, r] = conv_shape::transposed_same_padding(k, p.stride[d], dil);
      g.pad_l.push_back(l);
      g.pad_r.push_back(r);
      g.out_size.push_back(checked_mul(g.in_size[d], p.stride[d], who));
    } else if (p.transposed) {  // numeric or 'valid' (zeros)
      g.pad_l.push_back(p.padding[d]);
      g.pad_r.push_back(p.padding[d] - p.output_padding[d]);  // output_padding extends the end
      g.out_size.push_back(conv_shape::transposed_output_size(g.in_size[d], k, p.stride[d], p.padding[d], dil,
                                                              p.output_padding[d]));
    } else {
      const auto [l, r] = p.padding_mode == "same"    ? conv_shape::same_padding(k, dil)
                          : p.padding_mode == "valid" ? std::pair<int64_t, int64_t>{0, 0}
                                                      : std::pair{p.padding[d], p.padding[d]};
      g.pad_l.push_back(l);
      g.pad_r.push_back(r);
      g.out_size.push_back(conv_shape::output_size(g.in_size[d], k, p.stride[d], l, r, dil));
    }
  }
  if (!empty_batch_or_channels && !p.transposed) {
    Shape padded, dilated;
    for (int64_t d = 0; d < dims; ++d) {
      padded.push_back(g.in_size[d] + g.pad_l[d] + g.pad_r[d]);
      dilated.push_back((g.kernel[d] - 1) * g.dilation[d] + 1);
    }
    for (int64_t d = 0; d < dims; ++d)
      NABLA_CHECK(padded[d] >= dilated[d], who, ": Calculated padded input size per channel: (", size_list(padded),
                  "). Kernel size: (", size_list(dilated), "). Kernel size can't be greater than actual input size");
  }
  for (int64_t s : g.out_size)
    NABLA_CHECK(s > 0, who, ": Given input size per channel: (", size_list(g.in_size),
                "). Calculated output size per channel: (", size_list(g.out_size), "). Output size is too small");
  check_window_sizes(who, "output size", g.out_size);  // before oneDNN sees it
  check_allocatable(g.dst_shape(), kFloat32, who);
  return g;
}

Tensor on_onednn(const Geometry& g, const Tensor& input, const Tensor& weight, const Tensor& bias,
                 const ConvParams& params, const std::string& who);
// convolution() once its operands and params are checked.
Tensor convolution_checked(const Tensor& input, const Tensor& weight, const Tensor& bias, const ConvParams& params,
                           int64_t dims, const std::string& who);

// The transposed case PyTorch allows but oneDNN rejects: output_padding >= stride (but < dilation)
// makes padding_r + stride <= 0. The trailing positions it adds are out of every kernel tap's reach,
// so they hold only the bias: compute the largest output oneDNN accepts, then extend it.
Tensor transposed_with_unreachable_tail(const Tensor& input, const Tensor& weight, const Tensor& bias, ConvParams p,
                                        int64_t dims, const std::string& who) {
  std::vector<int64_t> tail;  // pad() lists the last dim first
  for (int64_t d = dims - 1; d >= 0; --d) {
    const int64_t reachable = std::min(p.output_padding[d], p.padding[d] + p.stride[d] - 1);
    tail.insert(tail.end(), {0, p.output_padding[d] - reachable});
    p.output_padding[d] = reachable;
  }
  Tensor y = convolution_checked(input, weight, bias, p, dims, who);
  if (!bias.defined()) return pad(y, tail);
  Shape bias_shape(y.dim(), 1);
  bias_shape[y.dim() - dims - 1] = bias.size(0);
  const Tensor b = bias.reshape(bias_shape);
  return pad(y - b, tail) + b;
}

}  // namespace

namespace {
// Under autocast, a bfloat16 input of a convolution that computes in float32 (a transposed one, on PyTorch's
// float32 list; any, where bfloat16 does not pay) is cast to float32 first.
Tensor autocast_input(const Tensor& input, bool transposed) {
  const bool in_float32 = transposed || autocast::lower_precision_dtype() == kFloat32;
  return is_autocast_enabled() && input.defined() && input.dtype() == kBFloat16 && in_float32 ? input.to(kFloat32)
                                                                                              : input;
}
}  // namespace

Tensor convolution(const Tensor& input_in, const Tensor& weight, const Tensor& bias, const ConvParams& params,
                   int64_t dims, const std::string& who) {
  const Tensor input = autocast_input(input_in, params.transposed);
  check_operands(input, weight, bias, params.transposed, dims, who);
  validate_conv_params(params, Shape(weight.shape().begin() + 2, weight.shape().end()), who);
  return convolution_checked(input, weight, bias, params, dims, who);
}

Tensor convolution_with_checked_params(const Tensor& input_in, const Tensor& weight, const Tensor& bias,
                                       const ConvParams& params, int64_t dims, const std::string& who) {
  const Tensor input = autocast_input(input_in, params.transposed);
  check_operands(input, weight, bias, params.transposed, dims, who);
  return convolution_checked(input, weight, bias, params, dims, who);
}

namespace {

Tensor convolution_checked(const Tensor& input, const Tensor& weight, const Tensor& bias, const ConvParams& params,
                           int64_t dims, const std::string& who) {
  trace::Scope scope("convolution", {input, weight, bias}, [&] {
    return trace::Attributes{{"stride", params.stride},
                             {"padding", params.padding},
                             {"padding_mode", params.padding_mode},
                             {"dilation", params.dilation},
                             {"groups", params.groups},
                             {"transposed", int64_t{params.transposed}},
                             {"output_padding", params.output_padding},
                             {"relu", int64_t{params.relu}}};
  });
  if (input.dim() == dims + 1)
    return scope.output(convolution_checked(input.unsqueeze(0), weight, bias, params, dims, who).squeeze(0));
  if (params.transposed) {
    for (int64_t d = 0; d < dims; ++d)
      if (params.padding[d] - params.output_padding[d] + params.stride[d] <= 0 && params.output_padding[d] > 0)
        return scope.output(transposed_with_unreachable_tail(input, weight, bias, params, dims, who));
  }
  Geometry g = resolve(input, weight, bias, params, dims, who);
  g.dtype = params.transposed ? kFloat32 : autocast::lower_precision_dtype();
  g.input_dtype = input.dtype();
  // Deconvolutions take the ReLU as a separate op; so do convs whose operands relu_fusable refuses.
  ConvParams run_params = params;
  run_params.relu = params.relu && !params.transposed && onednn::relu_fusable({input, weight, bias});
  const bool relu_after = params.relu && !run_params.relu;
  Tensor y;
  if (g.batch == 0 || g.in_channels == 0 || g.out_channels == 0) {
    y = degenerate(g, input, weight, bias);
    return scope.output(params.relu ? relu(y) : y);
  }
  y = onednn::guarded(who, [&] { return on_onednn(g, input, weight, bias, run_params, who); });
  // Finite operands (a fused ReLU ran only on those) make a finite output, unless it overflows: marked, the next
  // fusion decision (a batch norm + ReLU after this conv) needs no scan. The weight and bias, small, are scanned
  // (once per version); the input when it is known already, or when it is no larger than the output (a first
  // layer's images: cheaper than scanning the output downstream).
  const bool input_finite =
      onednn::known_finite({input}) || (input.numel() <= y.numel() && !onednn::has_non_finite(input));
  if (run_params.relu ||
      (input_finite && !onednn::has_non_finite(weight) && (!bias.defined() || !onednn::has_non_finite(bias))))
    onednn::mark_finite(y);
  return scope.output(relu_after ? relu(y) : y);
}

}  // namespace

namespace {

// The convolution on oneDNN, once its geometry is resolved and checked.
Tensor on_onednn(const Geometry& g, const Tensor& input, const Tensor& weight, const Tensor& bias,
                 const ConvParams& params, const std::string& who) {
  const onednn::Key key = family_key(g, bias.defined(), params);
  if (g.transposed)
    return run(deconv_recipe.get(key), dnnl::algorithm::deconvolution_direct, g, input, weight, bias, false);
  if (!params.winograd)
    return run(conv_recipe.get(key), dnnl::algorithm::convolution_direct, g, input, weight, bias, params.relu);
  try {
    return run(conv_recipe.get(key), dnnl::algorithm::convolution_winograd, g, input, weight, bias, params.relu);
  } catch (const onednn::Refused&) {  // the first forward builds the primitive: refused there when there is no kernel
    detail::fail(who, ": winograd=true, but oneDNN has no Winograd kernel for this convolution (input ",
                 shape_str(g.src_shape()), ", kernel ", shape_str(g.kernel),
                 "); it needs a 3x3 kernel, stride 1, no "
                 "dilation or groups, and AVX-512. Set winograd=false");
  }
}

}  // namespace

// ---- int8

namespace {

void check_quantized_operands(const Tensor& input, const Tensor& weight, const Tensor& bias, const ConvParams& params,
                              int64_t dims, const std::string& who) {
  NABLA_CHECK(
      input.defined() && input.is_quantized() && input.dtype() == kUInt8 && input.qscheme() == QScheme::PerTensorAffine,
      who,
      ": the int8 convolution takes a uint8 input quantized per tensor (quantize_per_tensor(x, scale, "
      "zero_point, kUInt8)), got ",
      input.defined() ? dtype_name(input.dtype()) : "an undefined tensor",
      input.is_quantized() ? " quantized per channel"
      : input.defined()    ? " (not quantized)"
                           : "");
  NABLA_CHECK(input.dim() == dims + 1 || input.dim() == dims + 2, who, ": Expected ", dims + 1, "D (unbatched) or ",
              dims + 2, "D (batched) input to ", op_name(false, dims),
              ", but got input of size: ", shape_str(input.shape()));
  NABLA_CHECK(weight.defined() && weight.is_quantized() && weight.dtype() == kInt8 && weight.dim() == dims + 2, who,
              ": the int8 convolution takes an int8 weight of ", dims + 2,
              " dims quantized per tensor or per output "
              "channel, got ",
              weight.defined() ? dtype_name(weight.dtype()) : "an undefined tensor",
              weight.defined() ? " of shape " + shape_str(weight.shape()) : "");
  const QParams& w = weight.qparams();
  NABLA_CHECK(w.scheme == QScheme::PerTensorAffine || w.axis == 0, who,
              ": the weight must be quantized per output channel (axis 0), got axis ", w.axis);
  for (int64_t zero_point : w.zero_points)
    NABLA_CHECK(zero_point == 0, who,
                ": oneDNN's int8 convolution takes symmetric weights (zero point 0), got a "
                "weight zero point of ",
                zero_point, "; quantize weights with a symmetric observer");
  NABLA_CHECK(!bias.defined() || bias.dtype() == kFloat32, who, ": the bias of an int8 convolution stays float32, got ",
              dtype_name(bias.dtype()));
  NABLA_CHECK(!params.transposed, who, ": there is no int8 transposed convolution; run it in float32");
  validate_conv_params(params, Shape(weight.shape().begin() + 2, weight.shape().end()), who);
}

}  // namespace

Tensor quantized_convolution(const Tensor& input, const Tensor& weight, const Tensor& bias, const ConvParams& params,
                             int64_t dims, double output_scale, int64_t output_zero_point, const std::string& who) {
  check_quantized_operands(input, weight, bias, params, dims, who);
  if (input.dim() == dims + 1)
    return quantized_convolution(input.unsqueeze(0), weight, bias, params, dims, output_scale, output_zero_point, who)
        .squeeze(0);
  const QParams out_params{QScheme::PerTensorAffine, {output_scale}, {output_zero_point}, 0};
  check_quantization_params(output_scale, output_zero_point, kUInt8, who.c_str());
  Geometry g = resolve(input, weight, bias, params, dims, who);
  g.dtype = g.input_dtype = kUInt8;
  if (g.batch == 0 || g.in_channels == 0 || g.out_channels == 0) {  // no sums: the bias alone, as the float conv
    const Tensor y = degenerate(g, input, weight.dequantize(), bias).detach();
    return quantize_per_tensor(params.relu ? relu(y) : y, output_scale, output_zero_point, kUInt8);
  }

  const onednn::Requantization requant(input, weight, bias, output_scale, output_zero_point, params.relu);
  onednn::Key key = family_key(g, bias.defined(), params);
  key << requant;
  const dnnl::memory::desc user_md = user_weights_desc(g, kInt8);
  return onednn::guarded(who, [&] {
    Descriptors d(g);
    d.weights = onednn::any_desc(Shape(user_md.dims()), kInt8);
    if (bias.defined()) d.bias = onednn::plain_desc({g.out_channels});
    const auto& pass = conv_recipe.get(key)->forward(
        false,
        [&](dnnl::prop_kind kind) {
          return dnnl::convolution_forward::desc(kind, dnnl::algorithm::convolution_direct, d.src, d.weights, d.bias,
                                                 d.dst, d.strides, d.dilates, d.pad_l, d.pad_r);
        },
        requant.attr);
    onednn::Args args(pass);
    args.in(DNNL_ARG_SRC, onednn::dense(input.detach()))
        .weights(DNNL_ARG_WEIGHTS, weight.detach().contiguous(), user_md)
        .out(DNNL_ARG_DST, g.dst_shape());
    if (bias.defined()) args.plain(DNNL_ARG_BIAS, requant.bias);
    args.run();
    return make_quantized(args.result(DNNL_ARG_DST), out_params);
  });
}

template <size_t D>
ConvParams to_params(const ConvFuncOptions<D>& o, const std::string& who) {
  ConvParams p;
  p.stride = expand_dims(o.stride.values, D, "stride", who);
  p.dilation = expand_dims(o.dilation.values, D, "dilation", who);
  p.padding_mode = o.padding.mode;
  p.padding = o.padding.mode.empty() ? expand_dims(o.padding.values, D, "padding", who) : Shape(D, 0);
  p.groups = o.groups;
  return p;
}

template <size_t D>
ConvParams to_params(const ConvTransposeFuncOptions<D>& o, const std::string& who) {
  ConvParams p;
  p.transposed = true;
  p.stride = expand_dims(o.stride.values, D, "stride", who);
  p.dilation = expand_dims(o.dilation.values, D, "dilation", who);
  p.padding_mode = o.padding.mode;
  p.padding = o.padding.mode.empty() ? expand_dims(o.padding.values, D, "padding", who) : Shape(D, 0);
  p.output_padding = expand_dims(o.output_padding.values, D, "output_padding", who);
  p.groups = o.groups;
  return p;
}

template ConvParams to_params(const ConvFuncOptions<1>&, const std::string&);
template ConvParams to_params(const ConvFuncOptions<2>&, const std::string&);
template ConvParams to_params(const ConvFuncOptions<3>&, const std::string&);
template ConvParams to_params(const ConvTransposeFuncOptions<1>&, const std::string&);
template ConvParams to_params(const ConvTransposeFuncOptions<2>&, const std::string&);
template ConvParams to_params(const ConvTransposeFuncOptions<3>&, const std::string&);

Tensor conv1d(const Tensor& x, const Tensor& w, const Tensor& b, const ConvFuncOptions<1>& o) {
  return convolution(x, w, b, to_params(o, "conv1d"), 1, "conv1d");
}
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const ConvFuncOptions<2>& o) {
  return convolution(x, w, b, to_params(o, "conv2d"), 2, "conv2d");
}
Tensor conv3d(const Tensor& x, const Tensor& w, const Tensor& b, const ConvFuncOptions<3>& o) {
  return convolution(x, w, b, to_params(o, "conv3d"), 3, "conv3d");
}
Tensor conv_transpose1d(const Tensor& x, const Tensor& w, const Tensor& b, const ConvTransposeFuncOptions<1>& o) {
  return convolution(x, w, b, to_params(o, "conv_transpose1d"), 1, "conv_transpose1d");
}
Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& b, const ConvTransposeFuncOptions<2>& o) {
  return convolution(x, w, b, to_params(o, "conv_transpose2d"), 2, "conv_transpose2d");
}
Tensor conv_transpose3d(const Tensor& x, const Tensor& w, const Tensor& b, const ConvTransposeFuncOptions<3>& o) {
  return convolution(x, w, b, to_params(o, "conv_transpose3d"), 3, "conv_transpose3d");
}

}  // namespace nabla
