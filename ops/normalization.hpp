#pragma once
/// @file
/// Normalization: batch_norm and layer_norm on oneDNN's primitives; group_norm and instance_norm as a batch
/// norm over regrouped channels, as PyTorch computes them. PyTorch's F.* signatures, options in its order.
#include "nabla/core/tensor.hpp"

namespace nabla {

struct BatchNormFuncOptions {
  Tensor weight{};  ///< (C) scale, or undefined for 1
  Tensor bias{};    ///< (C) shift, or undefined for 0
  bool training = false;
  double momentum = 0.1;  ///< running = (1 - momentum) · running + momentum · batch statistic
  double eps = 1e-5;
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

struct LayerNormFuncOptions {
  Tensor weight{};  ///< normalized_shape, or undefined
  Tensor bias{};
  double eps = 1e-5;
};

/// Normalises over the last normalized_shape.size() dims, which must equal normalized_shape.
Tensor layer_norm(const Tensor& input, const Shape& normalized_shape, const LayerNormFuncOptions& options = {});

struct GroupNormFuncOptions {
  Tensor weight{};  ///< (C), or undefined
  Tensor bias{};
  double eps = 1e-5;
};

/// input (N, C, *): the C channels in num_groups groups, each group of each sample normalised on its own.
Tensor group_norm(const Tensor& input, int64_t num_groups, const GroupNormFuncOptions& options = {});

struct InstanceNormFuncOptions {
  Tensor running_mean{};  ///< (C), or undefined
  Tensor running_var{};
  Tensor weight{};
  Tensor bias{};
  bool use_input_stats = true;
  double momentum = 0.1;
  double eps = 1e-5;
};

/// input (N, C, *): each channel of each sample normalised on its own (use_input_stats), or with the running
/// statistics.
Tensor instance_norm(const Tensor& input, const InstanceNormFuncOptions& options = {});

}  // namespace nabla
