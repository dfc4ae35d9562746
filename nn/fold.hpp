#pragma once
/// @file
/// nn::Unfold and nn::Fold: the layers over F::unfold / F::fold (ops/fold.hpp), 1-D to 3-D.
///
/// @code
///   nn::Unfold unfold({.kernel_size = {2, 3}, .padding = 1});             // 2-D, as torch.nn.Unfold
///   nn::Fold fold({.output_size = {8, 8, 8}, .kernel_size = 2, .stride = 2});  // 3-D
/// @endcode
/// @ingroup layers_conv
#include "nabla/nn/module.hpp"
#include "nabla/ops/fold.hpp"

namespace nabla::nn {
/// @addtogroup layers_conv
/// @{

/// torch.nn.Unfold, in 1-D, 2-D and 3-D (F::unfold).
class Unfold : public Layer<Unfold> {
 public:
  explicit Unfold(const UnfoldOptions& options);  ///< checks the options once
  Tensor forward(const Tensor& input);            ///< F::unfold(input, options)
  std::string extra_repr() const override;

  UnfoldOptions options;  ///< as constructed
};

/// torch.nn.Fold, in 1-D, 2-D and 3-D (F::fold).
class Fold : public Layer<Fold> {
 public:
  explicit Fold(const FoldOptions& options);  ///< checks the options once
  Tensor forward(const Tensor& input);        ///< F::fold(input, options)
  std::string extra_repr() const override;

  FoldOptions options;  ///< as constructed
};

/// @}
}  // namespace nabla::nn
