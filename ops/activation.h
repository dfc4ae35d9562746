#pragma once
// Private: what other oneDNN ops need from ops/activation.cpp.
#include "nabla/core/tensor.hpp"

namespace nabla::detail {

// The ReLU node for `output` = relu(input) that another primitive already computed with ReLU as its
// post-op (a fused conv): records ReluBackward0 from `input` (which carries the producer's node) and
// returns the recorded handle (relu() records its own through it). The backward reads `output`: the gradient
// passes where it is positive or NaN, as in PyTorch.
Tensor record_relu(const Tensor& input, const Tensor& output);

}  // namespace nabla::detail
