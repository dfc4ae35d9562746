#pragma once
/// @file
/// Embedding lookup: rows of a (num_embeddings, embedding_dim) weight picked by int64 indices.
/// @ingroup functional
#include <optional>

#include "nabla/core/tensor.hpp"

namespace nabla {
/// @addtogroup functional
/// @{

/// indices: int64 of any shape; result: indices.shape + [embedding_dim]. The row at padding_idx
/// gets no gradient.
Tensor embedding(const Tensor& indices, const Tensor& weight, std::optional<int64_t> padding_idx = std::nullopt);

/// @}
}  // namespace nabla
