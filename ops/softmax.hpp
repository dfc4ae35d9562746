#pragma once
/// @file
/// softmax and log_softmax over one dim, on oneDNN.
#include "nabla/core/tensor.hpp"

namespace nabla {

Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);

}  // namespace nabla
