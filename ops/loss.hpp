#pragma once
// Losses, with PyTorch's reductions, ignore_index and class weights.
#include "nabla/core/tensor.hpp"

namespace nabla {

enum class Reduction { none, mean, sum };

struct NLLLossOptions {
  Tensor weight{};             // per-class weights (C), or undefined for all ones
  int64_t ignore_index = -100;
  Reduction reduction = Reduction::mean;
};
using CrossEntropyLossOptions = NLLLossOptions;

// input: log-probabilities (N, C), (C) or (N, C, d1, ...); target: class indices (N), () or (N, d1, ...).
Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossOptions& options = {});
// log_softmax over the class dim, then nll_loss.
Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyLossOptions& options = {});
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);

}  // namespace nabla
