#pragma once
// How nn/onnx/ runs an ONNX node: each operator has a builder that reads and checks the node's attributes once, when
// the model is loaded, and returns the kernel that runs it on every forward. An attribute the builder never reads is
// Unsupported, so a model Nabla cannot run faithfully fails at load time, not at the first forward.
// The builders live by family: ops_nn.cpp (layers), ops_math.cpp (elementwise and reductions), ops_shape.cpp.
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "nabla/nn/onnx.hpp"
#include "nn/onnx/proto.h"

namespace nabla::onnx::detail {

struct RunContext {
  bool training = false;  // the module's mode: BatchNormalization on batch statistics, Dropout active
};

// A node's kernel: its outputs (one per node output; undefined for an unused optional one) from its inputs (undefined
// for an omitted optional one).
using Kernel = std::function<std::vector<Tensor>(const std::vector<Tensor>& inputs, const RunContext& context)>;

// A node as its builder sees it: the attributes (read through the typed getters), the opset, how many inputs and
// outputs it has, and what fusion decided for it.
class NodeReader {
 public:
  NodeReader(const ::onnx::NodeProto& node, int64_t opset, std::string where, std::vector<bool> outputs_used);

  bool has(const std::string& name) const;
  int64_t i(const std::string& name, int64_t fallback);
  float f(const std::string& name, float fallback);
  std::string s(const std::string& name, const std::string& fallback);
  std::vector<int64_t> ints(const std::string& name, const std::vector<int64_t>& fallback = {});
  std::vector<float> floats(const std::string& name);
  Tensor tensor(const std::string& name);
  // Marks an attribute as understood without reading it (a hint Nabla may ignore, such as MaxPool's storage_order 0).
  void ignore(const std::string& name) { read_.insert(name); }

  int64_t opset() const { return opset_; }
  size_t inputs() const { return static_cast<size_t>(node_.input_size()); }
  bool has_input(size_t index) const { return index < inputs() && !node_.input(static_cast<int>(index)).empty(); }
  size_t outputs() const { return outputs_used_.size(); }
  bool output_used(size_t index) const { return index < outputs_used_.size() && outputs_used_[index]; }
  const std::string& where() const { return where_; }  // "model.onnx: node 'conv1' (Conv, opset 17)"

  // The fusion pass's decision: this node (a Conv or BatchNormalization) applies the Relu that follows it.
  bool fuse_relu = false;

  [[noreturn]] void unsupported(const std::string& what) const;  // onnx::Unsupported "where: what"
  [[noreturn]] void invalid(const std::string& what) const;      // nabla::Error "where: what"
  // Throws Unsupported naming the first attribute no getter read.
  void check_all_read() const;

 private:
  const ::onnx::AttributeProto* find(const std::string& name, ::onnx::AttributeProto_AttributeType type);
  const ::onnx::NodeProto& node_;
  int64_t opset_;
  std::string where_;
  std::vector<bool> outputs_used_;
  std::set<std::string> read_;
};

using Builder = std::function<Kernel(NodeReader& node)>;
using Registry = std::unordered_map<std::string, Builder>;

void register_nn_ops(Registry& registry);
void register_math_ops(Registry& registry);
void register_shape_ops(Registry& registry);
// The builder of op_type in the default domain, or null.
const Builder* find_builder(const std::string& op_type);

// A Conv whose output only an inference-mode BatchNormalization reads, as one step: inputs x, W, b (or undefined),
// then the norm's scale, B, mean, var. In eval mode, when no gradient is wanted, one conv (`conv_relu`: with the
// ReLU the norm would apply) on the norm folded into the weight and bias (nn::utils::fuse_conv_bn_weights, computed
// once per version of those six tensors), as nn::utils::fuse_conv_bn_eval makes a hand-written model's; else the two
// one after the other.
Kernel conv_batch_norm_kernel(Kernel conv, Kernel conv_relu, Kernel norm, float eps);

// ---- helpers the builders share

// An input that must be there (names the node and the input when it is not).
const Tensor& required(const std::vector<Tensor>& inputs, size_t index, const std::string& where);
// A 1-D (or 0-d) int64 input's values: shapes, axes, pads, starts.
std::vector<int64_t> int_values(const Tensor& tensor, const std::string& what, const std::string& where);
// A one-output kernel from a function of the inputs.
Kernel unary_kernel(std::function<Tensor(const Tensor&)> fn, std::string where);
// The builder of an operator that is such a function and has no attributes (Relu, Sqrt, Identity, ...).
Builder unary_builder(std::function<Tensor(const Tensor&)> fn);

}  // namespace nabla::onnx::detail
