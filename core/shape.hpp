#pragma once
/// @file
/// Shapes, dims and dtypes: the vocabulary the rest of Nabla is written in.
/// @ingroup tensors
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nabla/core/dtype.hpp"

namespace nabla {
/// @addtogroup tensors
/// @{

/// A tensor's sizes (torch.Size).
using Shape = std::vector<int64_t>;

/// An option of one number or a braced list (a fold's kernel_size, a LayerNorm's normalized_shape).
struct Sizes {
  template <std::integral I>
  Sizes(I value) : values{static_cast<int64_t>(value)}, scalar(true) {}  ///< one number (kernel_size = 3)
  Sizes(std::initializer_list<int64_t> list) : values(list) {}           ///< a braced list ({3, 5})
  Sizes(std::vector<int64_t> list) : values(std::move(list)) {}          ///< a list
  std::vector<int64_t> values;                                           ///< the numbers, as given
  bool scalar = false;  ///< written as one number (PyTorch prints it as one)
};

/// "[8, 1, 28, 28]", as PyTorch writes shapes in its messages.
std::string shape_str(const Shape& shape);
/// A number as Python's repr writes it (1e-05, 0.1, 2.0): for reprs that match PyTorch's.
std::string python_float(double value);
/// The number of elements; a nabla::Error when it does not fit in an int64 (a hostile or corrupt shape).
int64_t numel(const Shape& shape);
/// numel(shape) · element_size(dtype), or nothing when a dim is negative or the product does not fit in an int64.
std::optional<int64_t> checked_nbytes(const Shape& shape, Dtype dtype);
/// Contiguous (row-major) strides of a shape, in elements.
Shape contiguous_strides(const Shape& shape);

/// The products of the dims before and after `dim`: a dense tensor read as (outer, shape[dim], inner) blocks.
/// Both are 0 when the shape holds no element, so huge dims beside a 0 cannot overflow them.
std::pair<int64_t, int64_t> outer_inner(const Shape& shape, int64_t dim);
/// a·b and a+b of user-given sizes; a nabla::Error naming `what` when the result does not fit in an int64.
int64_t checked_mul(int64_t a, int64_t b, const std::string& what);
int64_t checked_add(int64_t a, int64_t b, const std::string& what);  ///< a + b, checked
/// A double computed from user input (a size from a scale factor, a step count) as an int64; a nabla::Error naming
/// `what` when it is NaN or out of the int64 range (where the plain cast is undefined behaviour).
int64_t checked_cast_to_int64(double value, const std::string& what);

/// The largest kernel size, stride, padding or dilation Nabla accepts: oneDNN's kernels index windows in 32
/// bits, and with every such value below 2^31 the window arithmetic on real tensor sizes cannot overflow.
inline constexpr int64_t kMaxWindowSize = std::numeric_limits<int32_t>::max();
/// A nabla::Error "who: name=(...) is too large" when one of `values` exceeds kMaxWindowSize.
void check_window_sizes(const std::string& who, const char* name, const std::vector<int64_t>& values);

/// The default of an option that PyTorch requires (in_channels, kernel_size, ...): a layer or op given no
/// value refuses to build and names the option, where a default of 0 would build a layer with 0 channels.
inline constexpr int64_t kRequired = std::numeric_limits<int64_t>::min();
/// A nabla::Error "who: option is required" when `value` (or one of `values`) was left at kRequired.
void check_required(const std::string& who, const char* option, int64_t value);
/// the same, for each of `values`
void check_required(const std::string& who, const char* option, const std::vector<int64_t>& values);

/// Wraps a possibly negative dim into [0, rank); `op` names the caller in the error.
int64_t wrap_dim(int64_t dim, int64_t rank, const char* op);
/// The shape two operands broadcast to, with PyTorch's rules and message.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

/// @}
}  // namespace nabla
