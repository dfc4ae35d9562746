#pragma once
// The ONNX library's protobuf schema (heavy: protobuf), for the .cpp files of nn/onnx/ alone.
#include <onnx/onnx_pb.h>

#include <string>

#include "nabla/core/tensor.hpp"

namespace nabla::onnx::detail {

// ONNX's element type as a Nabla dtype. float, int64 and bool map as they are; the narrower integers (int32, int16,
// int8, uint8, uint16, uint32) are widened to int64, whose values they all keep. Others (double, float16, string,
// ...) are Unsupported, naming `where`.
Dtype dtype_from_onnx(int32_t elem_type, const std::string& where);
// The name ONNX gives an element type ("FLOAT", "INT64"), for messages.
std::string onnx_type_name(int32_t elem_type);
// A TensorProto's values as a tensor (a copy). Errors name `where`: a shape that overflows, data of the wrong
// length, external data.
Tensor tensor_from_proto(const ::onnx::TensorProto& proto, const std::string& where);

}  // namespace nabla::onnx::detail
