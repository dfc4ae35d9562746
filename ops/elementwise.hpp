#pragma once
/// @file
/// Elementwise ops with PyTorch's broadcasting: arithmetic, math functions, activations, comparisons
/// (returning bool masks), where and masked_fill.
#include <optional>

#include "nabla/core/tensor.hpp"

namespace nabla {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor add(const Tensor& a, double b);
/// PyTorch's quantized add (quantized::add, add_relu): a and b quantized uint8 per tensor, of one shape; their sum
/// (ReLU'd, with relu) quantized with scale and zero_point. Runs on oneDNN's u8 binary, in a's layout.
Tensor quantized_add(const Tensor& a, const Tensor& b, double scale, int64_t zero_point, bool relu = false);
Tensor mul(const Tensor& a, double b);
Tensor rsub(const Tensor& a, double b);  ///< b - a
Tensor rdiv(const Tensor& a, double b);  ///< b / a

Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor pow(const Tensor& x, double exponent);
Tensor pow(const Tensor& x, const Tensor& exponent);  ///< broadcast; d/dexponent = x^exponent·log(x)
Tensor erf(const Tensor& x);                          ///< the Gauss error function (GELU's parts in ONNX graphs)
Tensor floor(const Tensor& x);                        ///< gradient zero, as PyTorch's
Tensor ceil(const Tensor& x);
/// The larger (smaller) of a and b elementwise, broadcast; NaN wins; a tie splits the gradient in half, as PyTorch.
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max);
Tensor relu(
    const Tensor& x);  ///< a vectorised pass in its input's layout, oneDNN's included; keeps NaN (ops/activation.cpp)
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);

/// cond ? a : b, all three broadcast together; cond is a bool tensor.
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& condition, const Tensor& a, double b);
/// x with `value` wherever mask (broadcast to x's shape) is true.
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);

/// Comparisons of float32 or int64 tensors (or a tensor and a number): bool masks, no gradient.
Tensor gt(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& a);

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator+(const Tensor& a, double b) { return add(a, b); }
inline Tensor operator+(double a, const Tensor& b) { return add(b, a); }
inline Tensor operator-(const Tensor& a, double b) { return add(a, -b); }
inline Tensor operator-(double a, const Tensor& b) { return rsub(b, a); }
inline Tensor operator*(const Tensor& a, double b) { return mul(a, b); }
inline Tensor operator*(double a, const Tensor& b) { return mul(b, a); }
inline Tensor operator/(const Tensor& a, double b) { return mul(a, 1.0 / b); }
inline Tensor operator/(double a, const Tensor& b) { return rdiv(b, a); }
inline Tensor operator-(const Tensor& x) { return neg(x); }

Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator==(const Tensor& a, const Tensor& b);
Tensor operator!=(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, double b);
Tensor operator<(const Tensor& a, double b);
Tensor operator>=(const Tensor& a, double b);
Tensor operator<=(const Tensor& a, double b);
Tensor operator==(const Tensor& a, double b);
Tensor operator!=(const Tensor& a, double b);

}  // namespace nabla
