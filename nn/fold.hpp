#pragma once
/// @file
/// nn::Unfold and nn::Fold: the layers over F::unfold / F::fold (ops/fold.hpp), 1-D to 3-D.
///
///   nn::Unfold unfold({.kernel_size = {2, 3}, .padding = 1});             // 2-D, as torch.nn.Unfold
///   nn::Fold fold({.output_size = {8, 8, 8}, .kernel_size = 2, .stride = 2});  // 3-D
#include "nabla/nn/module.hpp"
#include "nabla/ops/fold.hpp"

namespace nabla::nn {

class Unfold : public Layer<Unfold> {
 public:
  explicit Unfold(const UnfoldOptions& options);
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  UnfoldOptions options;
};

class Fold : public Layer<Fold> {
 public:
  explicit Fold(const FoldOptions& options);
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  FoldOptions options;
};

}  // namespace nabla::nn
