#pragma once
/// @file
/// nn::Embedding: a lookup table of num_embeddings vectors of size embedding_dim.
/// @ingroup layers_linear
#include <optional>

#include "nabla/nn/module.hpp"

namespace nabla::nn {
/// @addtogroup layers_linear
/// @{

/// The options of nn::Embedding, in PyTorch's order.
struct EmbeddingOptions {
  int64_t num_embeddings = kRequired;    ///< the vocabulary's size (required)
  int64_t embedding_dim = kRequired;     ///< each vector's size (required)
  std::optional<int64_t> padding_idx{};  ///< its row starts at zero and gets no gradient; may be negative
};

/// torch.nn.Embedding: a lookup table of num_embeddings vectors of size embedding_dim.
class Embedding : public Layer<Embedding> {
 public:
  /// Builds the table with PyTorch's init (N(0, 1); the padding_idx row zero).
  explicit Embedding(const EmbeddingOptions& options);
  /// int64 indices of any shape (*) → (*, embedding_dim); an index out of range is a nabla::Error.
  Tensor forward(const Tensor& indices);
  void reset_parameters();  ///< N(0, 1) again, the padding_idx row zero
  std::string extra_repr() const override;

  EmbeddingOptions options;  ///< as constructed
  Tensor weight;             ///< (num_embeddings, embedding_dim)
};

/// @}
}  // namespace nabla::nn
