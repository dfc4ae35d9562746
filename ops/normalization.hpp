#pragma once
/// @file
/// Normalization: batch_norm and layer_norm on oneDNN's primitives; group_norm and instance_norm as a batch
/// norm over regrouped channels, as PyTorch computes them. PyTorch's F.* signatures, options in its order.
/// @ingroup functional
#include "nabla/core/tensor.hpp"

namespace nabla {
/// @addtogroup functional
/// @{

/// The options of F.batch_norm (the running statistics are arguments).
struct BatchNormFuncOptions {
  Tensor weight{};        ///< (C) scale, or undefined for 1
  Tensor bias{};          ///< (C) shift, or undefined for 0
  bool training = false;  ///< batch statistics (and running-statistics updates) instead of the running ones
  double momentum = 0.1;  ///< running = (1 - momentum) · running + momentum · batch statistic
  double eps = 1e-5;      ///< added to the variance before the square root
};

/// input (N, C, *). training: normalises with the batch's mean and biased variance and, when given, updates
/// running_mean/running_var in place (the variance unbiased); else normalises with the running statistics.
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const BatchNormFuncOptions& options = {});

/// relu(batch_norm(...)) in one pass, on oneDNN's fused norm + ReLU (what nn::Sequential runs for a BatchNorm
/// followed by a ReLU): the same values and gradients; the graph has one node, ReluBackward0, for the two.
/// Non-finite input takes the unfused path (the fused ReLU would turn NaN into 0).
Tensor batch_norm_relu(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                       const BatchNormFuncOptions& options = {});

/// The options of F.layer_norm.
struct LayerNormFuncOptions {
  Tensor weight{};    ///< normalized_shape, or undefined
  Tensor bias{};      ///< normalized_shape, or undefined
  double eps = 1e-5;  ///< added to the variance before the square root
};

/// Normalises over the last normalized_shape.size() dims, which must equal normalized_shape.
Tensor layer_norm(const Tensor& input, const Shape& normalized_shape, const LayerNormFuncOptions& options = {});

/// The options of F.group_norm.
struct GroupNormFuncOptions {
  Tensor weight{};    ///< (C), or undefined
  Tensor bias{};      ///< (C), or undefined
  double eps = 1e-5;  ///< added to the variance before the square root
};

/// input (N, C, *): the C channels in num_groups groups, each group of each sample normalised on its own.
Tensor group_norm(const Tensor& input, int64_t num_groups, const GroupNormFuncOptions& options = {});

/// The options of F.instance_norm.
struct InstanceNormFuncOptions {
  Tensor running_mean{};        ///< (C), or undefined
  Tensor running_var{};         ///< (C), or undefined
  Tensor weight{};              ///< (C) scale, or undefined
  Tensor bias{};                ///< (C) shift, or undefined
  bool use_input_stats = true;  ///< normalise with each instance's statistics (else the running ones)
  double momentum = 0.1;        ///< the running statistics' update factor
  double eps = 1e-5;            ///< added to the variance before the square root
};

/// input (N, C, *): each channel of each sample normalised on its own (use_input_stats), or with the running
/// statistics.
Tensor instance_norm(const Tensor& input, const InstanceNormFuncOptions& options = {});

/// @}
}  // namespace nabla
