#include "text_classifier/model.hpp"

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
    // After the ReLU every value is >= 0, so filling padding with 0 (not -inf) leaves the max of a
    // text unchanged and gives 0 for an empty one, as the reference's -inf-then-zero does.
    const Tensor features = masked_fill(relu(conv(h)), padding, 0.0);  // (B, F, T)
    pooled.push_back(std::get<0>(max(features, 2)));                   // (B, F)
  }
  return fc(dropout(pooled.size() == 1 ? pooled[0] : cat(pooled, 1)));
}

}  // namespace text_classifier
