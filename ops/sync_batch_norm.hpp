#pragma once
/// @file
/// Batch norm over the batch of every rank of a process group (PyTorch's SyncBatchNorm in training): the mean and
/// variance per channel are those of all ranks' inputs together, and so are the gradients through them.
/// @ingroup distributed
#include "nabla/core/distributed.hpp"
#include "nabla/ops/normalization.hpp"

namespace nabla {
/// @addtogroup distributed
/// @{

/// As batch_norm(input, running_mean, running_var, options) with options.training, on the group's whole batch:
/// every rank of the group calls it with inputs of the same channels (batch sizes may differ). Running statistics,
/// when given, are updated with the group's mean and unbiased variance, the same on every rank.
Tensor sync_batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                       const BatchNormFuncOptions& options, const distributed::ProcessGroup& group = {});

/// @}
}  // namespace nabla
