#pragma once
/// @file
/// Views and shape ops. Views share storage with their input; all are differentiable.
/// @ingroup tensors
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla {
/// @addtogroup tensors
/// @{

Tensor reshape(const Tensor& x, const Shape& shape);  ///< one dim may be -1
Tensor view(const Tensor& x, const Shape& shape);     ///< like reshape, but never copies
/// dims start_dim..end_dim merged into one (torch.flatten)
Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);  ///< dims dim0 and dim1 swapped (a view)
Tensor permute(const Tensor& x, const Shape& dims);             ///< dims reordered (a view; torch.permute)
Tensor unsqueeze(const Tensor& x, int64_t dim);                 ///< a size-1 dim inserted at dim (a view)
Tensor squeeze(const Tensor& x);                                ///< every size-1 dim removed (a view)
Tensor squeeze(const Tensor& x, int64_t dim);                   ///< dim removed when its size is 1 (a view)
/// length elements of dim from start (a view; torch.narrow)
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
/// Python's x[start:end:step] along dim (a view)
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step = 1);
/// index `index` of dim, the dim removed (a view; x[..., index, ...])
Tensor select(const Tensor& x, int64_t dim, int64_t index);
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);  ///< index: 1-D int64
Tensor expand(const Tensor& x, const Shape& shape);                      ///< -1 keeps a dim
/// torch.cat: the tensors joined along dim (equal shapes elsewhere).
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
/// PyTorch's quantized cat: tensors quantized uint8 per tensor, the result quantized with scale and zero_point (the
/// integers copied when an operand has those parameters, else its values quantized again).
Tensor quantized_cat(const std::vector<Tensor>& tensors, int64_t dim, double scale, int64_t zero_point);
/// torch.stack: the tensors (equal shapes) joined along a new dim.
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
/// (*, C·r², H, W) → (*, C, H·r, W·r): sub-pixel channels into space, and back.
Tensor pixel_shuffle(const Tensor& x, int64_t upscale_factor);
Tensor pixel_unshuffle(const Tensor& x, int64_t downscale_factor);  ///< F.pixel_unshuffle: the inverse of pixel_shuffle

/// @}
}  // namespace nabla
