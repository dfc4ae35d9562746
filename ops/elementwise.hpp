#pragma once
/// @file
/// Elementwise ops with PyTorch's broadcasting: arithmetic, math functions, activations, comparisons
/// (returning bool masks), where and masked_fill.
/// @ingroup tensors
#include <optional>

#include "nabla/core/tensor.hpp"

namespace nabla {
/// @addtogroup tensors
/// @{

/// a + b, broadcast (torch.add); recorded by autograd, as every op here unless it says otherwise.
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);  ///< a - b, broadcast
Tensor mul(const Tensor& a, const Tensor& b);  ///< a · b, broadcast
Tensor div(const Tensor& a, const Tensor& b);  ///< a / b, broadcast
Tensor add(const Tensor& a, double b);         ///< a + b for a number b
/// PyTorch's quantized add (quantized::add, add_relu): a and b quantized uint8 per tensor, of one shape; their sum
/// (ReLU'd, with relu) quantized with scale and zero_point. Runs on oneDNN's u8 binary, in a's layout.
Tensor quantized_add(const Tensor& a, const Tensor& b, double scale, int64_t zero_point, bool relu = false);
Tensor mul(const Tensor& a, double b);   ///< a · b for a number b
Tensor rsub(const Tensor& a, double b);  ///< b - a
Tensor rdiv(const Tensor& a, double b);  ///< b / a

Tensor neg(const Tensor& x);                          ///< -x
Tensor exp(const Tensor& x);                          ///< eˣ
Tensor log(const Tensor& x);                          ///< natural logarithm (NaN below 0, -inf at 0)
Tensor sqrt(const Tensor& x);                         ///< square root (NaN below 0)
Tensor abs(const Tensor& x);                          ///< |x|
Tensor pow(const Tensor& x, double exponent);         ///< x to a number's power
Tensor pow(const Tensor& x, const Tensor& exponent);  ///< broadcast; d/dexponent = x^exponent·log(x)
Tensor erf(const Tensor& x);                          ///< the Gauss error function (GELU's parts in ONNX graphs)
Tensor floor(const Tensor& x);                        ///< gradient zero, as PyTorch's
Tensor ceil(const Tensor& x);                         ///< rounds up; gradient zero
/// The larger (smaller) of a and b elementwise, broadcast; NaN wins; a tie splits the gradient in half, as PyTorch.
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);  ///< the smaller of a and b, as maximum
/// x clamped to [min, max] (either may be absent); torch.clamp
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max);
/// torch.relu: a vectorised pass in its input's layout, oneDNN's included; keeps NaN (ops/activation.cpp)
Tensor relu(const Tensor& x);
Tensor sigmoid(const Tensor& x);  ///< 1 / (1 + e⁻ˣ)
Tensor tanh(const Tensor& x);     ///< hyperbolic tangent

/// cond ? a : b, all three broadcast together; cond is a bool tensor.
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& condition, const Tensor& a, double b);  ///< cond ? a : b for a number b
/// x with `value` wherever mask (broadcast to x's shape) is true.
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);

/// Comparisons of float32 or int64 tensors (or a tensor and a number): bool masks, no gradient.
Tensor gt(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);           ///< a < b
Tensor ge(const Tensor& a, const Tensor& b);           ///< a >= b
Tensor le(const Tensor& a, const Tensor& b);           ///< a <= b
Tensor eq(const Tensor& a, const Tensor& b);           ///< a == b
Tensor ne(const Tensor& a, const Tensor& b);           ///< a != b
Tensor logical_and(const Tensor& a, const Tensor& b);  ///< a && b, of bool tensors
Tensor logical_not(const Tensor& a);                   ///< !a, of a bool tensor

/// Operators, as torch.Tensor's: +, -, *, / of two tensors (broadcast) or of a tensor and a number, unary minus.
inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }  ///< sub(a, b)
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }  ///< mul(a, b)
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }  ///< div(a, b)
inline Tensor operator+(const Tensor& a, double b) { return add(a, b); }         ///< add(a, b)
inline Tensor operator+(double a, const Tensor& b) { return add(b, a); }         ///< add(b, a)
inline Tensor operator-(const Tensor& a, double b) { return add(a, -b); }        ///< a - b
inline Tensor operator-(double a, const Tensor& b) { return rsub(b, a); }        ///< a - b (rsub)
inline Tensor operator*(const Tensor& a, double b) { return mul(a, b); }         ///< mul(a, b)
inline Tensor operator*(double a, const Tensor& b) { return mul(b, a); }         ///< mul(b, a)
inline Tensor operator/(const Tensor& a, double b) { return mul(a, 1.0 / b); }   ///< a / b
inline Tensor operator/(double a, const Tensor& b) { return rdiv(b, a); }        ///< a / b (rdiv)
inline Tensor operator-(const Tensor& x) { return neg(x); }                      ///< neg(x)

/// Comparison operators, as torch.Tensor's: bool masks (gt, lt, ge, le, eq, ne), no gradient.
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, const Tensor& b);   ///< lt(a, b)
Tensor operator>=(const Tensor& a, const Tensor& b);  ///< ge(a, b)
Tensor operator<=(const Tensor& a, const Tensor& b);  ///< le(a, b)
Tensor operator==(const Tensor& a, const Tensor& b);  ///< eq(a, b)
Tensor operator!=(const Tensor& a, const Tensor& b);  ///< ne(a, b)
Tensor operator>(const Tensor& a, double b);          ///< a > b for a number b
Tensor operator<(const Tensor& a, double b);          ///< a < b for a number b
Tensor operator>=(const Tensor& a, double b);         ///< a >= b for a number b
Tensor operator<=(const Tensor& a, double b);         ///< a <= b for a number b
Tensor operator==(const Tensor& a, double b);         ///< a == b for a number b
Tensor operator!=(const Tensor& a, double b);         ///< a != b for a number b

/// @}
}  // namespace nabla
