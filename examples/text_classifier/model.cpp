#include "text_classifier/model.hpp"

#include <limits>

namespace text_classifier {

using namespace nabla;

namespace {
std::vector<nn::Conv1d> make_convs(const TextCNNOptions& o) {
  NABLA_CHECK(!o.kernel_sizes.empty(), "TextCNN: kernel_sizes must list at least one size");
  std::vector<nn::Conv1d> convs;
  for (int64_t k : o.kernel_sizes)
    convs.emplace_back(nn::ConvOptions<1>{.in_channels = o.embedding_dim, .out_channels = o.filters,
                                          .kernel_size = k, .padding = "same"});
  return convs;
}
}  // namespace

TextCNN::TextCNN(const TextCNNOptions& o)
    : options(o),
      embedding({.num_embeddings = o.vocab_size, .embedding_dim = o.embedding_dim, .padding_idx = 0}),
      convs(make_convs(o)),
      dropout({.p = o.dropout}),
      fc({.in_features = o.filters * static_cast<int64_t>(o.kernel_sizes.size()), .out_features = o.classes}) {
  register_module("embedding", embedding);
  for (size_t i = 0; i < convs.size(); ++i) register_module("conv_k" + std::to_string(o.kernel_sizes[i]), convs[i]);
  register_module("dropout", dropout);
  register_module("fc", fc);
}

Tensor TextCNN::forward(const Tensor& ids) {
  NABLA_CHECK(ids.dim() == 2 && ids.dtype() == kInt64, "TextCNN: expected int64 token ids of shape (batch, time), got ",
              dtype_name(ids.dtype()), " ", shape_str(ids.shape()));
  const Tensor h = embedding(ids).transpose(1, 2);                  // (B, E, T)
  const Tensor padding = eq(ids, scalar_tensor(0, kInt64)).unsqueeze(1);  // (B, 1, T)
  std::vector<Tensor> pooled;
  for (auto& conv : convs) {
    // max over time commutes with the ReLU (it is monotonic), so the ReLU runs on the pooled (B, F)
    // values instead of every position: the same numbers as ReLU-then-max. Padding is -inf, so an
    // empty text pools to relu(-inf) = 0, as the reference's -inf-then-zero gives.
    Tensor scores = conv(h);
    if (scores.is_quantized()) scores = scores.dequantize();  // an int8 model's: masked_fill takes values
    const Tensor features = masked_fill(scores, padding, -std::numeric_limits<double>::infinity());   // (B, F, T)
    pooled.push_back(relu(std::get<0>(max(features, 2))));                                            // (B, F)
  }
  return fc(dropout(pooled.size() == 1 ? pooled[0] : cat(pooled, 1)));
}

}  // namespace text_classifier
