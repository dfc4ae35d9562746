#include "nabla/nn/embedding.hpp"

#include "nabla/autograd/grad_mode.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/nn/init.hpp"
#include "nabla/ops/embedding.hpp"

namespace nabla::nn {

Embedding::Embedding(const EmbeddingOptions& opts) : options(opts) {
  check_required("Embedding", "num_embeddings", options.num_embeddings);
  check_required("Embedding", "embedding_dim", options.embedding_dim);
  const int64_t rows = options.num_embeddings;
  NABLA_CHECK(rows >= 0 && options.embedding_dim >= 0, "Embedding(", rows, ", ", options.embedding_dim,
              "): num_embeddings and embedding_dim must be non-negative");
  if (options.padding_idx) {
    const int64_t p = *options.padding_idx;
    NABLA_CHECK(p < rows && p >= -rows, "Embedding(", rows, ", ", options.embedding_dim,
                "): padding_idx must be within num_embeddings, got ", p);
    if (p < 0) options.padding_idx = p + rows;
  }
  weight = register_parameter("weight", empty({rows, options.embedding_dim}));
  reset_parameters();
}

void Embedding::reset_parameters() {
  init::normal_(weight);  // N(0, 1), then the padding row zeroed, as torch.nn.Embedding
  if (options.padding_idx) {
    NoGradGuard no_grad;
    weight.select(0, *options.padding_idx).fill_(0.0);
  }
}

Tensor Embedding::forward(const Tensor& indices) { return embedding(indices, weight, options.padding_idx); }

std::string Embedding::extra_repr() const {
  std::string s = std::to_string(options.num_embeddings) + ", " + std::to_string(options.embedding_dim);
  if (options.padding_idx) s += ", padding_idx=" + std::to_string(*options.padding_idx);
  return s;
}

}  // namespace nabla::nn
