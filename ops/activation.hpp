#pragma once
/// @file
/// Activations with torch.nn.functional's names and arguments. relu, sigmoid and tanh live in
/// ops/elementwise.hpp. Where oneDNN has the function (ops/activation.cpp) it runs as an eltwise primitive in
/// its input's layout; the rest are compositions of differentiable ops.
#include <string>

#include "nabla/core/tensor.hpp"

namespace nabla {

Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
Tensor elu(const Tensor& x, double alpha = 1.0);
Tensor selu(const Tensor& x);
Tensor celu(const Tensor& x, double alpha = 1.0);
/// approximate: "none" (the erf form) or "tanh".
Tensor gelu(const Tensor& x, const std::string& approximate = "none");
Tensor silu(const Tensor& x);
Tensor mish(const Tensor& x);
Tensor hardswish(const Tensor& x);
Tensor hardsigmoid(const Tensor& x);
Tensor hardtanh(const Tensor& x, double min_val = -1.0, double max_val = 1.0);
Tensor relu6(const Tensor& x);
/// log(1 + exp(beta·x)) / beta, and x itself where beta·x > threshold.
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
Tensor softsign(const Tensor& x);
Tensor logsigmoid(const Tensor& x);
/// weight: (1) or (C), C the input's dim 1 (dim 0 for a 1-D input).
Tensor prelu(const Tensor& x, const Tensor& weight);
Tensor softmin(const Tensor& x, int64_t dim);

}  // namespace nabla
