#pragma once
/// @file
/// Activations with torch.nn.functional's names and arguments. relu, sigmoid and tanh live in
/// ops/elementwise.hpp. Where oneDNN has the function (ops/activation.cpp) it runs as an eltwise primitive in
/// its input's layout; the rest are compositions of differentiable ops.
/// @ingroup functional
#include <string>

#include "nabla/core/tensor.hpp"

namespace nabla {
/// @addtogroup functional
/// @{

/// max(0, x) + negative_slope · min(0, x) (F.leaky_relu)
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
Tensor elu(const Tensor& x, double alpha = 1.0);   ///< x where x > 0, else alpha · (exp(x) - 1) (F.elu)
Tensor selu(const Tensor& x);                      ///< scale · elu(x, alpha) with SELU's fixed constants (F.selu)
Tensor celu(const Tensor& x, double alpha = 1.0);  ///< max(0, x) + min(0, alpha · (exp(x / alpha) - 1)) (F.celu)
/// approximate: "none" (the erf form) or "tanh".
Tensor gelu(const Tensor& x, const std::string& approximate = "none");
Tensor silu(const Tensor& x);         ///< x · sigmoid(x) (F.silu, "swish")
Tensor mish(const Tensor& x);         ///< x · tanh(softplus(x)) (F.mish)
Tensor hardswish(const Tensor& x);    ///< x · relu6(x + 3) / 6 (F.hardswish)
Tensor hardsigmoid(const Tensor& x);  ///< relu6(x + 3) / 6 (F.hardsigmoid)
/// x clamped to [min_val, max_val] (F.hardtanh)
Tensor hardtanh(const Tensor& x, double min_val = -1.0, double max_val = 1.0);
Tensor relu6(const Tensor& x);  ///< min(max(0, x), 6) (F.relu6)
/// log(1 + exp(beta·x)) / beta, and x itself where beta·x > threshold.
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
Tensor softsign(const Tensor& x);    ///< x / (1 + |x|) (F.softsign)
Tensor logsigmoid(const Tensor& x);  ///< log(sigmoid(x)), computed stably (F.logsigmoid)
/// weight: (1) or (C), C the input's dim 1 (dim 0 for a 1-D input).
Tensor prelu(const Tensor& x, const Tensor& weight);
Tensor softmin(const Tensor& x, int64_t dim);  ///< softmax(-x) along dim (F.softmin)

/// @}
}  // namespace nabla
