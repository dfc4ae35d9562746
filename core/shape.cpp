#include "nabla/core/shape.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include "nabla/core/error.hpp"

namespace nabla {

size_t element_size(Dtype dtype) {
  return visit(dtype, [](auto value) { return sizeof value; });
}

const char* dtype_name(Dtype dtype) {
  switch (dtype) {
    case Dtype::Float32: return "float32";
    case Dtype::Int64: return "int64";
    case Dtype::Bool: return "bool";
    case Dtype::Float64: return "float64";
    case Dtype::BFloat16: return "bfloat16";
    case Dtype::UInt8: return "uint8";
    case Dtype::Int8: return "int8";
  }
  return "?";
}

bool is_floating_point(Dtype dtype) { return dtype == kFloat32 || dtype == kFloat64 || dtype == kBFloat16; }

std::string shape_str(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

namespace {
// The product of the dims (0 as soon as one is 0), or nothing when it overflows.
std::optional<int64_t> checked_product(const Shape& shape) {
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
  int64_t n = 1;
  for (int64_t d : shape)
    if (__builtin_mul_overflow(n, d, &n)) return std::nullopt;
  return n;
}
}  // namespace

int64_t numel(const Shape& shape) {
  const auto n = checked_product(shape);
  NABLA_CHECK(n.has_value(), "the shape ", shape_str(shape), " has more elements than an int64 can count");
  return *n;
}

std::optional<int64_t> checked_nbytes(const Shape& shape, Dtype dtype) {
  const auto n = checked_product(shape);
  int64_t bytes = 0;
  if (!n || *n < 0 || __builtin_mul_overflow(*n, static_cast<int64_t>(element_size(dtype)), &bytes))
    return std::nullopt;
  return bytes;
}

int64_t checked_mul(int64_t a, int64_t b, const std::string& what) {
  int64_t r = 0;
  NABLA_CHECK(!__builtin_mul_overflow(a, b, &r), what, ": ", a, " * ", b,
              " does not fit in an int64; use smaller sizes");
  return r;
}

int64_t checked_add(int64_t a, int64_t b, const std::string& what) {
  int64_t r = 0;
  NABLA_CHECK(!__builtin_add_overflow(a, b, &r), what, ": ", a, " + ", b,
              " does not fit in an int64; use smaller sizes");
  return r;
}

int64_t checked_cast_to_int64(double value, const std::string& what) {
  // 2^63 is exactly representable: every double below it (and at least -2^63) converts.
  constexpr double kLimit = 9223372036854775808.0;
  NABLA_CHECK(value >= -kLimit && value < kLimit, what, ": ", value, " does not fit in an int64; use smaller values");
  return static_cast<int64_t>(value);
}

void check_window_sizes(const std::string& who, const char* name, const std::vector<int64_t>& values) {
  for (int64_t v : values)
    NABLA_CHECK(v <= kMaxWindowSize, who, ": ", name, "=", shape_str(values), " is too large: Nabla takes at most ",
                kMaxWindowSize, " (oneDNN's kernels index in 32 bits)");
}

void check_required(const std::string& who, const char* option, int64_t value) {
  NABLA_CHECK(value != kRequired, who, ": the option ", option, " is required; set it, e.g. {.", option, " = ...}");
}

void check_required(const std::string& who, const char* option, const std::vector<int64_t>& values) {
  for (int64_t v : values) check_required(who, option, v);
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  int64_t step = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = step;
    NABLA_CHECK(i == 0 || !__builtin_mul_overflow(step, std::max<int64_t>(shape[i], 1), &step), "the shape ",
                shape_str(shape), " has strides too large for an int64 (even with no elements)");
  }
  return strides;
}

std::pair<int64_t, int64_t> outer_inner(const Shape& shape, int64_t dim) {
  if (numel(shape) == 0) return {0, 0};
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= shape[d];
  for (int64_t d = dim + 1; d < static_cast<int64_t>(shape.size()); ++d) inner *= shape[d];
  return {outer, inner};
}

int64_t wrap_dim(int64_t dim, int64_t rank, const char* op) {
  const int64_t lo = rank == 0 ? -1 : -rank, hi = rank == 0 ? 0 : rank - 1;
  NABLA_CHECK(dim >= lo && dim <= hi, op, ": dimension out of range (expected to be in range of [", lo, ", ", hi,
              "], but got ", dim, ")");
  return dim < 0 ? dim + std::max<int64_t>(rank, 1) : dim;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    NABLA_CHECK(da == db || da == 1 || db == 1, op, ": the size of tensor a (", da,
                ") must match the size of tensor b (", db, ") at non-singleton dimension ", i, "; shapes ",
                shape_str(a), " and ", shape_str(b), " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::string python_float(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // Python's repr: the shortest round-trip digits, fixed when the exponent is in [-4, 16), else scientific.
  char buffer[64];
  char* end = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific).ptr;
  const std::string scientific(+buffer, end);
  const int exponent = std::stoi(scientific.substr(scientific.find('e') + 1));
  if (exponent < -4 || exponent >= 16) return scientific;
  end = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed).ptr;
  std::string fixed(+buffer, end);
  return fixed.find('.') == std::string::npos ? fixed + ".0" : fixed;
}

}  // namespace nabla
