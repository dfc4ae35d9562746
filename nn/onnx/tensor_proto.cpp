// ONNX TensorProto <-> Tensor: the initializers and Constant nodes of a model, and the .pb files of ONNX's tests.
#include <cstring>

#include "nabla/core/factory.hpp"
#include "nabla/core/file.hpp"
#include "nabla/nn/onnx.hpp"
#include "nn/onnx/proto.h"

namespace nabla::onnx {
namespace detail {

using ::onnx::TensorProto_DataType;

std::string onnx_type_name(int32_t elem_type) {
  return ::onnx::TensorProto_DataType_IsValid(elem_type)
             ? ::onnx::TensorProto_DataType_Name(static_cast<TensorProto_DataType>(elem_type))
             : "type " + std::to_string(elem_type);
}

Dtype dtype_from_onnx(int32_t elem_type, const std::string& where) {
  switch (elem_type) {
    case ::onnx::TensorProto::FLOAT: return kFloat32;
    case ::onnx::TensorProto::BOOL: return kBool;
    case ::onnx::TensorProto::INT64:
    case ::onnx::TensorProto::INT32:
    case ::onnx::TensorProto::INT16:
    case ::onnx::TensorProto::INT8:
    case ::onnx::TensorProto::UINT8:
    case ::onnx::TensorProto::UINT16:
    case ::onnx::TensorProto::UINT32: return kInt64;
    default:
      throw Unsupported(where + ": element type " + onnx_type_name(elem_type) +
                        " is not supported (Nabla runs ONNX graphs on FLOAT, INT64 (and narrower integers) and BOOL)");
  }
}

namespace {

// The values of `raw` (little-endian, as ONNX stores raw_data) read as n elements of type From, into `out`.
template <class From, class To>
void copy_raw(const std::string& raw, int64_t n, To* out) {
  for (int64_t i = 0; i < n; ++i) {
    From value;
    std::memcpy(&value, raw.data() + i * static_cast<int64_t>(sizeof(From)), sizeof(From));
    out[i] = static_cast<To>(value);
  }
}

template <class To, class Field>
void copy_field(const Field& field, int64_t n, To* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<To>(field.Get(static_cast<int>(i)));
}

// How many bytes one element of an ONNX integer type takes in raw_data.
size_t raw_size(int32_t elem_type) {
  switch (elem_type) {
    case ::onnx::TensorProto::INT64: return 8;
    case ::onnx::TensorProto::INT32:
    case ::onnx::TensorProto::UINT32:
    case ::onnx::TensorProto::FLOAT: return 4;
    case ::onnx::TensorProto::INT16:
    case ::onnx::TensorProto::UINT16: return 2;
    default: return 1;  // INT8, UINT8, BOOL
  }
}

template <class To>
void copy_raw_as(int32_t elem_type, const std::string& raw, int64_t n, To* out) {
  switch (elem_type) {
    case ::onnx::TensorProto::FLOAT: return copy_raw<float>(raw, n, out);
    case ::onnx::TensorProto::INT64: return copy_raw<int64_t>(raw, n, out);
    case ::onnx::TensorProto::INT32: return copy_raw<int32_t>(raw, n, out);
    case ::onnx::TensorProto::UINT32: return copy_raw<uint32_t>(raw, n, out);
    case ::onnx::TensorProto::INT16: return copy_raw<int16_t>(raw, n, out);
    case ::onnx::TensorProto::UINT16: return copy_raw<uint16_t>(raw, n, out);
    case ::onnx::TensorProto::INT8: return copy_raw<int8_t>(raw, n, out);
    default: return copy_raw<uint8_t>(raw, n, out);  // UINT8, BOOL
  }
}

}  // namespace

Tensor tensor_from_proto(const ::onnx::TensorProto& proto, const std::string& where) {
  const std::string what = where + " (tensor '" + proto.name() + "')";
  if (proto.data_location() == ::onnx::TensorProto::EXTERNAL)
    throw Unsupported(what +
                      ": data stored outside the model file (external data) is not supported; save the model "
                      "with its weights inside (torch.onnx.export does for models under 2 GB)");
  NABLA_CHECK(!proto.has_segment(), what, ": segmented tensors are not supported");
  const Dtype dtype = dtype_from_onnx(proto.data_type(), what);
  Shape shape(proto.dims().begin(), proto.dims().end());
  for (int64_t d : shape) NABLA_CHECK(d >= 0, what, ": negative dim in shape ", shape_str(shape));
  check_allocatable(shape, dtype, what);
  const int64_t n = numel(shape);
  Tensor out = empty(shape, dtype);
  const int32_t type = proto.data_type();
  if (!proto.raw_data().empty() || n == 0) {
    const std::string& raw = proto.raw_data();
    NABLA_CHECK(static_cast<uint64_t>(raw.size()) == static_cast<uint64_t>(n) * raw_size(type), what,
                ": raw_data holds ", raw.size(), " bytes, but shape ", shape_str(shape), " of ", onnx_type_name(type),
                " needs ", static_cast<uint64_t>(n) * raw_size(type));
    visit(dtype, [&](auto zero) {
      using T = decltype(zero);
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, int64_t> || std::is_same_v<T, bool>)
        copy_raw_as(type, raw, n, out.data_ptr<T>());
    });
    return out;
  }
  const auto check_count = [&](int64_t count, const char* field) {
    NABLA_CHECK(count == n, what, ": ", field, " holds ", count, " values, but shape ", shape_str(shape), " needs ", n);
  };
  if (type == ::onnx::TensorProto::FLOAT) {
    check_count(proto.float_data_size(), "float_data");
    copy_field(proto.float_data(), n, out.data_ptr<float>());
  } else if (type == ::onnx::TensorProto::INT64) {
    check_count(proto.int64_data_size(), "int64_data");
    copy_field(proto.int64_data(), n, out.data_ptr<int64_t>());
  } else if (type == ::onnx::TensorProto::UINT32) {
    check_count(proto.uint64_data_size(), "uint64_data");
    copy_field(proto.uint64_data(), n, out.data_ptr<int64_t>());
  } else if (dtype == kBool) {
    check_count(proto.int32_data_size(), "int32_data");
    copy_field(proto.int32_data(), n, out.data_ptr<bool>());
  } else {  // the narrower integers live in int32_data
    check_count(proto.int32_data_size(), "int32_data");
    copy_field(proto.int32_data(), n, out.data_ptr<int64_t>());
  }
  return out;
}

}  // namespace detail

Tensor load_tensor(const std::string& path) {
  const std::string bytes = read_file(path, "onnx::load_tensor");
  ::onnx::TensorProto proto;
  NABLA_CHECK(proto.ParseFromString(bytes), "onnx::load_tensor: ", path, " is not a serialized ONNX TensorProto");
  return detail::tensor_from_proto(proto, path);
}

}  // namespace nabla::onnx
