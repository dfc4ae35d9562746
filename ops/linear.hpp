#pragma once
// Matrix products on oneDNN: matmul (torch.matmul's rules for 1-D, 2-D and batched operands) and
// linear (y = x Wᵀ + b over the last dim of x).
#include "nabla/core/tensor.hpp"

namespace nabla {

Tensor matmul(const Tensor& a, const Tensor& b);
Tensor mm(const Tensor& a, const Tensor& b);  // 2-D only
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias = {});

}  // namespace nabla
