// onnx::export_model: one forward of the module, in eval mode, traced op by op (core/trace.hpp), written as an ONNX
// graph. Parameters and buffers become initializers under their state_dict names; each traced op becomes the ONNX
// nodes that compute it (a fused conv + ReLU its two parts, a GELU its Erf formula); a conv followed by an eval-mode
// BatchNorm that alone reads it is folded into one Conv, as torch.onnx.export does. The model is checked with ONNX's
// shape inference (strict) and checker before the file is written; what ONNX cannot express is a nabla::Error
// naming it.
#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <cmath>
#include <set>
#include <unordered_map>

#include "nabla/autograd/grad_mode.hpp"
#include "nabla/autograd/node.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/core/file.hpp"
#include "nabla/core/trace.hpp"
#include "nabla/core/version.hpp"
#include "nabla/nn/fusion.hpp"
#include "nabla/nn/onnx.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nn/onnx/proto.h"

namespace nabla::onnx {

namespace {

using trace::Event;
using Ints = std::vector<int64_t>;

const char* kWho = "onnx::export_model";

template <class T>
T attribute(const Event& e, const std::string& name) {
  const auto it = e.attributes.find(name);
  NABLA_CHECK(it != e.attributes.end(), kWho, ": op ", e.op, " reported no '", name, "'");
  return std::get<T>(it->second);
}

int64_t onnx_type(Dtype dtype) {
  switch (dtype) {
    case kFloat32: return ::onnx::TensorProto::FLOAT;
    case kInt64: return ::onnx::TensorProto::INT64;
    case kBool: return ::onnx::TensorProto::BOOL;
    default:
      throw Error(std::string(kWho) + ": ONNX export writes float32, int64 and bool tensors, got " + dtype_name(dtype));
  }
}

class Exporter {
 public:
  Exporter(const ExportOptions& options, const StateDict& state) : options_(options) {
    NABLA_CHECK(options.opset >= 13 && options.opset <= 17, kWho, ": opset ", options.opset,
                " is not supported (13 to 17: Nabla writes Split, Squeeze, Unsqueeze and ReduceSum with their axes as "
                "inputs)");
    for (const auto& [name, tensor] : state)
      if (tensor.defined()) state_names_[tensor.impl()] = name;
    graph_ = model_.mutable_graph();
  }

  void add_input(const Tensor& t, const std::string& name) {
    names_[t.impl()] = name;
    describe(graph_->add_input(), name, t);
  }
  // Names the graph outputs before the nodes that make them are written, so those nodes write them under this name.
  void name_output(const Tensor& t, const std::string& name) { output_names_[t.impl()] = name; }

  void add_outputs(const std::vector<Tensor>& outputs, const std::vector<std::string>& names) {
    for (size_t k = 0; k < outputs.size(); ++k) {
      std::string produced = value(outputs[k]);
      if (produced != names[k]) node("Identity", {produced}, {names[k]});  // an input or a weight returned as is
      describe(graph_->add_output(), names[k], outputs[k]);
    }
  }

  void run(const std::vector<Event>& events) {
    for (const Event& e : events)
      for (const Tensor& t : e.inputs)
        if (t.defined()) ++readers_[t.impl()];
    for (size_t i = 0; i < events.size(); ++i) {
      const Event& e = events[i];
      NABLA_CHECK(!e.outputs.empty() || e.op.empty(), kWho, ": ", e.op,
                  " returned on a path Nabla cannot trace (an exception, or a case export does not cover)");
      if (folds_into_next(events, i)) {
        fold_conv_bn(e, events[i + 1]);
        ++i;
        continue;
      }
      emit(e);
    }
  }

  std::string finish() {
    model_.set_ir_version(8);
    model_.set_producer_name("nabla");
    model_.set_producer_version(version());
    auto* opset = model_.add_opset_import();
    opset->set_domain("");
    opset->set_version(options_.opset);
    graph_->set_name("nabla");
    try {
      ::onnx::shape_inference::InferShapes(model_, ::onnx::OpSchemaRegistry::Instance(),
                                           ::onnx::ShapeInferenceOptions(true, 1, true));
      ::onnx::checker::check_model(model_);
    } catch (const std::exception& e) {
      throw Error(std::string(kWho) + ": the traced graph does not pass ONNX's checker: " + e.what());
    }
    std::string bytes;
    NABLA_CHECK(model_.SerializeToString(&bytes), kWho, ": the model does not serialize (over 2 GB?)");
    return bytes;
  }

 private:
  // ---- values

  void describe(::onnx::ValueInfoProto* info, const std::string& name, const Tensor& t) {
    info->set_name(name);
    auto* type = info->mutable_type()->mutable_tensor_type();
    type->set_elem_type(static_cast<int32_t>(onnx_type(t.dtype())));
    auto* shape = type->mutable_shape();
    for (int64_t d = 0; d < t.dim(); ++d) {
      auto* dim = shape->add_dim();
      if (d == 0 && options_.dynamic_batch)
        dim->set_dim_param("batch");
      else
        dim->set_dim_value(t.size(d));
    }
  }

  // The name of the value t: produced by an earlier node, a graph input, or written now: a parameter or buffer as an
  // initializer, a constant as a Constant node. A tensor computed by an op Nabla does not trace cannot be written as
  // a constant: it depends on the input.
  std::string value(const Tensor& t) {
    if (const auto it = names_.find(t.impl()); it != names_.end()) return it->second;
    if (const auto it = pending_.find(t.impl()); it != pending_.end()) {
      auto make = std::move(it->second);
      pending_.erase(it);
      make();
      return names_.at(t.impl());
    }
    if (const auto it = state_names_.find(t.impl()); it != state_names_.end()) return initializer(t, it->second);
    if (t.requires_grad() || t.grad_fn()) {
      const std::string by = t.grad_fn() ? t.grad_fn()->name : "an op that records no gradient";
      throw Error(std::string(kWho) + ": a value of shape " + shape_str(t.shape()) + " was computed by " + by +
                  ", which export cannot trace: write the model with Nabla's ops and layers");
    }
    return constant(t);
  }

  static void fill(::onnx::TensorProto* proto, const Tensor& t, const std::string& name) {
    proto->set_name(name);
    proto->set_data_type(static_cast<int32_t>(onnx_type(t.dtype())));
    for (int64_t d : t.shape()) proto->add_dims(d);
    const Tensor dense = t.detach().contiguous();
    if (t.dtype() == kBool) {  // ONNX stores bools one byte each
      std::string raw(static_cast<size_t>(t.numel()), '\0');
      const bool* p = dense.const_data_ptr<bool>();
      for (int64_t i = 0; i < t.numel(); ++i) raw[static_cast<size_t>(i)] = p[i] ? 1 : 0;
      proto->set_raw_data(raw);
    } else {
      proto->set_raw_data(dense.const_data_ptr(), static_cast<size_t>(t.numel()) * element_size(t.dtype()));
    }
  }

  // A parameter or buffer (or a folded weight): an initializer, which an importer may train.
  std::string initializer(const Tensor& t, const std::string& name) {
    fill(graph_->add_initializer(), t, name);
    names_[t.impl()] = name;
    kept_.push_back(t);
    return name;
  }

  // Any other fixed value (a pad's fill, a shape, a scalar factor): a Constant node, as torch.onnx.export writes them.
  std::string constant(const Tensor& t) {
    auto* n = graph_->add_node();
    const std::string name = "/Constant_output_" + std::to_string(values_++);
    n->set_op_type("Constant");
    n->set_name("/Constant_" + std::to_string(nodes_++));
    n->add_output(name);
    auto* a = n->add_attribute();
    a->set_name("value");
    a->set_type(::onnx::AttributeProto::TENSOR);
    fill(a->mutable_t(), t, "");
    names_[t.impl()] = name;
    kept_.push_back(t);
    return name;
  }

  std::string ints(const Ints& values) { return constant(from_vector(values, {static_cast<int64_t>(values.size())})); }
  std::string scalar(double v) { return constant(full({}, v)); }
  std::string floats(const std::vector<float>& values) {
    return constant(from_vector(values, {static_cast<int64_t>(values.size())}));
  }

  // A fresh name for an intermediate value, or the graph output's name when t is one.
  std::string name_for(const Tensor& t, const std::string& op) {
    if (const auto it = output_names_.find(t.impl()); it != output_names_.end()) return names_[t.impl()] = it->second;
    return names_[t.impl()] = "/" + op + "_output_" + std::to_string(values_++);
  }
  std::string temp(const std::string& op) { return "/" + op + "_output_" + std::to_string(values_++); }

  // ---- nodes

  struct Attr {
    std::string name;
    trace::Attribute value;
  };

  void node(const std::string& op, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs,
            const std::vector<Attr>& attributes = {}) {
    auto* n = graph_->add_node();
    n->set_op_type(op);
    n->set_name("/" + op + "_" + std::to_string(nodes_++));
    for (const auto& in : inputs) n->add_input(in);
    for (const auto& out : outputs) n->add_output(out);
    for (const Attr& a : attributes) {
      auto* proto = n->add_attribute();
      proto->set_name(a.name);
      std::visit(
          [&](const auto& v) {
            using V = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<V, int64_t>) {
              proto->set_type(::onnx::AttributeProto::INT);
              proto->set_i(v);
            } else if constexpr (std::is_same_v<V, double>) {
              proto->set_type(::onnx::AttributeProto::FLOAT);
              proto->set_f(static_cast<float>(v));
            } else if constexpr (std::is_same_v<V, std::string>) {
              proto->set_type(::onnx::AttributeProto::STRING);
              proto->set_s(v);
            } else if constexpr (std::is_same_v<V, Ints>) {
              proto->set_type(::onnx::AttributeProto::INTS);
              for (int64_t x : v) proto->add_ints(x);
            } else {
              proto->set_type(::onnx::AttributeProto::FLOATS);
              for (double x : v) proto->add_floats(static_cast<float>(x));
            }
          },
          a.value);
    }
  }

  // One node from the event's inputs to its (first) output.
  void simple(const Event& e, const std::string& op, const std::vector<Attr>& attributes = {}) {
    std::vector<std::string> inputs;
    for (const Tensor& t : e.inputs) inputs.push_back(value(t));
    node(op, inputs, {name_for(e.outputs.at(0), op)}, attributes);
  }

  [[noreturn]] void cannot(const Event& e, const std::string& what) {
    throw Error(std::string(kWho) + ": " + e.op + " " + what + " cannot be expressed in ONNX");
  }

  // ---- ops

  void emit(const Event& e);
  void convolution(const Event& e, const std::string& weight, const std::string& bias, bool relu);
  bool folds_into_next(const std::vector<Event>& events, size_t i) const;
  void fold_conv_bn(const Event& conv, const Event& bn);
  void activation(const Event& e);
  void shape_op(const Event& e);

  ExportOptions options_;
  ::onnx::ModelProto model_;
  ::onnx::GraphProto* graph_;
  std::unordered_map<const TensorImpl*, std::string> names_, state_names_, output_names_;
  std::unordered_map<const TensorImpl*, std::function<void()>> pending_;  // values made only if read (indices)
  std::unordered_map<const TensorImpl*, int> readers_;
  std::vector<Tensor> kept_;  // initializers' tensors: their addresses stay theirs
  int64_t nodes_ = 0, values_ = 0, folded_ = 0;
};

// ---- convolution, with its BatchNorm folded when it is the conv's only reader

void Exporter::convolution(const Event& e, const std::string& weight, const std::string& bias, bool relu) {
  const Tensor &x = e.inputs.at(0), &w = e.inputs.at(1);
  const int64_t dims = w.dim() - 2;
  if (x.dim() != dims + 2) cannot(e, "of an unbatched input");
  const bool transposed = attribute<int64_t>(e, "transposed") != 0;
  const Ints kernel(w.shape().begin() + 2, w.shape().end());
  const Ints dilation = attribute<Ints>(e, "dilation"), stride = attribute<Ints>(e, "stride");
  const std::string mode = attribute<std::string>(e, "padding_mode");
  Ints begin = attribute<Ints>(e, "padding"), end = begin;
  if (mode == "same") {  // a transposed conv's 'same' (output = input · stride) pads what is left over
    for (size_t d = 0; d < static_cast<size_t>(dims); ++d) {
      const int64_t total = dilation[d] * (kernel[d] - 1) + (transposed ? 1 - stride[d] : 0);
      if (total < 0) cannot(e, "with padding 'same' and a stride larger than its kernel");
      begin[d] = total / 2;
      end[d] = total - total / 2;
    }
  } else if (mode == "valid") {
    begin.assign(static_cast<size_t>(dims), 0);
    end = begin;
  }
  Ints pads = begin;
  pads.insert(pads.end(), end.begin(), end.end());
  std::vector<Attr> attributes{{"kernel_shape", kernel},
                               {"strides", stride},
                               {"pads", pads},
                               {"dilations", dilation},
                               {"group", attribute<int64_t>(e, "groups")}};
  if (transposed) {
    const Ints output_padding = attribute<Ints>(e, "output_padding");
    if (std::any_of(output_padding.begin(), output_padding.end(), [](int64_t p) { return p != 0; }))
      attributes.push_back({"output_padding", output_padding});
  }
  std::vector<std::string> inputs{value(x), weight};
  if (!bias.empty()) inputs.push_back(bias);
  const std::string op = transposed ? "ConvTranspose" : "Conv";
  const Tensor& y = e.outputs.at(0);
  const std::string conv_out = relu ? temp(op) : name_for(y, op);
  node(op, inputs, {conv_out}, attributes);
  if (relu) node("Relu", {conv_out}, {name_for(y, "Relu")});
}

bool Exporter::folds_into_next(const std::vector<Event>& events, size_t i) const {
  if (!options_.fold_batch_norm || i + 1 >= events.size()) return false;
  const Event &conv = events[i], &bn = events[i + 1];
  if (conv.op != "convolution" || bn.op != "batch_norm" || conv.outputs.empty() || bn.outputs.empty()) return false;
  if (attribute<int64_t>(conv, "transposed") || attribute<int64_t>(conv, "relu") || attribute<int64_t>(bn, "training"))
    return false;
  const TensorImpl* y = conv.outputs[0].impl();
  const auto it = readers_.find(y);
  return bn.inputs.at(0).impl() == y && it != readers_.end() && it->second == 1 && !output_names_.count(y) &&
         bn.inputs.at(3).defined() && bn.inputs.at(4).defined();
}

// bn(conv(x)) = conv'(x), with nn::utils::fuse_conv_bn_weights.
void Exporter::fold_conv_bn(const Event& conv, const Event& bn) {
  const Tensor &w = conv.inputs.at(1), &b = conv.inputs.at(2);
  const auto [folded_w, folded_b] = nn::utils::fuse_conv_bn_weights(
      w, b, bn.inputs.at(3), bn.inputs.at(4), attribute<double>(bn, "eps"), bn.inputs.at(1), bn.inputs.at(2));
  const auto base = [&](const Tensor& t) {
    const auto it = state_names_.find(t.impl());
    if (it == state_names_.end()) return "folded_" + std::to_string(folded_++) + "_";
    const std::string& name = it->second;
    return name.substr(0, name.size() - (name.size() >= 6 && name.ends_with("weight") ? 6 : 0));
  };
  const std::string prefix = base(w);
  const std::string weight = initializer(folded_w, prefix + "weight_bn_folded");
  const std::string bias = initializer(folded_b, prefix + "bias_bn_folded");
  Event fused = conv;
  fused.outputs = bn.outputs;
  convolution(fused, weight, bias, attribute<int64_t>(bn, "relu") != 0);
}

// ---- activations

void Exporter::activation(const Event& e) {
  const Tensor& y = e.outputs.at(0);
  const std::string x = value(e.inputs.at(0));
  const auto out = [&](const std::string& op) { return name_for(y, op); };
  if (e.op == "relu") return node("Relu", {x}, {out("Relu")});
  if (e.op == "sigmoid") return node("Sigmoid", {x}, {out("Sigmoid")});
  if (e.op == "tanh") return node("Tanh", {x}, {out("Tanh")});
  if (e.op == "softsign") return node("Softsign", {x}, {out("Softsign")});
  if (e.op == "selu") return node("Selu", {x}, {out("Selu")});
  if (e.op == "leaky_relu")
    return node("LeakyRelu", {x}, {out("LeakyRelu")}, {{"alpha", attribute<double>(e, "negative_slope")}});
  if (e.op == "elu") return node("Elu", {x}, {out("Elu")}, {{"alpha", attribute<double>(e, "alpha")}});
  if (e.op == "celu") return node("Celu", {x}, {out("Celu")}, {{"alpha", attribute<double>(e, "alpha")}});
  if (e.op == "hardsigmoid") return node("HardSigmoid", {x}, {out("HardSigmoid")}, {{"alpha", 1.0 / 6}, {"beta", 0.5}});
  if (e.op == "hardswish") {
    if (options_.opset < 14) cannot(e, "before opset 14");
    return node("HardSwish", {x}, {out("HardSwish")});
  }
  if (e.op == "hardtanh")
    return node("Clip", {x, scalar(attribute<double>(e, "min_val")), scalar(attribute<double>(e, "max_val"))},
                {out("Clip")});
  if (e.op == "logsigmoid") {
    const std::string s = temp("Sigmoid");
    node("Sigmoid", {x}, {s});
    return node("Log", {s}, {out("Log")});
  }
  if (e.op == "silu" || e.op == "mish") {  // x · sigmoid(x), x · tanh(softplus(x))
    std::string gate = temp("Sigmoid");
    if (e.op == "silu") {
      node("Sigmoid", {x}, {gate});
    } else {
      const std::string soft = temp("Softplus");
      node("Softplus", {x}, {soft});
      node("Tanh", {soft}, {gate});
    }
    return node("Mul", {x, gate}, {out("Mul")});
  }
  if (e.op == "softplus") {
    const double beta = attribute<double>(e, "beta");
    if (beta == 1.0) return node("Softplus", {x}, {out("Softplus")});
    const std::string scaled = temp("Mul"), soft = temp("Softplus");
    node("Mul", {x, scalar(beta)}, {scaled});
    node("Softplus", {scaled}, {soft});
    return node("Div", {soft, scalar(beta)}, {out("Div")});
  }
  if (e.op == "gelu") {  // 0.5 · x · (1 + erf(x / √2)), or the tanh form: torch.onnx.export's formulas
    const std::string inner = temp("Erf"), one_plus = temp("Add"), half_x = temp("Mul");
    if (attribute<std::string>(e, "approximate") == "none") {
      const std::string scaled = temp("Div");
      node("Div", {x, scalar(std::sqrt(2.0))}, {scaled});
      node("Erf", {scaled}, {inner});
    } else {
      const std::string cube = temp("Pow"), term = temp("Mul"), sum = temp("Add"), arg = temp("Mul");
      node("Pow", {x, scalar(3.0)}, {cube});
      node("Mul", {cube, scalar(0.044715)}, {term});
      node("Add", {x, term}, {sum});
      node("Mul", {sum, scalar(std::sqrt(2.0 / M_PI))}, {arg});
      node("Tanh", {arg}, {inner});
    }
    node("Add", {inner, scalar(1.0)}, {one_plus});
    node("Mul", {x, scalar(0.5)}, {half_x});
    return node("Mul", {half_x, one_plus}, {out("Mul")});
  }
  if (e.op == "prelu") {  // the slope as (C, 1, ...) broadcasts over the channels
    const Tensor& slope = e.inputs.at(1);
    std::string s = value(slope);
    const int64_t rank = e.inputs.at(0).dim();
    if (slope.numel() > 1 && rank > 2) {
      Ints axes;
      for (int64_t d = 1; d < rank - 1; ++d) axes.push_back(d);
      const std::string unsqueezed = temp("Unsqueeze");
      node("Unsqueeze", {s, ints(axes)}, {unsqueezed});
      s = unsqueezed;
    }
    return node("PRelu", {x, s}, {out("PRelu")});
  }
  cannot(e, "(an activation export does not know)");
}

// ---- shapes

void Exporter::shape_op(const Event& e) {
  const Tensor &x = e.inputs.at(0), &y = e.outputs.at(0);
  const std::string in = value(x);
  const auto out = [&](const std::string& op) { return name_for(y, op); };
  const auto wrap = [](int64_t d, int64_t rank) { return d < 0 ? d + rank : d; };
  // The target shape for a Reshape: the batch dim copied (0) when it is kept, so the graph takes any batch.
  const auto target = [&](const Shape& shape) {
    Ints t = shape;
    if (options_.dynamic_batch && !t.empty() && x.dim() > 0 && t[0] == x.size(0) && t[0] != 0) t[0] = 0;
    return ints(t);
  };
  if (e.op == "reshape") return node("Reshape", {in, target(y.shape())}, {out("Reshape")});
  if (e.op == "flatten") {
    const int64_t start = wrap(attribute<int64_t>(e, "start_dim"), x.dim()),
                  end = wrap(attribute<int64_t>(e, "end_dim"), x.dim());
    if (end == x.dim() - 1 && start == 1) return node("Flatten", {in}, {out("Flatten")}, {{"axis", int64_t{1}}});
    return node("Reshape", {in, target(y.shape())}, {out("Reshape")});
  }
  if (e.op == "permute") {
    Ints perm = attribute<Ints>(e, "dims");
    for (int64_t& d : perm) d = wrap(d, x.dim());
    return node("Transpose", {in}, {out("Transpose")}, {{"perm", perm}});
  }
  if (e.op == "transpose") {
    Ints perm;
    for (int64_t d = 0; d < x.dim(); ++d) perm.push_back(d);
    std::swap(perm[static_cast<size_t>(wrap(attribute<int64_t>(e, "dim0"), x.dim()))],
              perm[static_cast<size_t>(wrap(attribute<int64_t>(e, "dim1"), x.dim()))]);
    return node("Transpose", {in}, {out("Transpose")}, {{"perm", perm}});
  }
  if (e.op == "unsqueeze")
    return node("Unsqueeze", {in, ints({wrap(attribute<int64_t>(e, "dim"), x.dim() + 1)})}, {out("Unsqueeze")});
  if (e.op == "squeeze") {
    Ints axes;
    if (e.attributes.count("dim")) {
      const int64_t d = wrap(attribute<int64_t>(e, "dim"), x.dim());
      if (x.size(d) == 1) axes.push_back(d);
    } else {
      for (int64_t d = 0; d < x.dim(); ++d)
        if (x.size(d) == 1) axes.push_back(d);
    }
    if (axes.empty()) return node("Identity", {in}, {out("Identity")});
    return node("Squeeze", {in, ints(axes)}, {out("Squeeze")});
  }
  if (e.op == "slice")
    return node("Slice",
                {in, ints({attribute<int64_t>(e, "start")}), ints({attribute<int64_t>(e, "end")}),
                 ints({wrap(attribute<int64_t>(e, "dim"), x.dim())}), ints({attribute<int64_t>(e, "step")})},
                {out("Slice")});
  if (e.op == "select") {
    const std::string index = constant(full({}, static_cast<double>(attribute<int64_t>(e, "index")), kInt64));
    return node("Gather", {in, index}, {out("Gather")}, {{"axis", wrap(attribute<int64_t>(e, "dim"), x.dim())}});
  }
  if (e.op == "index_select")
    return node("Gather", {in, value(e.inputs.at(1))}, {out("Gather")},
                {{"axis", wrap(attribute<int64_t>(e, "dim"), x.dim())}});
  if (e.op == "expand") {  // 1 where the input keeps its size: Expand broadcasts both ways, and the batch stays free
    Ints shape = y.shape();
    const int64_t offset = y.dim() - x.dim();
    for (int64_t d = 0; d < x.dim(); ++d)
      if (x.size(d) == y.size(d + offset)) shape[static_cast<size_t>(d + offset)] = 1;
    return node("Expand", {in, ints(shape)}, {out("Expand")});
  }
  if (e.op == "pixel_shuffle")
    return node("DepthToSpace", {in}, {out("DepthToSpace")},
                {{"blocksize", attribute<int64_t>(e, "upscale_factor")}, {"mode", std::string("CRD")}});
  if (e.op == "pixel_unshuffle") {  // (N, C, H/r, r, W/r, r) → (N, C, r, r, H/r, W/r) → (N, C·r², H/r, W/r)
    if (x.dim() != 4) cannot(e, "of a " + std::to_string(x.dim()) + "-D input");
    const int64_t r = attribute<int64_t>(e, "downscale_factor"), c = x.size(1), h = x.size(2) / r, w = x.size(3) / r;
    const std::string split = temp("Reshape"), moved = temp("Transpose");
    node("Reshape", {in, target({x.size(0), c, h, r, w, r})}, {split});
    node("Transpose", {split}, {moved}, {{"perm", Ints{0, 1, 3, 5, 2, 4}}});
    return node("Reshape", {moved, target(y.shape())}, {out("Reshape")});
  }
  if (e.op == "clone") return node("Identity", {in}, {out("Identity")});
  if (e.op == "to") return node("Cast", {in}, {out("Cast")}, {{"to", onnx_type(y.dtype())}});
  cannot(e, "(a shape op export does not know)");
}

void Exporter::emit(const Event& e) {
  if (e.op.empty() || e.outputs.empty()) return;
  const Tensor& y = e.outputs.at(0);
  // An op that returned its input (dropout in eval mode, a reshape to the same shape) adds nothing.
  if (!e.inputs.empty() && e.inputs[0].defined() && y.impl() == e.inputs[0].impl()) return;
  static const std::unordered_map<std::string, std::string> binary{
      {"add", "Add"},        {"sub", "Sub"},     {"mul", "Mul"},         {"div", "Div"},     {"pow", "Pow"},
      {"maximum", "Max"},    {"minimum", "Min"}, {"gt", "Greater"},      {"lt", "Less"},     {"ge", "GreaterOrEqual"},
      {"le", "LessOrEqual"}, {"eq", "Equal"},    {"logical_and", "And"}, {"where", "Where"}, {"matmul", "MatMul"}};
  static const std::unordered_map<std::string, std::string> unary{{"neg", "Neg"},        {"exp", "Exp"}, {"log", "Log"},
                                                                  {"sqrt", "Sqrt"},      {"abs", "Abs"}, {"erf", "Erf"},
                                                                  {"logical_not", "Not"}};
  if (const auto it = binary.find(e.op); it != binary.end()) return simple(e, it->second);
  if (const auto it = unary.find(e.op); it != unary.end()) return simple(e, it->second);
  const std::string& op = e.op;
  if (op == "convolution") {
    const std::string weight = value(e.inputs.at(1));  // before the bias: initializers in state_dict order
    return convolution(e, weight, e.inputs.at(2).defined() ? value(e.inputs.at(2)) : "",
                       attribute<int64_t>(e, "relu") != 0);
  }
  if (op == "ne") {
    const std::string equal = temp("Equal");
    node("Equal", {value(e.inputs.at(0)), value(e.inputs.at(1))}, {equal});
    return node("Not", {equal}, {name_for(y, "Not")});
  }
  if (op == "add_scalar" || op == "mul_scalar" || op == "pow_scalar") {
    const char* onnx_op = op == "add_scalar" ? "Add" : op == "mul_scalar" ? "Mul" : "Pow";
    return node(onnx_op, {value(e.inputs.at(0)), scalar(attribute<double>(e, "value"))}, {name_for(y, onnx_op)});
  }
  if (op == "rdiv_scalar")
    return node("Div", {scalar(attribute<double>(e, "value")), value(e.inputs.at(0))}, {name_for(y, "Div")});
  if (op == "clamp") {
    const double lo = attribute<double>(e, "min"), hi = attribute<double>(e, "max");
    return node("Clip", {value(e.inputs.at(0)), std::isinf(lo) ? "" : scalar(lo), std::isinf(hi) ? "" : scalar(hi)},
                {name_for(y, "Clip")});
  }
  if (op == "linear") {
    const Tensor &x = e.inputs.at(0), &b = e.inputs.at(2);
    if (x.dim() == 2) {
      std::vector<std::string> inputs{value(x), value(e.inputs.at(1))};
      if (b.defined()) inputs.push_back(value(b));
      return node("Gemm", inputs, {name_for(y, "Gemm")}, {{"alpha", 1.0}, {"beta", 1.0}, {"transB", int64_t{1}}});
    }
    const std::string wt = temp("Transpose"), product = b.defined() ? temp("MatMul") : name_for(y, "MatMul");
    node("Transpose", {value(e.inputs.at(1))}, {wt}, {{"perm", Ints{1, 0}}});
    node("MatMul", {value(x), wt}, {product});
    if (b.defined()) node("Add", {product, value(b)}, {name_for(y, "Add")});
    return;
  }
  if (op == "softmax" || op == "log_softmax") {
    const int64_t dim = attribute<int64_t>(e, "dim");
    return simple(e, op == "softmax" ? "Softmax" : "LogSoftmax", {{"axis", dim}});
  }
  if (op == "dropout") {
    if (attribute<int64_t>(e, "training")) cannot(e, "in training mode");
    return node("Identity", {value(e.inputs.at(0))}, {name_for(y, "Identity")});
  }
  if (op == "pool") {
    const Tensor& x = e.inputs.at(0);
    const Ints kernel = attribute<Ints>(e, "kernel"), padding = attribute<Ints>(e, "padding");
    if (x.dim() != static_cast<int64_t>(kernel.size()) + 2) cannot(e, "of an unbatched input");
    Ints pads = padding;
    pads.insert(pads.end(), padding.begin(), padding.end());
    std::vector<Attr> attributes{{"kernel_shape", kernel},
                                 {"strides", attribute<Ints>(e, "stride")},
                                 {"pads", pads},
                                 {"ceil_mode", attribute<int64_t>(e, "ceil_mode")}};
    if (attribute<int64_t>(e, "max")) {
      attributes.push_back({"dilations", attribute<Ints>(e, "dilation")});
      return simple(e, "MaxPool", attributes);
    }
    attributes.push_back({"count_include_pad", attribute<int64_t>(e, "count_include_pad")});
    return simple(e, "AveragePool", attributes);
  }
  if (op == "adaptive_pool") {
    const Tensor& x = e.inputs.at(0);
    const Ints size = attribute<Ints>(e, "output_size");
    const bool max = attribute<int64_t>(e, "max") != 0;
    if (x.dim() != static_cast<int64_t>(size.size()) + 2) cannot(e, "of an unbatched input");
    if (std::all_of(size.begin(), size.end(), [](int64_t s) { return s == 1; }))
      return simple(e, max ? "GlobalMaxPool" : "GlobalAveragePool");
    Ints kernel;  // an output size dividing the input's is a plain pool, as torch.onnx.export writes it
    for (size_t d = 0; d < size.size(); ++d) {
      const int64_t in = x.size(static_cast<int64_t>(d) + 2);
      if (size[d] == 0 || in % size[d] != 0) cannot(e, "to " + shape_str(size) + " from " + shape_str(x.shape()));
      kernel.push_back(in / size[d]);
    }
    return simple(e, max ? "MaxPool" : "AveragePool", {{"kernel_shape", kernel}, {"strides", kernel}});
  }
  if (op == "batch_norm" || op == "instance_norm") {
    const Tensor& x = e.inputs.at(0);
    const int64_t channels = x.size(1);
    const auto or_fill = [&](const Tensor& t, double v) { return t.defined() ? value(t) : value(full({channels}, v)); };
    const bool running =
        op == "batch_norm" ? attribute<int64_t>(e, "training") == 0 : attribute<int64_t>(e, "use_input_stats") == 0;
    if (op == "batch_norm" && !running) cannot(e, "in training mode");
    const bool relu = op == "batch_norm" && attribute<int64_t>(e, "relu") != 0;
    const std::string norm_out = relu ? temp("BatchNormalization") : "";
    if (running) {
      node("BatchNormalization",
           {value(x), or_fill(e.inputs.at(1), 1), or_fill(e.inputs.at(2), 0), value(e.inputs.at(3)),
            value(e.inputs.at(4))},
           {relu ? norm_out : name_for(y, "BatchNormalization")},
           {{"epsilon", attribute<double>(e, "eps")},
            {"momentum", op == "batch_norm" ? 1.0 - attribute<double>(e, "momentum") : 0.9}});
    } else {
      node("InstanceNormalization", {value(x), or_fill(e.inputs.at(1), 1), or_fill(e.inputs.at(2), 0)},
           {name_for(y, "InstanceNormalization")}, {{"epsilon", attribute<double>(e, "eps")}});
    }
    if (relu) node("Relu", {norm_out}, {name_for(y, "Relu")});
    return;
  }
  if (op == "layer_norm") {
    if (options_.opset < 17) cannot(e, "before opset 17");
    const Tensor& x = e.inputs.at(0);
    const Ints shape = attribute<Ints>(e, "normalized_shape");
    std::vector<std::string> inputs{value(x), e.inputs.at(1).defined() ? value(e.inputs.at(1)) : value(ones(shape))};
    if (e.inputs.at(2).defined()) inputs.push_back(value(e.inputs.at(2)));
    return node("LayerNormalization", inputs, {name_for(y, "LayerNormalization")},
                {{"axis", -static_cast<int64_t>(shape.size())}, {"epsilon", attribute<double>(e, "eps")}});
  }
  if (op == "group_norm") {  // (N, G, -1) instance-normalized, back to x's shape, then the per-channel affine
    const Tensor& x = e.inputs.at(0);
    const int64_t groups = attribute<int64_t>(e, "num_groups");
    Ints grouped{0, groups, -1}, back = x.shape(), axes;
    if (!options_.dynamic_batch) grouped[0] = x.size(0);
    if (options_.dynamic_batch) back[0] = 0;
    for (int64_t d = 1; d < x.dim() - 1; ++d) axes.push_back(d);
    const std::string r = temp("Reshape"), n = temp("InstanceNormalization");
    const bool affine = e.inputs.at(1).defined() || e.inputs.at(2).defined();
    const std::string shaped = affine ? temp("Reshape") : name_for(y, "Reshape");
    node("Reshape", {value(x), ints(grouped)}, {r});
    node("InstanceNormalization", {r, value(ones({groups})), value(zeros({groups}))}, {n},
         {{"epsilon", attribute<double>(e, "eps")}});
    node("Reshape", {n, ints(back)}, {shaped});
    if (!affine) return;
    const auto per_channel = [&](const Tensor& t) {
      const std::string u = temp("Unsqueeze");
      node("Unsqueeze", {value(t), ints(axes)}, {u});
      return u;
    };
    const std::string scaled = e.inputs.at(2).defined() ? temp("Mul") : name_for(y, "Mul");
    node("Mul", {shaped, e.inputs.at(1).defined() ? per_channel(e.inputs.at(1)) : value(ones({1}))}, {scaled});
    if (e.inputs.at(2).defined()) node("Add", {scaled, per_channel(e.inputs.at(2))}, {name_for(y, "Add")});
    return;
  }
  if (op == "embedding") return node("Gather", {value(e.inputs.at(1)), value(e.inputs.at(0))}, {name_for(y, "Gather")});
  if (op == "interpolate") {
    const Tensor& x = e.inputs.at(0);
    std::vector<float> scales{1.f, 1.f};
    for (int64_t d = 2; d < x.dim(); ++d)
      scales.push_back(static_cast<float>(y.size(d)) / static_cast<float>(x.size(d)));
    const std::string mode = attribute<std::string>(e, "mode");
    std::vector<Attr> attributes;
    if (mode == "nearest")
      attributes = {{"mode", std::string("nearest")},
                    {"coordinate_transformation_mode", std::string("asymmetric")},
                    {"nearest_mode", std::string("floor")}};
    else
      attributes = {{"mode", std::string("linear")},
                    {"coordinate_transformation_mode",
                     std::string(attribute<int64_t>(e, "align_corners") ? "align_corners" : "pytorch_half_pixel")}};
    return node("Resize", {value(x), "", floats(scales)}, {name_for(y, "Resize")}, attributes);
  }
  if (op == "pad") {
    const Tensor& x = e.inputs.at(0);
    const Ints torch_pads = attribute<Ints>(e, "pads");
    std::string mode = attribute<std::string>(e, "mode");
    if (mode == "circular") cannot(e, "in circular mode");
    if (mode == "replicate") mode = "edge";
    Ints pads(static_cast<size_t>(2 * x.dim()), 0);
    for (size_t k = 0; k < torch_pads.size() / 2; ++k) {  // torch's pairs run from the last dim
      const size_t d = static_cast<size_t>(x.dim()) - 1 - k;
      pads[d] = torch_pads[2 * k];
      pads[d + static_cast<size_t>(x.dim())] = torch_pads[2 * k + 1];
    }
    return node("Pad", {value(x), ints(pads), scalar(attribute<double>(e, "value"))}, {name_for(y, "Pad")},
                {{"mode", mode}});
  }
  if (op == "sum" || op == "mean") {
    const Tensor& x = e.inputs.at(0);
    Ints dims = attribute<Ints>(e, "dims");
    for (int64_t& d : dims) d = d < 0 ? d + x.dim() : d;
    const int64_t keepdims = attribute<int64_t>(e, "keepdim");
    if (op == "sum") {
      std::vector<std::string> inputs{value(x)};
      if (!dims.empty()) inputs.push_back(ints(dims));
      return node("ReduceSum", inputs, {name_for(y, "ReduceSum")}, {{"keepdims", keepdims}});
    }
    std::vector<Attr> attributes{{"keepdims", keepdims}};
    if (!dims.empty()) attributes.push_back({"axes", dims});
    return node("ReduceMean", {value(x)}, {name_for(y, "ReduceMean")}, attributes);
  }
  if (op == "max_dim" || op == "min_dim" || op == "argmax") {
    const Tensor& x = e.inputs.at(0);
    const int64_t dim =
        attribute<int64_t>(e, "dim") < 0 ? attribute<int64_t>(e, "dim") + x.dim() : attribute<int64_t>(e, "dim");
    const int64_t keepdims = attribute<int64_t>(e, "keepdim");
    const std::string in = value(x);
    const auto indices = [this, in, dim, keepdims, op](const Tensor& t) {
      node(op == "min_dim" ? "ArgMin" : "ArgMax", {in}, {name_for(t, "ArgMax")},
           {{"axis", dim}, {"keepdims", keepdims}});
    };
    if (op == "argmax") return indices(y);
    node(op == "max_dim" ? "ReduceMax" : "ReduceMin", {in}, {name_for(y, "ReduceMax")},
         {{"axes", Ints{dim}}, {"keepdims", keepdims}});
    const Tensor idx = e.outputs.at(1);
    pending_[idx.impl()] = [indices, idx] { indices(idx); };  // written only if something reads the indices
    kept_.push_back(idx);
    return;
  }
  if (op == "cat") {
    std::vector<std::string> inputs;
    for (const Tensor& t : e.inputs) inputs.push_back(value(t));
    const int64_t dim = attribute<int64_t>(e, "dim");
    return node("Concat", inputs, {name_for(y, "Concat")}, {{"axis", dim < 0 ? dim + y.dim() : dim}});
  }
  static const std::set<std::string> activations{
      "relu",      "sigmoid",  "tanh",       "softsign", "selu", "leaky_relu", "elu",  "celu", "hardsigmoid",
      "hardswish", "hardtanh", "logsigmoid", "silu",     "mish", "softplus",   "gelu", "prelu"};
  if (activations.count(op)) return activation(e);
  return shape_op(e);
}

}  // namespace

void export_model(nn::Module& module, const std::function<std::vector<Tensor>(const std::vector<Tensor>&)>& forward,
                  const std::vector<Tensor>& example_inputs, const std::string& path, const ExportOptions& options) {
  check_writable_file(path, kWho);
  const bool was_training = module.is_training();
  module.eval();
  StateDict state = module.named_parameters();
  for (const auto& [name, buffer] : module.named_buffers()) state.insert(name, buffer);
  Exporter exporter(options, state);
  // The inputs as the graph's: float ones require grad while traced, so that a value an untraced op computes from
  // them cannot pass for a constant.
  std::vector<Tensor> inputs;
  for (size_t k = 0; k < example_inputs.size(); ++k) {
    Tensor t = example_inputs[k].detach();
    if (is_floating_point(t.dtype())) t = t.clone().requires_grad_(true);
    exporter.add_input(
        t, k < options.input_names.size() ? options.input_names[k] : (k == 0 ? "input" : "input_" + std::to_string(k)));
    inputs.push_back(t);
  }
  std::vector<Event> events;
  std::vector<Tensor> outputs;
  try {
    trace::Session session([&](const Event& e) { events.push_back(e); });
    outputs = forward(inputs);
  } catch (...) {
    module.train(was_training);
    throw;
  }
  module.train(was_training);
  std::vector<std::string> names;
  for (size_t k = 0; k < outputs.size(); ++k) {
    names.push_back(k < options.output_names.size() ? options.output_names[k]
                                                    : (k == 0 ? "output" : "output_" + std::to_string(k)));
    exporter.name_output(outputs[k], names.back());
  }
  exporter.run(events);
  exporter.add_outputs(outputs, names);
  write_file(path, exporter.finish(), kWho);
}

}  // namespace nabla::onnx
