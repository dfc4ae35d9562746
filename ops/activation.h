#pragma once
// Private: what other oneDNN ops need from ops/activation.cpp.
#include <oneapi/dnnl/dnnl.hpp>

#include "nabla/core/tensor.hpp"

namespace nabla::detail {

// The ReLU node for `output` = relu(input) that another primitive already computed with ReLU as its
// post-op (a fused conv): records ReluBackward0 from `input` (which carries the producer's node) and
// returns the recorded handle (relu() records its own through it). The backward reads `output`: the gradient
// passes where it is positive or NaN, as in PyTorch.
Tensor record_relu(const Tensor& input, const Tensor& output);

// oneDNN's eltwise `algorithm` (with its alpha and beta) over input, in input's layout, recording `node`, whose
// backward reads the input, or the output when backward_from_output (the *_use_dst_for_bwd algorithms).
Tensor eltwise(const Tensor& input, dnnl::algorithm algorithm, float alpha, float beta, const char* node,
               bool backward_from_output = false);

}  // namespace nabla::detail
