#pragma once
/// @file
/// Normalization layers: BatchNorm1d/2d/3d, SyncBatchNorm, InstanceNorm1d/2d/3d, LayerNorm, GroupNorm, as torch.nn
/// has them:
/// the same options, parameters (weight, bias), buffers (running_mean, running_var, num_batches_tracked) and
/// state_dict keys. Thin over ops/normalization.hpp.
/// @ingroup layers_norm
#include <memory>
#include <optional>

#include "nabla/core/distributed.hpp"
#include "nabla/nn/module.hpp"

namespace nabla::nn {
/// @addtogroup layers_norm
/// @{

/// The options of BatchNorm1d/2d/3d and SyncBatchNorm, in PyTorch's order.
struct BatchNormOptions {
  int64_t num_features = kRequired;      ///< C, the input's channels (required)
  double eps = 1e-5;                     ///< added to the variance before the square root
  std::optional<double> momentum = 0.1;  ///< std::nullopt: a cumulative average (PyTorch's momentum=None)
  bool affine = true;                    ///< learnable per-channel weight (γ) and bias (β)
  bool track_running_stats = true;  ///< keep running mean and variance for eval mode (else batch statistics always)
};

/// The options of InstanceNorm1d/2d/3d: PyTorch's defaults differ from BatchNorm's (no affine, no running stats).
struct InstanceNormOptions {
  int64_t num_features = kRequired;      ///< C, the input's channels (required)
  double eps = 1e-5;                     ///< added to the variance before the square root
  std::optional<double> momentum = 0.1;  ///< the running statistics' update factor
  bool affine = false;                   ///< learnable per-channel weight and bias
  bool track_running_stats = false;      ///< keep running statistics for eval mode
};

/// PyTorch's _NormBase: what batch and instance norm share. weight (ones) and bias (zeros) when affine;
/// running_mean (zeros), running_var (ones) and num_batches_tracked (0, int64) when tracking running stats.
class NormBase : public Module {
 public:
  /// kind ("BatchNorm", "SyncBatchNorm", "InstanceNorm") and dims name the layer in its repr and errors.
  NormBase(const std::string& kind, size_t dims, const BatchNormOptions& options);
  void reset_running_stats();  ///< running_mean 0, running_var 1, num_batches_tracked 0
  void reset_parameters();     ///< reset_running_stats(), weight 1, bias 0
  std::string name() const override;
  std::string extra_repr() const override;
  /// Batch statistics over every rank of `group` from now on (what convert_sync_batchnorm does to a BatchNorm);
  /// shared by every copy of this module's handle.
  void sync_over(const distributed::ProcessGroup& group);

  BatchNormOptions options;    ///< as constructed
  Tensor weight;               ///< γ, (num_features); undefined without affine
  Tensor bias;                 ///< β, (num_features); undefined without affine
  Tensor running_mean;         ///< (num_features); undefined without track_running_stats
  Tensor running_var;          ///< (num_features); undefined without track_running_stats
  Tensor num_batches_tracked;  ///< int64 scalar: training steps seen

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
  /// with these options
  explicit BatchNormNd(const BatchNormOptions& options) : Layer<BatchNormNd<D>, NormBase>("BatchNorm", D, options) {}
  /// Input (N, C, *) with C = num_features (BatchNorm1d: (N, C) or (N, C, L); 2d: (N, C, H, W); 3d: (N, C, D, H, W));
  /// the same shape out. Training: batch statistics, running ones updated; eval: the running ones.
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
  /// Statistics over every rank of `process_group` (the world by default) in training.
  explicit SyncBatchNorm(const BatchNormOptions& options, const distributed::ProcessGroup& process_group = {});
  Tensor forward(const Tensor& input);  ///< as BatchNorm's, the batch statistics all-reduced across ranks
};

/// Makes every BatchNorm1d/2d/3d of `module` (itself included) a SyncBatchNorm over `process_group`, in place, as
/// torch.nn.SyncBatchNorm.convert_sync_batchnorm; returns module. Call it before wrapping in DistributedDataParallel.
Module& convert_sync_batchnorm(Module& module, const distributed::ProcessGroup& process_group = {});

/// Each channel of each sample normalised on its own; (C, *) unbatched input too.
template <size_t D>
class InstanceNormNd : public Layer<InstanceNormNd<D>, NormBase> {
 public:
  explicit InstanceNormNd(const InstanceNormOptions& options);  ///< with these options
  /// input (N, C, *spatial) or unbatched (C, *spatial); each sample's channels normalised on their own
  Tensor forward(const Tensor& input);
};

using BatchNorm1d = BatchNormNd<1>;        ///< torch.nn.BatchNorm1d: (N, C) or (N, C, L)
using BatchNorm2d = BatchNormNd<2>;        ///< torch.nn.BatchNorm2d: (N, C, H, W)
using BatchNorm3d = BatchNormNd<3>;        ///< torch.nn.BatchNorm3d: (N, C, D, H, W)
using InstanceNorm1d = InstanceNormNd<1>;  ///< torch.nn.InstanceNorm1d
using InstanceNorm2d = InstanceNormNd<2>;  ///< torch.nn.InstanceNorm2d
using InstanceNorm3d = InstanceNormNd<3>;  ///< torch.nn.InstanceNorm3d

/// The options of nn::LayerNorm.
struct LayerNormOptions {
  Sizes normalized_shape = kRequired;  ///< one number (the last dim) or the last dims
  double eps = 1e-5;                   ///< added to the variance before the square root
  bool elementwise_affine = true;      ///< learnable weight and bias of normalized_shape
};

/// Normalises over the last dims (normalized_shape); weight (ones) and bias (zeros) of that shape.
class LayerNorm : public Layer<LayerNorm> {
 public:
  explicit LayerNorm(const LayerNormOptions& options);  ///< with these options
  Tensor forward(const Tensor& input);                  ///< input (*, *normalized_shape); the same shape out
  void reset_parameters();                              ///< weight 1, bias 0
  std::string extra_repr() const override;

  LayerNormOptions options;  ///< as constructed
  Tensor weight;             ///< learnable scale (undefined without the affine option)
  Tensor bias;               ///< learnable shift (undefined without the affine option)
};

/// The options of nn::GroupNorm.
struct GroupNormOptions {
  int64_t num_groups = kRequired;    ///< the number of groups (required; num_channels must divide by it)
  int64_t num_channels = kRequired;  ///< C, the input's channels (required)
  double eps = 1e-5;                 ///< added to the variance before the square root
  bool affine = true;                ///< learnable per-channel weight and bias
};

/// The channels in num_groups groups, each group of each sample normalised on its own; weight and bias per channel.
class GroupNorm : public Layer<GroupNorm> {
 public:
  explicit GroupNorm(const GroupNormOptions& options);  ///< with these options
  Tensor forward(const Tensor& input);                  ///< input (N, C, *); the same shape out
  void reset_parameters();                              ///< weight 1, bias 0
  std::string extra_repr() const override;

  GroupNormOptions options;  ///< as constructed
  Tensor weight;             ///< learnable scale (undefined without the affine option)
  Tensor bias;               ///< learnable shift (undefined without the affine option)
};

/// @}
}  // namespace nabla::nn
