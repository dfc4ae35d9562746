#pragma once
// The text CNN (Kim 2014; the Conv1d text classifier of the PyTorch and Keras tutorials), as the
// reference builds it: Embedding(V, E, padding_idx 0) -> Conv1d(E, F, k, 'same') -> ReLU -> max
// over time with padding masked out (computed as max, then ReLU: the same values) -> Dropout -> Linear(F·#kernels,
// classes). Several kernel sizes run in parallel and their pooled features are concatenated.
#include <string>
#include <vector>

#include <nabla/nabla.hpp>

namespace text_classifier {

struct TextCNNOptions {
  int64_t vocab_size = 0;
  int64_t embedding_dim = 64;
  int64_t filters = 128;                  // per kernel size
  std::vector<int64_t> kernel_sizes = {5};
  int64_t classes = 2;
  double dropout = 0.5;
};

class TextCNN : public nabla::nn::Layer<TextCNN> {
 public:
  explicit TextCNN(const TextCNNOptions& options);
  // ids: (batch, time) int64, 0 = padding. Returns logits (batch, classes).
  nabla::Tensor forward(const nabla::Tensor& ids);

  TextCNNOptions options;
  nabla::nn::Embedding embedding;
  std::vector<nabla::nn::Conv1d> convs;  // registered as conv_k<size>
  nabla::nn::Dropout dropout;
  nabla::nn::Linear fc;
};

}  // namespace text_classifier
