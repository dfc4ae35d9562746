#include "nabla/nn/normalization.hpp"

#include "nabla/autograd/grad_mode.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/nn/quantization.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/normalization.hpp"
#include "nabla/ops/sync_batch_norm.hpp"

namespace nabla::nn {

namespace {
std::string bool_str(bool b) { return b ? "True" : "False"; }

// A count option: required and positive.
void check_features(const std::string& who, int64_t value, const char* option) {
  check_required(who, option, value);
  NABLA_CHECK(value > 0, who, ": ", option, " must be positive, got ", value);
}
}  // namespace

NormBase::NormBase(const std::string& kind, size_t dims, const BatchNormOptions& opts)
    : options(opts), kind_(kind), dims_(dims), sync_(std::make_shared<std::optional<distributed::ProcessGroup>>()) {
  check_features(name(), options.num_features, "num_features");
  if (options.affine) {
    weight = register_parameter("weight", empty({options.num_features}));
    bias = register_parameter("bias", empty({options.num_features}));
  }
  if (options.track_running_stats) {
    running_mean = register_buffer("running_mean", empty({options.num_features}));
    running_var = register_buffer("running_var", empty({options.num_features}));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, kInt64));
  }
  reset_parameters();
}

void NormBase::reset_running_stats() {
  if (!options.track_running_stats) return;
  NoGradGuard no_grad;
  running_mean.zero_();
  running_var.fill_(1.0);
  num_batches_tracked.zero_();
}

void NormBase::reset_parameters() {
  reset_running_stats();
  if (!options.affine) return;
  NoGradGuard no_grad;
  weight.fill_(1.0);
  bias.zero_();
}

double NormBase::count_batch() {
  if (!is_training() || !options.track_running_stats) return options.momentum.value_or(0.0);
  NoGradGuard no_grad;
  const int64_t count = num_batches_tracked.item<int64_t>() + 1;
  num_batches_tracked.fill_(static_cast<double>(count));
  return options.momentum ? *options.momentum : 1.0 / static_cast<double>(count);
}

void NormBase::check_rank(const Tensor& input, std::initializer_list<int64_t> ranks) const {
  for (int64_t r : ranks)
    if (input.dim() == r) return;
  std::string expected;
  for (int64_t r : ranks) expected += (expected.empty() ? "" : " or ") + std::to_string(r) + "D";
  throw Error(name() + ": expected " + expected + " input (got " + std::to_string(input.dim()) + "D input)");
}

std::string NormBase::name() const {
  if (sync_->has_value() || dims_ == 0) return "SyncBatchNorm";
  return kind_ + std::to_string(dims_) + "d";
}

void NormBase::sync_over(const distributed::ProcessGroup& group) {
  NABLA_CHECK(kind_ == "BatchNorm", name(), ": only batch norm synchronises its statistics across ranks");
  *sync_ = group;
}

Tensor NormBase::batch_norm_forward(const Tensor& input, bool relu) {
  const double momentum = count_batch();
  // Batch statistics in training, and in eval too when there are no running ones.
  const bool batch_stats = is_training() || !options.track_running_stats;
  const BatchNormFuncOptions o{
      .weight = weight, .bias = bias, .training = batch_stats, .momentum = momentum, .eps = options.eps};
  // A process that is not part of a job (not launched by mpirun, no Session) is a world of one: nothing to
  // synchronise, and no MPI started for it.
  const bool in_a_job = distributed::is_initialized() || distributed::is_launched();
  if (sync_->has_value() && is_training() && in_a_job && (*sync_)->size() > 1) {
    const Tensor out = sync_batch_norm(input, running_mean, running_var, o, **sync_);
    return relu ? nabla::relu(out) : out;
  }
  return relu ? batch_norm_relu(input, running_mean, running_var, o) : batch_norm(input, running_mean, running_var, o);
}

std::string NormBase::extra_repr() const {
  return std::to_string(options.num_features) + ", eps=" + python_float(options.eps) +
         ", momentum=" + (options.momentum ? python_float(*options.momentum) : "None") +
         ", affine=" + bool_str(options.affine) + ", track_running_stats=" + bool_str(options.track_running_stats);
}

template <size_t D>
Tensor BatchNormNd<D>::forward(const Tensor& input) {
  return run(input, false);
}

template <size_t D>
Tensor BatchNormNd<D>::forward_relu(const Tensor& input) {
  return run(input, true);
}

template <size_t D>
Tensor BatchNormNd<D>::run(const Tensor& input, bool relu) {
  // Folded into the conv before it by quantization::prepare: that conv computes the norm (and the ReLU, when it was
  // fused too). A float BatchNorm after int8 layers reads their values.
  if (const auto& folded = this->quantization_state()) return relu && !folded->relu() ? nabla::relu(input) : input;
  if (input.defined() && input.is_quantized()) return run(input.dequantize(), relu);
  if constexpr (D == 1)
    this->check_rank(input, {2, 3});
  else
    this->check_rank(input, {static_cast<int64_t>(D) + 2});
  return this->batch_norm_forward(input, relu);
}

// dims 0: NormBase names it SyncBatchNorm, synchronised or not (a world of one).
SyncBatchNorm::SyncBatchNorm(const BatchNormOptions& options, const distributed::ProcessGroup& process_group)
    : Layer<SyncBatchNorm, NormBase>("BatchNorm", 0, options) {
  sync_over(process_group);
}

Tensor SyncBatchNorm::forward(const Tensor& input) {
  NABLA_CHECK(input.defined() && input.dim() >= 2, "SyncBatchNorm: expected at least 2D input (got ",
              input.defined() ? input.dim() : 0, "D input)");
  return batch_norm_forward(input, false);
}

Module& convert_sync_batchnorm(Module& module, const distributed::ProcessGroup& process_group) {
  for (Module* m : module.modules())
    if (auto* norm = dynamic_cast<NormBase*>(m); norm && norm->name().find("BatchNorm") != std::string::npos)
      norm->sync_over(process_group);
  return module;
}

namespace {
BatchNormOptions as_norm_options(const InstanceNormOptions& o) {
  return {.num_features = o.num_features,
          .eps = o.eps,
          .momentum = o.momentum,
          .affine = o.affine,
          .track_running_stats = o.track_running_stats};
}
}  // namespace

template <size_t D>
InstanceNormNd<D>::InstanceNormNd(const InstanceNormOptions& options)
    : Layer<InstanceNormNd<D>, NormBase>("InstanceNorm", D, as_norm_options(options)) {
  NABLA_CHECK(options.momentum.has_value(), this->name(),
              ": momentum must be a number (PyTorch's instance_norm has no cumulative average)");
}

template <size_t D>
Tensor InstanceNormNd<D>::forward(const Tensor& input) {
  constexpr auto batched = static_cast<int64_t>(D) + 2;
  this->check_rank(input, {batched - 1, batched});
  if (input.dim() == batched - 1) return forward(input.unsqueeze(0)).squeeze(0);
  const auto& o = this->options;
  NABLA_CHECK(!o.affine || input.size(1) == o.num_features, this->name(), ": expected input's size at dim=1 to match ",
              "num_features (", o.num_features, "), but got: ", input.size(1), ".");
  const bool use_input_stats = this->is_training() || !o.track_running_stats;
  return instance_norm(input, {.running_mean = this->running_mean,
                               .running_var = this->running_var,
                               .weight = this->weight,
                               .bias = this->bias,
                               .use_input_stats = use_input_stats,
                               .momentum = *o.momentum,
                               .eps = o.eps});
}

template class BatchNormNd<1>;
template class BatchNormNd<2>;
template class BatchNormNd<3>;
template class InstanceNormNd<1>;
template class InstanceNormNd<2>;
template class InstanceNormNd<3>;

LayerNorm::LayerNorm(const LayerNormOptions& opts) : options(opts) {
  check_required("LayerNorm", "normalized_shape", options.normalized_shape.values);
  for (int64_t s : options.normalized_shape.values)
    NABLA_CHECK(s >= 0, "LayerNorm: normalized_shape must be non-negative, got ",
                shape_str(options.normalized_shape.values));
  if (options.elementwise_affine) {
    weight = register_parameter("weight", empty(options.normalized_shape.values));
    bias = register_parameter("bias", empty(options.normalized_shape.values));
  }
  reset_parameters();
}

void LayerNorm::reset_parameters() {
  if (!options.elementwise_affine) return;
  NoGradGuard no_grad;
  weight.fill_(1.0);
  bias.zero_();
}

Tensor LayerNorm::forward(const Tensor& input) {
  return layer_norm(input, options.normalized_shape.values, {.weight = weight, .bias = bias, .eps = options.eps});
}

std::string LayerNorm::extra_repr() const {
  std::string shape;
  for (int64_t s : options.normalized_shape.values) shape += std::to_string(s) + ", ";
  if (options.normalized_shape.values.size() > 1)
    shape.erase(shape.size() - 2);
  else if (!shape.empty())
    shape.pop_back();
  return "(" + shape + "), eps=" + python_float(options.eps) +
         ", elementwise_affine=" + bool_str(options.elementwise_affine);
}

GroupNorm::GroupNorm(const GroupNormOptions& opts) : options(opts) {
  check_features("GroupNorm", options.num_groups, "num_groups");
  check_features("GroupNorm", options.num_channels, "num_channels");
  NABLA_CHECK(options.num_channels % options.num_groups == 0,
              "GroupNorm: num_channels must be divisible by num_groups, got num_channels=", options.num_channels,
              " and num_groups=", options.num_groups);
  if (options.affine) {
    weight = register_parameter("weight", empty({options.num_channels}));
    bias = register_parameter("bias", empty({options.num_channels}));
  }
  reset_parameters();
}

void GroupNorm::reset_parameters() {
  if (!options.affine) return;
  NoGradGuard no_grad;
  weight.fill_(1.0);
  bias.zero_();
}

Tensor GroupNorm::forward(const Tensor& input) {
  return group_norm(input, options.num_groups, {.weight = weight, .bias = bias, .eps = options.eps});
}

std::string GroupNorm::extra_repr() const {
  return std::to_string(options.num_groups) + ", " + std::to_string(options.num_channels) +
         ", eps=" + python_float(options.eps) + ", affine=" + bool_str(options.affine);
}

}  // namespace nabla::nn
