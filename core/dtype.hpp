#pragma once
/// @file
/// Element types: the Dtype enum, bfloat16's storage type, and visit() to write one loop for every dtype.
/// @ingroup tensors
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace nabla {
/// @addtogroup tensors
/// @{

/// A tensor's element type (torch.dtype): float32, int64, bool, float64, bfloat16, uint8, int8.
enum class Dtype : uint8_t { Float32, Int64, Bool, Float64, BFloat16, UInt8, Int8 };
inline constexpr Dtype kFloat32 = Dtype::Float32;    ///< torch.float32, the default
inline constexpr Dtype kFloat64 = Dtype::Float64;    ///< storage and conversion only (optimizer state): not for ops
inline constexpr Dtype kBFloat16 = Dtype::BFloat16;  ///< torch.bfloat16 (autocast, mixed precision)
inline constexpr Dtype kInt64 = Dtype::Int64;        ///< torch.int64 (labels, indices)
inline constexpr Dtype kUInt8 = Dtype::UInt8;        ///< torch.uint8 (images, quantized activations)
inline constexpr Dtype kInt8 = Dtype::Int8;          ///< torch.int8 (quantized weights)
inline constexpr Dtype kBool = Dtype::Bool;          ///< torch.bool (masks, comparisons)

size_t element_size(Dtype dtype);     ///< bytes per element (torch's element_size())
const char* dtype_name(Dtype dtype);  ///< "float32", "int64", "bool", "float64", "bfloat16", "uint8", "int8"
bool is_floating_point(Dtype dtype);  ///< float32, float64, bfloat16

/// torch.bfloat16: the upper 16 bits of a float32. Converting rounds to nearest even, as PyTorch does (c10's
/// round_to_nearest_even); NaN stays a quiet NaN; denormals are kept, not flushed.
struct BFloat16 {
  uint16_t bits = 0;  ///< the float32's upper half

  BFloat16() = default;
  explicit BFloat16(float value) : bits(round(value)) {}  ///< rounds to nearest even
  /// exact: bfloat16 values are float32 values
  operator float() const { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }

  /// The value whose bits are `bits`.
  static BFloat16 from_bits(uint16_t bits) {
    BFloat16 b;
    b.bits = bits;
    return b;
  }
  /// Branch-free, so that loops over bfloat16 values vectorise.
  static uint16_t round(float value) {
    const uint32_t u = std::bit_cast<uint32_t>(value);
    const auto rounded = static_cast<uint16_t>((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
    return (u & 0x7FFFFFFF) > 0x7F800000 ? uint16_t{0x7FC0} : rounded;  // NaN
  }
};

/// The dtype of a C++ element type: dtype_of<float>() is kFloat32 (float, int64_t, bool, double, BFloat16, uint8_t,
/// int8_t).
// clang-format off
template <class T> constexpr Dtype dtype_of();
template <> constexpr Dtype dtype_of<float>() { return Dtype::Float32; }      ///< Dtype::Float32
template <> constexpr Dtype dtype_of<int64_t>() { return Dtype::Int64; }      ///< Dtype::Int64
template <> constexpr Dtype dtype_of<bool>() { return Dtype::Bool; }          ///< Dtype::Bool
template <> constexpr Dtype dtype_of<double>() { return Dtype::Float64; }     ///< Dtype::Float64
template <> constexpr Dtype dtype_of<BFloat16>() { return Dtype::BFloat16; }  ///< Dtype::BFloat16
template <> constexpr Dtype dtype_of<uint8_t>() { return Dtype::UInt8; }      ///< Dtype::UInt8
template <> constexpr Dtype dtype_of<int8_t>() { return Dtype::Int8; }        ///< Dtype::Int8
// clang-format on

/// Calls fn(T{}) with T the element type of `dtype`: one generic lambda instead of a switch per dtype.
template <class Fn>
decltype(auto) visit(Dtype dtype, Fn&& fn) {
  switch (dtype) {
    case Dtype::Int64: return fn(int64_t{});
    case Dtype::Bool: return fn(bool{});
    case Dtype::Float64: return fn(double{});
    case Dtype::BFloat16: return fn(BFloat16{});
    case Dtype::UInt8: return fn(uint8_t{});
    case Dtype::Int8: return fn(int8_t{});
    case Dtype::Float32: break;
  }
  return fn(float{});
}

/// One element converted as PyTorch converts it on x86, with no undefined behaviour: a float to an integer
/// truncates toward zero; NaN and values out of range give what the CPU's conversion gives there (the integer
/// minimum: 0 for uint8/int8, which PyTorch converts through int32, INT64_MIN for int64); integers wrap.
template <class To, class From>
To convert(From value) {
  if constexpr (std::is_same_v<To, From>) {
    return value;
  } else if constexpr (std::is_same_v<From, BFloat16>) {
    return convert<To>(static_cast<float>(value));
  } else if constexpr (std::is_same_v<To, BFloat16>) {
    return BFloat16(static_cast<float>(value));
  } else if constexpr (std::is_same_v<To, bool>) {
    return value != From{};  // NaN is true
  } else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<From>) {
    using Wide = std::conditional_t<sizeof(To) == 8, int64_t, int32_t>;
    constexpr double kLimit = -static_cast<double>(std::numeric_limits<Wide>::min());
    const double v = static_cast<double>(value);
    return static_cast<To>(v >= -kLimit && v < kLimit ? static_cast<Wide>(v) : std::numeric_limits<Wide>::min());
  } else {
    return static_cast<To>(value);
  }
}

/// @}
}  // namespace nabla
