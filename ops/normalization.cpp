// Normalization. batch_norm runs on oneDNN's batch_normalization primitives in the layout its input comes in
// (a conv's blocked output stays blocked), layer_norm on layer_normalization; group_norm and instance_norm are
// a batch norm of the input regrouped as (1, N·groups, ·), then the per-channel affine, as PyTorch does them.
// Each forward records its backward right below it.
#include "nabla/ops/normalization.hpp"
#include "nabla/core/trace.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "nabla/autograd/grad_mode.hpp"
#include "nabla/autograd/node.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/ops/elementwise.hpp"
#include "ops/kernels.h"
#include "ops/onednn.h"

namespace nabla {
namespace {

using Flags = dnnl::normalization_flags;

Flags flags_of(const Tensor& weight, const Tensor& bias, bool global_stats) {
  Flags f = Flags::none;
  if (weight.defined()) f |= Flags::use_scale;
  if (bias.defined()) f |= Flags::use_shift;
  if (global_stats) f |= Flags::use_global_stats;
  return f;
}

int64_t bits_of(double eps) { return std::bit_cast<uint32_t>(static_cast<float>(eps)); }

void check_vector(const Tensor& t, int64_t size, const char* what, const std::string& who) {
  if (!t.defined()) return;
  NABLA_CHECK(t.dtype() == kFloat32, who, ": ", what, " must be float32");
  NABLA_CHECK(t.numel() == size, who, ": ", what, " should contain ", size, " elements not ", t.numel());
}

// A normalization's scale and shift arguments (those defined), and, in a backward, where their gradients go: oneDNN
// takes each as a vector (layer norm's weight may have the 2-D shape of normalized_shape).
void add_affine(onednn::Args& args, const Tensor& weight, const Tensor& bias, const Tensor& dweight = {},
                const Tensor& dbias = {}) {
  const auto vector = [&](int arg, const Tensor& t) {
    if (t.defined()) args.plain(arg, t.reshape({t.numel()}));
  };
  vector(DNNL_ARG_SCALE, weight);
  vector(DNNL_ARG_SHIFT, bias);  // oneDNN 2.6's backward wants it, though it does not use it
  vector(DNNL_ARG_DIFF_SCALE, dweight);
  vector(DNNL_ARG_DIFF_SHIFT, dbias);
}

onednn::Recipe<dnnl::batch_normalization_forward, dnnl::batch_normalization_backward> batch_norm_recipe("batch_norm");
onednn::Recipe<dnnl::layer_normalization_forward, dnnl::layer_normalization_backward> layer_norm_recipe("layer_norm");

// running ← (1 - momentum) · running + momentum · batch, the variance made unbiased over n values per channel;
// in double, as PyTorch's CPU kernel.
void update_running_stats(const Tensor& running_mean, const Tensor& running_var, const Tensor& mean, const Tensor& var,
                          double momentum, int64_t n) {
  NoGradGuard no_grad;
  const float* m = mean.data_ptr<float>();
  const float* v = var.data_ptr<float>();
  const double unbias = n > 1 ? static_cast<double>(n) / static_cast<double>(n - 1) : NAN;
  if (running_mean.defined()) {
    float* r = running_mean.data_ptr<float>();
    for (int64_t c = 0; c < mean.numel(); ++c) r[c] = static_cast<float>(momentum * m[c] + (1 - momentum) * r[c]);
    running_mean.bump_version();
  }
  if (running_var.defined()) {
    float* r = running_var.data_ptr<float>();
    for (int64_t c = 0; c < var.numel(); ++c)
      r[c] = static_cast<float>(momentum * v[c] * unbias + (1 - momentum) * r[c]);
    running_var.bump_version();
  }
}

// The layout batch norm runs in: the input's own when oneDNN already chose it (a conv's blocked output); for a
// plain (N, C, spatial) input the channel-blocked one, where oneDNN's batch norm is a JIT kernel (on the plain
// layout it is a slow generic one, ~3x the time of the reorders there and back).
dnnl::memory::desc native_layout(const Tensor& x) {
  const dnnl::memory::desc own = onednn::layout_of(x);
  if (x.dim() < 3 || own != onednn::plain_desc(x.shape(), x.dtype())) return own;
  using Tag = dnnl::memory::format_tag;
  const Tag blocked = x.dim() == 3 ? Tag::nCw16c : x.dim() == 4 ? Tag::nChw16c : Tag::nCdhw16c;
  return {onednn::dims(x.shape()), onednn::data_type(x.dtype()), blocked};
}

bool any_zero(const Tensor& values) {
  const auto v = values.to_vector<float>();
  return std::find(v.begin(), v.end(), 0.f) != v.end();
}

// PyTorch's batch norm takes 1/sqrt(var + eps) as 0 where var = eps = 0 (a constant channel): there the output is
// the bias and no gradient reaches the input, where oneDNN divides by zero. That rare case is computed by definition.
Tensor batch_norm_by_definition(const Tensor& input, const BatchNormFuncOptions& o, bool relu) {
  if (input.dtype() == kBFloat16) return batch_norm_by_definition(input.to(kFloat32), o, relu).to(kBFloat16);
  Shape dims, channel_shape(static_cast<size_t>(input.dim()), 1);
  for (int64_t d = 0; d < input.dim(); ++d)
    if (d != 1) dims.push_back(d);
  channel_shape[1] = input.size(1);
  const Tensor centred = input - input.mean(dims, true);
  const Tensor var = (centred * centred).mean(dims, true), varies = var != 0.0;
  Tensor y = centred * where(varies, pow(where(varies, var, 1.0), -0.5), 0.0);
  if (o.weight.defined()) y = y * o.weight.reshape(channel_shape);
  if (o.bias.defined()) y = y + o.bias.reshape(channel_shape);
  return relu ? nabla::relu(y) : y;
}

// batch_norm of an input of 2 to 5 dims with at least one element; with relu, oneDNN's fused norm + ReLU (the
// caller has decided it may: onednn::relu_fusable).
Tensor batch_norm_on_onednn(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                            const BatchNormFuncOptions& o, bool relu, bool zero_invstd_rule) {
  const Tensor x = onednn::dense(input.detach());
  const int64_t channels = x.size(1);
  const dnnl::memory::desc layout = native_layout(x);
  const bool batch_stats = o.training, graph = autograd::needs_graph({input, o.weight, o.bias});
  const Flags flags = flags_of(o.weight, o.bias, !batch_stats) | (relu ? Flags::fuse_norm_relu : Flags::none);
  const float eps = static_cast<float>(o.eps);
  onednn::Key key("batch_norm");
  key << layout << static_cast<int64_t>(flags) << bits_of(o.eps);
  const auto prims = batch_norm_recipe.get(key);
  const bool training = batch_stats || graph;
  onednn::Args forward(prims->forward(training, [&](dnnl::prop_kind kind) {
    return dnnl::batch_normalization_forward::desc(kind, layout, eps, flags);
  }));
  // The statistics the output is normalised with: the batch's (written by the primitive) or a copy of the
  // running ones (the backward must see them as they are now, not after the next training step's update).
  const Tensor mean = batch_stats ? empty({channels}) : running_mean.detach().contiguous().clone();
  const Tensor var = batch_stats ? empty({channels}) : running_var.detach().contiguous().clone();
  const Tensor weight = o.weight.defined() ? o.weight.detach().contiguous() : Tensor();
  const Tensor bias = o.bias.defined() ? o.bias.detach().contiguous() : Tensor();
  forward.in(DNNL_ARG_SRC, x).out(DNNL_ARG_DST, x.shape(), x).plain(DNNL_ARG_MEAN, mean).plain(DNNL_ARG_VARIANCE, var);
  add_affine(forward, weight, bias);
  // The fused ReLU's mask, for its backward.
  const onednn::Held workspace = relu && training ? forward.scratch(DNNL_ARG_WORKSPACE) : onednn::Held{};
  forward.run();
  if (batch_stats) update_running_stats(running_mean, running_var, mean, var, o.momentum, x.numel() / channels);
  if (batch_stats && o.eps == 0 && zero_invstd_rule && any_zero(var)) return batch_norm_by_definition(input, o, relu);
  return autograd::record(
      relu ? "ReluBackward0" : "NativeBatchNormBackward0", forward.result(DNNL_ARG_DST), {input, o.weight, o.bias},
      [prims, x, weight, bias, mean, var, flags, workspace, eps](const Tensor& g, const autograd::Needs&) {
        const bool affine = weight.defined() || bias.defined();
        onednn::Args backward(prims->backward<0>([&](const auto& hint) {
          const auto kind = affine ? dnnl::prop_kind::backward : dnnl::prop_kind::backward_data;
          return dnnl::batch_normalization_backward::desc(kind, hint.src_desc(), hint.src_desc(), eps, flags);
        }));
        const Tensor dweight = weight.defined() ? empty(weight.shape()) : Tensor();
        const Tensor dbias = bias.defined() ? empty(bias.shape()) : Tensor();
        backward.in(DNNL_ARG_SRC, x).in(DNNL_ARG_DIFF_DST, onednn::dense(g)).out(DNNL_ARG_DIFF_SRC, x.shape(), x);
        backward.plain(DNNL_ARG_MEAN, mean).plain(DNNL_ARG_VARIANCE, var);
        add_affine(backward, weight, bias, dweight, dbias);
        if (workspace.owner.defined()) backward.in(DNNL_ARG_WORKSPACE, workspace);
        backward.run();
        return autograd::Grads{backward.result(DNNL_ARG_DIFF_SRC), dweight, dbias};
      },
      autograd::Saves::Inputs);
}

// The gradient of a normalization over an empty input: nothing flows, the affine parameters get zeros.
Tensor empty_norm(const Tensor& input, const Tensor& weight, const Tensor& bias, const char* node) {
  return autograd::record(
      node, empty(input.shape()), {input, weight, bias},
      [shape = input.shape(), weight, bias](const Tensor&, const autograd::Needs&) {
        return autograd::Grads{zeros(shape), weight.defined() ? zeros(weight.shape()) : Tensor(),
                               bias.defined() ? zeros(bias.shape()) : Tensor()};
      },
      autograd::Saves::Nothing);
}

// layer_norm of x viewed as (rows, features), each row normalised on its own.
Tensor layer_norm_on_onednn(const Tensor& input, int64_t rows, int64_t features, const LayerNormFuncOptions& o) {
  const Tensor x = input.detach().contiguous().reshape({rows, features});
  const dnnl::memory::desc layout = onednn::plain_desc(x.shape(), x.dtype());  // statistics and affine: float32
  const bool graph = autograd::needs_graph({input, o.weight, o.bias});
  const Flags flags = flags_of(o.weight, o.bias, false);
  const float eps = static_cast<float>(o.eps);
  onednn::Key key("layer_norm");
  key << layout << static_cast<int64_t>(flags) << bits_of(o.eps);
  const auto prims = layer_norm_recipe.get(key);
  onednn::Args forward(prims->forward(
      graph, [&](dnnl::prop_kind kind) { return dnnl::layer_normalization_forward::desc(kind, layout, eps, flags); }));
  const Tensor mean = empty({rows}), var = empty({rows});
  const Tensor weight = o.weight.defined() ? o.weight.detach().contiguous() : Tensor();
  const Tensor bias = o.bias.defined() ? o.bias.detach().contiguous() : Tensor();
  const Tensor y = empty(x.shape(), x.dtype());
  forward.plain(DNNL_ARG_SRC, x).plain(DNNL_ARG_DST, y);
  if (graph) forward.plain(DNNL_ARG_MEAN, mean).plain(DNNL_ARG_VARIANCE, var);
  add_affine(forward, weight, bias);
  forward.run();
  return autograd::record(
      "NativeLayerNormBackward0", y.reshape(input.shape()), {input, o.weight, o.bias},
      [prims, x, weight, bias, mean, var, flags, eps, shape = input.shape()](const Tensor& g, const autograd::Needs&) {
        const bool affine = weight.defined() || bias.defined();
        onednn::Args backward(prims->backward<0>([&](const auto& hint) {
          const auto kind = affine ? dnnl::prop_kind::backward : dnnl::prop_kind::backward_data;
          return dnnl::layer_normalization_backward::desc(kind, hint.src_desc(), hint.src_desc(), eps, flags);
        }));
        const Tensor dx = empty(x.shape(), x.dtype());
        const Tensor dweight = weight.defined() ? empty(weight.shape()) : Tensor();
        const Tensor dbias = bias.defined() ? empty(bias.shape()) : Tensor();
        backward.plain(DNNL_ARG_SRC, x).plain(DNNL_ARG_DIFF_DST, g.contiguous().reshape(x.shape()));
        backward.plain(DNNL_ARG_MEAN, mean).plain(DNNL_ARG_VARIANCE, var).plain(DNNL_ARG_DIFF_SRC, dx);
        add_affine(backward, weight, bias, dweight, dbias);
        backward.run();
        return autograd::Grads{dx.reshape(shape), dweight, dbias};
      },
      autograd::Saves::Inputs);
}

// weight and bias of a group or instance norm, (C) each, applied to its normalised (N, C, *) output.
Tensor channel_affine(const Tensor& normalised, const Tensor& weight, const Tensor& bias) {
  Shape shape(static_cast<size_t>(normalised.dim()), 1);
  shape[1] = normalised.size(1);
  Tensor y = normalised;  // a bfloat16 one (autocast's) stays bfloat16: the parameters are cast, differentiably
  if (weight.defined()) y = y * weight.to(y.dtype()).reshape(shape);
  if (bias.defined()) y = y + bias.to(y.dtype()).reshape(shape);
  return y;
}

}  // namespace

namespace {
void check_batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                      const BatchNormFuncOptions& o) {
  const std::string who = "batch_norm";
  kernels::check_floating(input, who.c_str());  // bfloat16 (autocast's) with float32 statistics and parameters
  NABLA_CHECK(input.dim() >= 2, who, ": expected input of shape (N, C, *), got ", shape_str(input.shape()));
  const int64_t channels = input.size(1);
  check_vector(running_mean, channels, "running_mean", who);
  check_vector(running_var, channels, "running_var", who);
  check_vector(o.weight, channels, "weight", who);
  check_vector(o.bias, channels, "bias", who);
  NABLA_CHECK(o.training || (running_mean.defined() && running_var.defined()), who,
              ": running_mean must be defined in evaluation mode; pass the running statistics or training = true");
  if (o.training) {
    NABLA_CHECK(input.numel() / std::max<int64_t>(channels, 1) != 1 || input.numel() == 0,
                "Expected more than 1 value per channel when training, got input size ", shape_str(input.shape()));
  }
}
}  // namespace

namespace {
// Whether every channel is divided by a positive sqrt(var + eps): else the output may hold NaN (eps < 0, a negative
// running variance) or infinities (eps = 0), which must not meet a fused ReLU nor be marked finite.
bool divides_by_positive(const BatchNormFuncOptions& o, const Tensor& stats_var) {
  if (!(o.eps > 0)) return false;
  if (o.training) return true;
  const auto var = stats_var.to_vector<float>();
  return std::all_of(var.begin(), var.end(), [&](float v) { return v + o.eps > 0; });
}

// batch_norm, then relu when asked: fused into the norm when onednn::relu_fusable says so. The arguments are checked.
// zero_invstd_rule: PyTorch's batch and instance norms' (batch_norm_by_definition); its group norm has none.
Tensor batch_norm_checked(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                          const BatchNormFuncOptions& o, bool relu, bool zero_invstd_rule = true) {
  trace::Scope scope("batch_norm", {input, o.weight, o.bias, running_mean, running_var}, [&] {
    return trace::Attributes{
        {"training", int64_t{o.training}}, {"eps", o.eps}, {"momentum", o.momentum}, {"relu", int64_t{relu}}};
  });
  if (input.numel() == 0) {
    const Tensor y = empty_norm(input, o.weight, o.bias, "NativeBatchNormBackward0");
    return scope.output(relu ? nabla::relu(y) : y);
  }
  if (input.dim() > 5) {  // oneDNN's primitive takes up to 3 spatial dims: fold the rest into one
    const Tensor folded = input.reshape({input.size(0), input.size(1), -1});
    return scope.output(
        batch_norm_checked(folded, running_mean, running_var, o, relu, zero_invstd_rule).reshape(input.shape()));
  }
  const Tensor stats_mean = o.training ? Tensor() : running_mean, stats_var = o.training ? Tensor() : running_var;
  const bool finite_operands = onednn::known_finite({input, o.weight, o.bias, stats_mean, stats_var});
  const bool positive = divides_by_positive(o, stats_var);
  const bool fused = relu && positive && onednn::relu_fusable({input, o.weight, o.bias, stats_mean, stats_var});
  const Tensor y = batch_norm_on_onednn(input, running_mean, running_var, o, fused, zero_invstd_rule);
  // Finite operands make a finite output: the next conv's fusion decision then needs no scan.
  if (fused || (finite_operands && positive)) onednn::mark_finite(y);
  return scope.output(relu && !fused ? nabla::relu(y) : y);
}
}  // namespace

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const BatchNormFuncOptions& o) {
  check_batch_norm(input, running_mean, running_var, o);
  return batch_norm_checked(input, running_mean, running_var, o, false);
}

Tensor batch_norm_relu(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                       const BatchNormFuncOptions& o) {
  check_batch_norm(input, running_mean, running_var, o);
  return batch_norm_checked(input, running_mean, running_var, o, true);
}

Tensor layer_norm(const Tensor& input, const Shape& normalized_shape, const LayerNormFuncOptions& o) {
  trace::Scope scope("layer_norm", {input, o.weight, o.bias}, [&] {
    return trace::Attributes{{"normalized_shape", normalized_shape}, {"eps", o.eps}};
  });
  const std::string who = "layer_norm";
  kernels::check_floating(input, who.c_str());
  NABLA_CHECK(!normalized_shape.empty(), who,
              ": Expected normalized_shape to be at least 1-dimensional, i.e., "
              "containing at least one element, but got normalized_shape = []");
  const auto n = static_cast<int64_t>(normalized_shape.size());
  NABLA_CHECK(input.dim() >= n && Shape(input.shape().end() - n, input.shape().end()) == normalized_shape, who,
              ": Given normalized_shape=", shape_str(normalized_shape), ", expected input with shape [*, ",
              shape_str(normalized_shape).substr(1), ", but got input of size", shape_str(input.shape()));
  for (const auto& [t, what] : {std::pair{o.weight, "weight"}, std::pair{o.bias, "bias"}})
    NABLA_CHECK(!t.defined() || t.shape() == normalized_shape, who, ": Expected ", what,
                " to be of same shape as normalized_shape, but got ", what, " of shape ", shape_str(t.shape()),
                " and normalized_shape = ", shape_str(normalized_shape));
  const int64_t features = numel(normalized_shape);
  if (input.numel() == 0) return scope.output(empty_norm(input, o.weight, o.bias, "NativeLayerNormBackward0"));
  return scope.output(layer_norm_on_onednn(input, input.numel() / features, features, o));
}

Tensor group_norm(const Tensor& input, int64_t num_groups, const GroupNormFuncOptions& o) {
  trace::Scope scope("group_norm", {input, o.weight, o.bias}, [&] {
    return trace::Attributes{{"num_groups", num_groups}, {"eps", o.eps}};
  });
  const std::string who = "group_norm";
  kernels::check_floating(input, who.c_str());
  NABLA_CHECK(input.dim() >= 2, who, ": Expected at least 2 dimensions for input tensor but received ", input.dim());
  const int64_t batch = input.size(0), channels = input.size(1);
  NABLA_CHECK(num_groups > 0 && channels % num_groups == 0, who,
              ": Expected number of channels in input to be divisible by num_groups, but got input of shape ",
              shape_str(input.shape()), " and num_groups=", num_groups);
  for (const auto& [t, what] : {std::pair{o.weight, "weight"}, std::pair{o.bias, "bias"}})
    NABLA_CHECK(!t.defined() || (t.dim() == 1 && t.numel() == channels), who, ": Expected ", what,
                " to be a vector of size equal to the number of channels in input, but got ", what, " of shape ",
                shape_str(t.shape()), " and input of shape ", shape_str(input.shape()));
  if (input.numel() == 0) return scope.output(empty_norm(input, o.weight, o.bias, "NativeGroupNormBackward0"));
  // PyTorch refuses only a single value in all: (N·C/G) · spatial = 1.
  Shape sizes{batch * channels / num_groups, num_groups};
  sizes.insert(sizes.end(), input.shape().begin() + 2, input.shape().end());
  NABLA_CHECK(sizes[0] * numel(Shape(sizes.begin() + 2, sizes.end())) != 1, who,
              ": Expected more than 1 value per channel when training, got input size ", shape_str(sizes));
  // Each (sample, group) is one channel of a batch norm over a batch of one.
  const Tensor grouped = input.reshape({1, batch * num_groups, -1});
  const Tensor normalised =
      batch_norm_checked(grouped, {}, {}, {.training = true, .eps = o.eps}, false, false).reshape(input.shape());
  return scope.output(channel_affine(normalised, o.weight, o.bias));
}

Tensor instance_norm(const Tensor& input, const InstanceNormFuncOptions& o) {
  trace::Scope scope("instance_norm", {input, o.weight, o.bias, o.running_mean, o.running_var}, [&] {
    return trace::Attributes{{"use_input_stats", int64_t{o.use_input_stats}}, {"eps", o.eps}};
  });
  const std::string who = "instance_norm";
  kernels::check_floating(input, who.c_str());
  NABLA_CHECK(input.dim() >= 3, who, ": expected input of shape (N, C, *) with spatial dims, got ",
              shape_str(input.shape()));
  const int64_t batch = input.size(0), channels = input.size(1);
  check_vector(o.running_mean, channels, "running_mean", who);
  check_vector(o.running_var, channels, "running_var", who);
  check_vector(o.weight, channels, "weight", who);
  check_vector(o.bias, channels, "bias", who);
  if (o.use_input_stats)
    NABLA_CHECK(input.numel() / std::max<int64_t>(batch * channels, 1) != 1 || input.numel() == 0,
                "Expected more than 1 spatial element when training, got input size ", shape_str(input.shape()));
  if (input.numel() == 0) return scope.output(empty_norm(input, o.weight, o.bias, "NativeBatchNormBackward0"));
  // Each (sample, channel) is one channel of a batch norm over a batch of one; the running statistics are
  // repeated per sample, and their update is the mean over the samples' updates (PyTorch's instance_norm).
  const auto repeated = [&](const Tensor& t) {
    return t.defined() ? t.detach().reshape({1, channels}).expand({batch, channels}).contiguous().reshape({-1})
                       : Tensor();
  };
  const Tensor mean = repeated(o.running_mean), var = repeated(o.running_var);
  const Tensor normalised = batch_norm(input.reshape({1, batch * channels, -1}), mean, var,
                                       {.training = o.use_input_stats, .momentum = o.momentum, .eps = o.eps})
                                .reshape(input.shape());
  if (o.use_input_stats) {
    NoGradGuard no_grad;
    if (o.running_mean.defined()) Tensor(o.running_mean).copy_(mean.reshape({batch, channels}).mean({0}));
    if (o.running_var.defined()) Tensor(o.running_var).copy_(var.reshape({batch, channels}).mean({0}));
  }
  return scope.output(channel_affine(normalised, o.weight, o.bias));
}

}  // namespace nabla
