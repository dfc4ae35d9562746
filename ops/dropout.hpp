#pragma once
// Dropout: zeroes each element with probability p during training and scales the rest by 1/(1-p).
#include "nabla/core/tensor.hpp"

namespace nabla {

Tensor dropout(const Tensor& x, double p = 0.5, bool training = true);

}  // namespace nabla
