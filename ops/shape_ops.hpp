#pragma once
/// @file
/// Views and shape ops. Views share storage with their input; all are differentiable.
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla {

Tensor reshape(const Tensor& x, const Shape& shape);  ///< one dim may be -1
Tensor view(const Tensor& x, const Shape& shape);     ///< like reshape, but never copies
Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);
Tensor permute(const Tensor& x, const Shape& dims);
Tensor unsqueeze(const Tensor& x, int64_t dim);
Tensor squeeze(const Tensor& x);
Tensor squeeze(const Tensor& x, int64_t dim);
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step = 1);  ///< Python's x[start:end:step]
Tensor select(const Tensor& x, int64_t dim, int64_t index);
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);  ///< index: 1-D int64
Tensor expand(const Tensor& x, const Shape& shape);  ///< -1 keeps a dim
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
/// PyTorch's quantized cat: tensors quantized uint8 per tensor, the result quantized with scale and zero_point (the
/// integers copied when an operand has those parameters, else its values quantized again).
Tensor quantized_cat(const std::vector<Tensor>& tensors, int64_t dim, double scale, int64_t zero_point);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
/// (*, C·r², H, W) → (*, C, H·r, W·r): sub-pixel channels into space, and back.
Tensor pixel_shuffle(const Tensor& x, int64_t upscale_factor);
Tensor pixel_unshuffle(const Tensor& x, int64_t downscale_factor);

}  // namespace nabla
