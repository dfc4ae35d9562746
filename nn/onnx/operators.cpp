// NodeReader (a node's attributes, read once and checked) and the registry of operator builders.
#include "nn/onnx/operators.h"

#include <sstream>

namespace nabla::onnx::detail {

using ::onnx::AttributeProto;

NodeReader::NodeReader(const ::onnx::NodeProto& node, int64_t opset, std::string where, std::vector<bool> outputs_used)
    : node_(node), opset_(opset), where_(std::move(where)), outputs_used_(std::move(outputs_used)) {}

void NodeReader::unsupported(const std::string& what) const { throw Unsupported(where_ + ": " + what); }
void NodeReader::invalid(const std::string& what) const { throw Error(where_ + ": " + what); }

bool NodeReader::has(const std::string& name) const {
  for (const AttributeProto& a : node_.attribute())
    if (a.name() == name) return true;
  return false;
}

const AttributeProto* NodeReader::find(const std::string& name, AttributeProto::AttributeType type) {
  read_.insert(name);
  for (const AttributeProto& a : node_.attribute()) {
    if (a.name() != name) continue;
    if (a.type() != type)
      invalid("attribute '" + name + "' should be " + AttributeProto::AttributeType_Name(type) + ", got " +
              (AttributeProto::AttributeType_IsValid(a.type()) ? AttributeProto::AttributeType_Name(a.type())
                                                               : std::to_string(a.type())));
    return &a;
  }
  return nullptr;
}

int64_t NodeReader::i(const std::string& name, int64_t fallback) {
  const AttributeProto* a = find(name, AttributeProto::INT);
  return a ? a->i() : fallback;
}

float NodeReader::f(const std::string& name, float fallback) {
  const AttributeProto* a = find(name, AttributeProto::FLOAT);
  return a ? a->f() : fallback;
}

std::string NodeReader::s(const std::string& name, const std::string& fallback) {
  const AttributeProto* a = find(name, AttributeProto::STRING);
  return a ? a->s() : fallback;
}

std::vector<int64_t> NodeReader::ints(const std::string& name, const std::vector<int64_t>& fallback) {
  const AttributeProto* a = find(name, AttributeProto::INTS);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : fallback;
}

std::vector<float> NodeReader::floats(const std::string& name) {
  const AttributeProto* a = find(name, AttributeProto::FLOATS);
  return a ? std::vector<float>(a->floats().begin(), a->floats().end()) : std::vector<float>{};
}

Tensor NodeReader::tensor(const std::string& name) {
  const AttributeProto* a = find(name, AttributeProto::TENSOR);
  return a ? tensor_from_proto(a->t(), where_ + " attribute '" + name + "'") : Tensor();
}

void NodeReader::check_all_read() const {
  for (const AttributeProto& a : node_.attribute())
    if (!read_.count(a.name())) unsupported("attribute '" + a.name() + "' is not supported");
}

const Builder* find_builder(const std::string& op_type) {
  static const Registry registry = [] {
    Registry r;
    register_nn_ops(r);
    register_math_ops(r);
    register_shape_ops(r);
    return r;
  }();
  const auto it = registry.find(op_type);
  return it == registry.end() ? nullptr : &it->second;
}

const Tensor& required(const std::vector<Tensor>& inputs, size_t index, const std::string& where) {
  NABLA_CHECK(index < inputs.size() && inputs[index].defined(), where, ": input ", index, " is required");
  return inputs[index];
}

std::vector<int64_t> int_values(const Tensor& tensor, const std::string& what, const std::string& where) {
  NABLA_CHECK(tensor.dtype() == kInt64 && tensor.dim() <= 1, where, ": ", what, " must be a 1-D integer tensor, got ",
              dtype_name(tensor.dtype()), " of shape ", shape_str(tensor.shape()));
  return tensor.contiguous().to_vector<int64_t>();
}

Kernel unary_kernel(std::function<Tensor(const Tensor&)> fn, std::string where) {
  return [fn = std::move(fn), where = std::move(where)](const std::vector<Tensor>& in, const RunContext&) {
    return std::vector<Tensor>{fn(required(in, 0, where))};
  };
}

Builder unary_builder(std::function<Tensor(const Tensor&)> fn) {
  return [fn = std::move(fn)](NodeReader& node) { return unary_kernel(fn, node.where()); };
}

}  // namespace nabla::onnx::detail
