#pragma once
/// @file
/// Normalization layers: BatchNorm1d/2d/3d, SyncBatchNorm, InstanceNorm1d/2d/3d, LayerNorm, GroupNorm, as torch.nn
/// has them:
/// the same options, parameters (weight, bias), buffers (running_mean, running_var, num_batches_tracked) and
/// state_dict keys. Thin over ops/normalization.hpp.
#include <memory>
#include <optional>

#include "nabla/core/distributed.hpp"
#include "nabla/nn/module.hpp"

namespace nabla::nn {

struct BatchNormOptions {
  int64_t num_features = kRequired;
  double eps = 1e-5;
  std::optional<double> momentum = 0.1;  ///< std::nullopt: a cumulative average (PyTorch's momentum=None)
  bool affine = true;
  bool track_running_stats = true;
};

struct InstanceNormOptions {
  int64_t num_features = kRequired;
  double eps = 1e-5;
  std::optional<double> momentum = 0.1;
  bool affine = false;
  bool track_running_stats = false;
};

/// PyTorch's _NormBase: what batch and instance norm share. weight (ones) and bias (zeros) when affine;
/// running_mean (zeros), running_var (ones) and num_batches_tracked (0, int64) when tracking running stats.
class NormBase : public Module {
 public:
  NormBase(const std::string& kind, size_t dims, const BatchNormOptions& options);
  void reset_running_stats();
  void reset_parameters();
  std::string name() const override;
  std::string extra_repr() const override;
  /// Batch statistics over every rank of `group` from now on (what convert_sync_batchnorm does to a BatchNorm);
  /// shared by every copy of this module's handle.
  void sync_over(const distributed::ProcessGroup& group);

  BatchNormOptions options;
  Tensor weight, bias;
  Tensor running_mean, running_var, num_batches_tracked;

 protected:
  /// In training with running stats: counts the batch and returns the momentum to use (1/count when momentum
  /// is std::nullopt).
  double count_batch();
  /// "expected 4D input (got 3D input)" unless input has one of `ranks` dims.
  void check_rank(const Tensor& input, std::initializer_list<int64_t> ranks) const;
  /// Batch norm (then ReLU, with relu) with this module's parameters and statistics, synchronised when it is.
  Tensor batch_norm_forward(const Tensor& input, bool relu);

 private:
  std::string kind_;
  size_t dims_;
  std::shared_ptr<std::optional<distributed::ProcessGroup>> sync_;  ///< the group, once synchronised
};

/// y = (x - mean) / sqrt(var + eps) · weight + bias per channel of (N, C, *): the batch's statistics in training
/// (and when not tracking running stats), the running ones in eval. 1d takes (N, C) or (N, C, L).
template <size_t D>
class BatchNormNd : public Layer<BatchNormNd<D>, NormBase> {
 public:
  explicit BatchNormNd(const BatchNormOptions& options) : Layer<BatchNormNd<D>, NormBase>("BatchNorm", D, options) {}
  Tensor forward(const Tensor& input);
  /// relu(forward(input)) on oneDNN's fused norm + ReLU; nn::Sequential runs a BatchNorm followed by a ReLU so.
  Tensor forward_relu(const Tensor& input);

 private:
  Tensor run(const Tensor& input, bool relu);
};

/// BatchNorm whose training statistics are those of the whole batch across a process group's ranks (PyTorch's
/// SyncBatchNorm): with DistributedDataParallel, training equals one process on the global batch. Input (N, C, *)
/// of any rank from 2; in eval, or in a process that is not part of a job, it is BatchNorm.
class SyncBatchNorm : public Layer<SyncBatchNorm, NormBase> {
 public:
  explicit SyncBatchNorm(const BatchNormOptions& options, const distributed::ProcessGroup& process_group = {});
  Tensor forward(const Tensor& input);
};

/// Makes every BatchNorm1d/2d/3d of `module` (itself included) a SyncBatchNorm over `process_group`, in place, as
/// torch.nn.SyncBatchNorm.convert_sync_batchnorm; returns module. Call it before wrapping in DistributedDataParallel.
Module& convert_sync_batchnorm(Module& module, const distributed::ProcessGroup& process_group = {});

/// Each channel of each sample normalised on its own; (C, *) unbatched input too.
template <size_t D>
class InstanceNormNd : public Layer<InstanceNormNd<D>, NormBase> {
 public:
  explicit InstanceNormNd(const InstanceNormOptions& options);
  Tensor forward(const Tensor& input);
};

using BatchNorm1d = BatchNormNd<1>;
using BatchNorm2d = BatchNormNd<2>;
using BatchNorm3d = BatchNormNd<3>;
using InstanceNorm1d = InstanceNormNd<1>;
using InstanceNorm2d = InstanceNormNd<2>;
using InstanceNorm3d = InstanceNormNd<3>;

struct LayerNormOptions {
  Sizes normalized_shape = kRequired;  ///< one number (the last dim) or the last dims
  double eps = 1e-5;
  bool elementwise_affine = true;
};

/// Normalises over the last dims (normalized_shape); weight (ones) and bias (zeros) of that shape.
class LayerNorm : public Layer<LayerNorm> {
 public:
  explicit LayerNorm(const LayerNormOptions& options);
  Tensor forward(const Tensor& input);
  void reset_parameters();
  std::string extra_repr() const override;

  LayerNormOptions options;
  Tensor weight, bias;
};

struct GroupNormOptions {
  int64_t num_groups = kRequired;
  int64_t num_channels = kRequired;
  double eps = 1e-5;
  bool affine = true;
};

/// The channels in num_groups groups, each group of each sample normalised on its own; weight and bias per channel.
class GroupNorm : public Layer<GroupNorm> {
 public:
  explicit GroupNorm(const GroupNormOptions& options);
  Tensor forward(const Tensor& input);
  void reset_parameters();
  std::string extra_repr() const override;

  GroupNormOptions options;
  Tensor weight, bias;
};

}  // namespace nabla::nn
