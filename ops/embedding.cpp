// Embedding: forward copies rows; backward adds each output row's gradient into its weight row.
#include "nabla/ops/embedding.hpp"
#include "nabla/core/trace.hpp"

#include <cstring>

#include "nabla/autograd/node.hpp"
#include "nabla/core/factory.hpp"
#include "ops/kernels.h"

namespace nabla {

Tensor embedding(const Tensor& indices, const Tensor& weight, std::optional<int64_t> padding_idx) {
  trace::Scope scope("embedding", {indices, weight});
  kernels::check_float(weight, "embedding");
  NABLA_CHECK(weight.dim() == 2, "embedding: 'weight' must be 2-D (num_embeddings, embedding_dim), got ",
              shape_str(weight.shape()));
  NABLA_CHECK(indices.defined() && indices.dtype() == kInt64, "embedding: expected int64 indices, got ",
              indices.defined() ? dtype_name(indices.dtype()) : "an undefined tensor");
  const int64_t rows = weight.size(0), dim = weight.size(1);
  if (padding_idx) {  // PyTorch's F.embedding: within the table, negative counted from its end
    NABLA_CHECK(*padding_idx >= -rows && *padding_idx < rows, "embedding: padding_idx must be within num_embeddings (",
                rows, "), got ", *padding_idx);
    if (*padding_idx < 0) *padding_idx += rows;
  }
  const std::vector<int64_t> idx = indices.to_vector<int64_t>();
  for (int64_t i : idx)
    NABLA_CHECK(i >= 0 && i < rows, "embedding: index ", i, " is out of range for a table of ", rows,
                " embeddings (expected 0 <= index < ", rows, ")");
  Shape shape = indices.shape();
  shape.push_back(dim);
  Tensor y = empty(shape);
  const Tensor w = weight.detach().contiguous();
  const float* pw = w.data_ptr<float>();
  float* py = y.data_ptr<float>();
  for (size_t k = 0; k < idx.size(); ++k) std::memcpy(py + k * dim, pw + idx[k] * dim, sizeof(float) * dim);
  return scope.output(autograd::record(
      "EmbeddingBackward0", y, {weight},
      [idx, rows, dim, padding_idx](const Tensor& g, const autograd::Needs&) {
        Tensor gw = zeros({rows, dim});
        const Tensor dense = g.contiguous();
        const float* pg = dense.data_ptr<float>();
        float* out = gw.data_ptr<float>();
        for (size_t k = 0; k < idx.size(); ++k) {
          if (padding_idx && idx[k] == *padding_idx) continue;
          float* row = out + idx[k] * dim;
          const float* grad_row = pg + k * dim;
          for (int64_t j = 0; j < dim; ++j) row[j] += grad_row[j];
        }
        return autograd::Grads{gw};
      },
      autograd::Saves::Nothing));
}

}  // namespace nabla
