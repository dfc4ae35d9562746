#pragma once
/// @file
/// Unfold (im2col) and Fold (col2im) in 1-D, 2-D and 3-D: torch.nn.functional.unfold/fold, extended
/// past PyTorch's two spatial dims.
///
/// @code
///   auto cols = F::unfold(x, {.kernel_size = 3, .padding = 1});          // x (N, C, H, W): 2-D, as PyTorch
///   auto cols1 = F::unfold(x1, {.kernel_size = {5}, .stride = {2}});     // x1 (N, C, W): 1-D
///   auto y = F::fold(cols3, {.output_size = {8, 8, 8}, .kernel_size = 2}); // 3-D
/// @endcode
///
/// The number of spatial dims is the length of kernel_size (unfold) or output_size (fold); a single
/// number means 2-D, which is what it means in PyTorch. The other sizes are one number for every dim
/// or one per dim.
///
/// unfold: (N, C, *spatial) or (C, *spatial) → (N, C·∏kernel, L), L the number of sliding blocks;
/// each column is one block, its rows channel-major then kernel offsets in row-major order.
/// fold: (N, C·∏kernel, L) or (C·∏kernel, L) → (N, C, *output_size), summing overlapping blocks; the
/// adjoint of unfold, so fold(unfold(x)) == x · fold(unfold(ones)).
/// @ingroup functional
#include "nabla/core/tensor.hpp"

namespace nabla {
/// @addtogroup functional
/// @{

/// PyTorch's argument order: kernel_size, dilation, padding, stride.
struct UnfoldOptions {
  Sizes kernel_size = kRequired;  ///< the sliding block's size: one number or one per spatial dim
  Sizes dilation = 1;             ///< the spacing between the block's elements
  Sizes padding = 0;              ///< implicit zeros on both sides
  Sizes stride = 1;               ///< the step of the block
};

/// The options of F.fold (nn::Fold), in PyTorch's order.
struct FoldOptions {
  Sizes output_size = kRequired;  ///< the spatial size of the output
  Sizes kernel_size = kRequired;  ///< the sliding block's size
  Sizes dilation = 1;             ///< the spacing between the block's elements
  Sizes padding = 0;              ///< implicit zeros on both sides
  Sizes stride = 1;               ///< the step of the block
};

/// F.unfold (im2col): (N, C, *spatial) → (N, C·∏kernel_size, L), L the number of block positions.
Tensor unfold(const Tensor& input, const UnfoldOptions& options);
/// F.fold (col2im), the adjoint of unfold: (N, C·∏kernel_size, L) → (N, C, *output_size), overlaps summed.
Tensor fold(const Tensor& input, const FoldOptions& options);

/// The checks that need no input (sizes per dim, positive kernel/stride/dilation, non-negative
/// padding): the modules run them at construction.
void validate(const UnfoldOptions& options);
void validate(const FoldOptions& options);  ///< the same checks for fold

/// @}
}  // namespace nabla
