#pragma once
/// @file
/// nn::Embedding: a lookup table of num_embeddings vectors of size embedding_dim.
#include <optional>

#include "nabla/nn/module.hpp"

namespace nabla::nn {

struct EmbeddingOptions {
  int64_t num_embeddings = kRequired;
  int64_t embedding_dim = kRequired;
  std::optional<int64_t> padding_idx{};  ///< its row starts at zero and gets no gradient; may be negative
};

class Embedding : public Layer<Embedding> {
 public:
  explicit Embedding(const EmbeddingOptions& options);
  Tensor forward(const Tensor& indices);
  void reset_parameters();
  std::string extra_repr() const override;

  EmbeddingOptions options;
  Tensor weight;
};

}  // namespace nabla::nn
