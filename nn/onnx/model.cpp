// onnx::load: a model file becomes a Model whose forward runs the graph's nodes in order with Nabla's ops.
// Loading checks everything it can: the file (ONNX's checker), every value a node reads being produced before it
// (no cycle, no dangling input), every operator, attribute and type. A Conv followed only by a Relu runs as one
// conv primitive with the ReLU as its post-op, as nn::Sequential fuses them.
#include <onnx/checker.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <unordered_map>

#include "nabla/core/file.hpp"
#include "nabla/nn/onnx.hpp"
#include "nn/onnx/operators.h"

namespace nabla::onnx {

using detail::Kernel;
using detail::NodeReader;
using detail::RunContext;

struct Model::Graph {
  struct Input {
    int slot = -1;
    Tensor initializer;  // its default, when the file gives one
  };
  struct Step {
    std::string op, where;
    std::vector<int> inputs, outputs;  // slots; -1: an omitted optional input, an unused output
    Kernel kernel;
    std::vector<int> release;  // slots read for the last time here
  };
  std::string file;
  int64_t opset = 0;
  std::vector<Input> inputs;
  std::vector<ValueInfo> input_infos;
  std::vector<std::string> input_names, output_names;
  std::vector<int> output_slots;
  std::vector<std::pair<int, Tensor>> constants;  // initializers (the module's tensors) and Constant nodes
  std::vector<Step> steps;
  int slots = 0;
  std::map<std::string, int64_t> op_counts, fused_op_counts;
};

namespace {

// Float initializers that feed these inputs are state or settings, not weights: buffers, outside parameters().
bool is_buffer_input(const std::string& op, int index) {
  return (op == "BatchNormalization" && (index == 3 || index == 4)) || (op == "Resize" && index >= 1) ||
         (op == "Upsample" && index == 1) || ((op == "Pad" || op == "Clip") && index >= 1);
}

// Registers `tensor` under a dotted initializer name ("features.0.weight") as PyTorch's module tree would hold it:
// child modules "features" and "0", parameter (or buffer) "weight"; state_dict() gives the name back.
void register_initializer(nn::Module& root, const std::string& name, const Tensor& tensor, bool parameter) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(name);
  while (std::getline(in, part, '.')) parts.push_back(part.empty() ? "_" : part);
  if (parts.empty()) parts.push_back("_");
  // Module trees are walked recursively (state_dict, printing): a hostile name must not nest them without bound.
  NABLA_CHECK(parts.size() <= 64, "onnx::load: initializer '", name.substr(0, 80), "...' nests ", parts.size(),
              " levels of modules; at most 64 are supported");
  nn::Module* module = &root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    auto children = module->named_children();
    const std::shared_ptr<nn::Module>* child = children.find(parts[i]);
    module = child ? child->get() : module->register_module(parts[i], std::make_shared<nn::Module>()).get();
  }
  if (parameter)
    module->register_parameter(parts.back(), tensor);
  else
    module->register_buffer(parts.back(), tensor);
}

// "model.onnx: node 'conv1' (Conv, opset 17)": how load-time and run-time errors name a node.
std::string node_where(const std::string& file, const ::onnx::NodeProto& node, size_t index, int64_t opset) {
  const std::string name = node.name().empty() ? "#" + std::to_string(index) : "'" + node.name() + "'";
  return file + ": node " + name + " (" + node.op_type() + ", opset " + std::to_string(opset) + ")";
}

}  // namespace

Model parse(const std::string& bytes, const std::string& file) {
  ::onnx::ModelProto proto;
  NABLA_CHECK(proto.ParseFromString(bytes), "onnx::load: ", file,
              " is not an ONNX model (the protobuf does not parse: ", "a truncated or damaged file?)");
  try {
    ::onnx::checker::check_model(proto);
  } catch (const std::exception& e) {
    std::string why = e.what();  // the checker's messages span lines
    std::replace(why.begin(), why.end(), '\n', ' ');
    throw Error("onnx::load: " + file + " is not a valid ONNX model: " + why);
  }
  Model model;
  auto graph = std::make_shared<Model::Graph>();
  graph->file = file;
  for (const auto& opset : proto.opset_import())
    if (opset.domain().empty() || opset.domain() == "ai.onnx") graph->opset = opset.version();
  const ::onnx::GraphProto& g = proto.graph();

  std::unordered_map<std::string, int> slot_of;
  const auto new_slot = [&](const std::string& name) {
    NABLA_CHECK(!slot_of.count(name), "onnx::load: ", file, ": value '", name, "' is defined twice");
    return slot_of[name] = graph->slots++;
  };
  // Which values are read (by a node or as a graph output), and how the initializers are used.
  std::unordered_map<std::string, int> readers;
  std::unordered_map<std::string, bool> state_only;  // an initializer read only as statistics or settings
  for (const auto& node : g.node())
    for (int k = 0; k < node.input_size(); ++k) {
      ++readers[node.input(k)];
      auto [it, fresh] = state_only.try_emplace(node.input(k), true);
      it->second = it->second && is_buffer_input(node.op_type(), k);
    }
  for (const auto& output : g.output()) ++readers[output.name()];

  // Initializers: the module's parameters and buffers, under their names.
  std::unordered_map<std::string, Tensor> initializers;
  for (const auto& init : g.initializer()) {
    Tensor t = detail::tensor_from_proto(init, "onnx::load: " + file);
    const bool parameter = t.dtype() == kFloat32 && !state_only[init.name()];
    register_initializer(model, init.name(), t, parameter);
    initializers[init.name()] = t;
  }
  for (const auto& value : g.input()) {
    ValueInfo info;
    info.name = value.name();
    const auto& type = value.type();
    if (!type.has_tensor_type())
      throw Unsupported("onnx::load: " + file + ": input '" + value.name() + "' is not a tensor");
    info.dtype = detail::dtype_from_onnx(type.tensor_type().elem_type(), "onnx::load: input '" + value.name() + "'");
    for (const auto& dim : type.tensor_type().shape().dim())
      info.shape.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
    Model::Graph::Input input;
    if (auto it = initializers.find(value.name()); it != initializers.end()) input.initializer = it->second;
    info.optional = input.initializer.defined();
    input.slot = new_slot(value.name());
    graph->input_names.push_back(value.name());
    graph->input_infos.push_back(std::move(info));
    graph->inputs.push_back(std::move(input));
  }
  for (const auto& [name, tensor] : initializers)
    if (!slot_of.count(name)) graph->constants.emplace_back(new_slot(name), tensor);

  // Conv → Relu and BatchNormalization → Relu pairs where the Relu is the only reader: one primitive with a ReLU
  // post-op, as nn::Sequential runs them.
  std::unordered_map<std::string, const ::onnx::NodeProto*> producer;
  for (const auto& node : g.node())
    for (const auto& out : node.output()) producer[out] = &node;
  std::unordered_map<const ::onnx::NodeProto*, bool> passed_through, conv_with_relu;
  for (const auto& node : g.node()) {
    if (node.op_type() != "Relu" || node.input_size() != 1) continue;
    const auto it = producer.find(node.input(0));
    if (it == producer.end() || readers[node.input(0)] != 1) continue;
    if (it->second->op_type() != "Conv" && it->second->op_type() != "BatchNormalization") continue;
    const auto& outputs = it->second->output();
    if (std::any_of(outputs.begin() + 1, outputs.end(), [&](const std::string& o) { return readers.count(o); }))
      continue;  // a BatchNormalization's statistics are read too: the norm runs alone
    passed_through[&node] = conv_with_relu[it->second] = true;
  }
  // torch.onnx.export's isinf/isnan cast float to DOUBLE first: where IsInf/IsNaN alone read the cast, float32 gives
  // the same answer, and the cast is skipped.
  std::unordered_map<std::string, int> special_readers;
  for (const auto& node : g.node())
    if ((node.op_type() == "IsInf" || node.op_type() == "IsNaN") && node.input_size() == 1)
      ++special_readers[node.input(0)];
  for (const auto& node : g.node()) {
    if (node.op_type() != "Cast" || node.input_size() != 1 || node.output_size() != 1) continue;
    const auto& to = node.attribute();
    const bool to_double = std::any_of(
        to.begin(), to.end(), [](const auto& a) { return a.name() == "to" && a.i() == ::onnx::TensorProto::DOUBLE; });
    if (to_double && to.size() == 1 && special_readers[node.output(0)] == readers[node.output(0)])
      passed_through[&node] = true;
  }

  // Conv → BatchNormalization (inference mode) where the norm alone reads the conv: one step, folded in eval mode
  // (detail::conv_batch_norm_kernel).
  std::unordered_map<const ::onnx::NodeProto*, const ::onnx::NodeProto*> norm_after;  // a conv → its norm
  for (const auto& node : g.node()) {
    if (node.op_type() != "BatchNormalization" || node.input_size() != 5) continue;
    const auto it = producer.find(node.input(0));
    if (it == producer.end() || it->second->op_type() != "Conv" || readers[node.input(0)] != 1) continue;
    bool apart = false;  // a norm in training mode, or one whose statistics outputs are read, runs on its own
    for (const auto& a : node.attribute()) apart = apart || (a.name() == "training_mode" && a.i() != 0);
    for (int k = 1; k < node.output_size(); ++k) apart = apart || readers.count(node.output(k));
    if (!apart) norm_after[it->second] = &node;
  }
  struct PendingConv {
    std::vector<int> inputs;  // x, W, b (-1: none)
    Kernel plain, with_relu;
  };
  std::unordered_map<const ::onnx::NodeProto*, PendingConv> conv_before;  // by the norm that takes the conv in

  for (int index = 0; index < g.node_size(); ++index) {
    const auto& node = g.node(index);
    const std::string where = node_where(file, node, static_cast<size_t>(index), graph->opset);
    if (!node.domain().empty() && node.domain() != "ai.onnx")
      throw Unsupported(where + ": operators of domain '" + node.domain() + "' are not supported");
    ++graph->op_counts[node.op_type()];
    Model::Graph::Step step{node.op_type(), where, {}, {}, {}, {}};
    for (const auto& name : node.input()) {
      if (name.empty()) {
        step.inputs.push_back(-1);
        continue;
      }
      const auto it = slot_of.find(name);
      NABLA_CHECK(it != slot_of.end(), "onnx::load: ", file, ": ", where, " reads '", name,
                  "', which no graph input, initializer or earlier node produces (a dangling input, or a cycle)");
      step.inputs.push_back(it->second);
    }
    if (passed_through.count(&node)) {  // its output is its input: a ReLU the conv applies, a skipped cast
      NABLA_CHECK(node.output_size() == 1 && !node.output(0).empty(), "onnx::load: ", where, " needs one output");
      NABLA_CHECK(!slot_of.count(node.output(0)), "onnx::load: ", file, ": value '", node.output(0),
                  "' is defined twice");
      slot_of[node.output(0)] = step.inputs.at(0);
      continue;
    }
    const detail::Builder* builder = detail::find_builder(node.op_type());
    if (!builder) throw Unsupported(where + ": operator " + node.op_type() + " is not supported");
    std::vector<bool> used;
    for (const auto& name : node.output()) used.push_back(!name.empty() && readers.count(name));
    NodeReader reader(node, graph->opset, where, used);
    reader.fuse_relu = conv_with_relu.count(&node) > 0;
    step.kernel = (*builder)(reader);
    reader.check_all_read();
    for (const auto& name : node.output()) step.outputs.push_back(name.empty() ? -1 : new_slot(name));
    if (const auto norm = norm_after.find(&node); norm != norm_after.end()) {  // runs inside its norm's step
      NodeReader with_relu(node, graph->opset, where, used);
      with_relu.fuse_relu = conv_with_relu.count(norm->second) > 0;
      step.inputs.resize(3, -1);
      conv_before[norm->second] = {step.inputs, step.kernel, (*builder)(with_relu)};
      continue;
    }
    std::string fused = node.op_type();
    if (const auto conv = conv_before.find(&node); conv != conv_before.end()) {
      NodeReader settings(node, graph->opset, where, used);
      step.inputs.erase(step.inputs.begin());
      step.inputs.insert(step.inputs.begin(), conv->second.inputs.begin(), conv->second.inputs.end());
      step.kernel = detail::conv_batch_norm_kernel(conv->second.plain, conv->second.with_relu, std::move(step.kernel),
                                                   settings.f("epsilon", 1e-5f));
      fused = "Conv+" + fused;
    }
    ++graph->fused_op_counts[reader.fuse_relu ? fused + "+Relu" : fused];
    if (node.op_type() == "Constant") {  // evaluated once, here
      graph->constants.emplace_back(step.outputs.at(0), step.kernel({}, RunContext{}).at(0));
      continue;
    }
    graph->steps.push_back(std::move(step));
  }
  for (const auto& output : g.output()) {
    const auto it = slot_of.find(output.name());
    NABLA_CHECK(it != slot_of.end(), "onnx::load: ", file, ": graph output '", output.name(), "' is never produced");
    graph->output_names.push_back(output.name());
    graph->output_slots.push_back(it->second);
  }
  // Free each intermediate value after its last reader, so a forward holds what backward needs and no more.
  std::vector<int> last_use(static_cast<size_t>(graph->slots), -1);
  for (size_t s = 0; s < graph->steps.size(); ++s)
    for (int slot : graph->steps[s].inputs)
      if (slot >= 0) last_use[static_cast<size_t>(slot)] = static_cast<int>(s);
  for (int slot : graph->output_slots) last_use[static_cast<size_t>(slot)] = -1;
  for (size_t slot = 0; slot < last_use.size(); ++slot)
    if (last_use[slot] >= 0)
      graph->steps[static_cast<size_t>(last_use[slot])].release.push_back(static_cast<int>(slot));
  model.graph_ = std::move(graph);
  model.eval();
  return model;
}

Model load(const std::string& path) { return parse(read_file(path, "onnx::load"), path); }

namespace {
std::string dims_str(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? ", " : "") + (dims[i] < 0 ? std::string("?") : std::to_string(dims[i]));
  return s + "]";
}
}  // namespace

std::vector<Tensor> Model::forward(const std::vector<Tensor>& inputs) {
  const Graph& g = *graph_;
  NABLA_CHECK(inputs.size() <= g.inputs.size(), "OnnxModel: the graph takes ", g.inputs.size(), " inputs, got ",
              inputs.size());
  std::vector<Tensor> values(static_cast<size_t>(g.slots));
  for (const auto& [slot, tensor] : g.constants) values[static_cast<size_t>(slot)] = tensor;
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    const ValueInfo& spec = g.input_infos[i];
    const Tensor& given = i < inputs.size() ? inputs[i] : Tensor();
    const size_t slot = static_cast<size_t>(g.inputs[i].slot);
    if (!given.defined()) {
      NABLA_CHECK(spec.optional, "OnnxModel: input '", spec.name, "' is required");
      values[slot] = g.inputs[i].initializer;
      continue;
    }
    bool fits = given.dim() == static_cast<int64_t>(spec.shape.size()) || spec.shape.empty();
    for (size_t d = 0; fits && d < spec.shape.size(); ++d)
      fits = spec.shape[d] < 0 || spec.shape[d] == given.size(static_cast<int64_t>(d));
    NABLA_CHECK(fits, "OnnxModel: input '", spec.name, "' expected shape ", dims_str(spec.shape), " (? is free), got ",
                shape_str(given.shape()));
    NABLA_CHECK(given.dtype() == spec.dtype, "OnnxModel: input '", spec.name, "' expected ", dtype_name(spec.dtype),
                ", got ", dtype_name(given.dtype()));
    values[slot] = given;
  }
  const RunContext context{is_training()};
  std::vector<Tensor> step_inputs;
  for (const Graph::Step& step : g.steps) {
    step_inputs.clear();
    for (int slot : step.inputs) step_inputs.push_back(slot < 0 ? Tensor() : values[static_cast<size_t>(slot)]);
    std::vector<Tensor> outputs = step.kernel(step_inputs, context);
    for (size_t k = 0; k < step.outputs.size() && k < outputs.size(); ++k)
      if (step.outputs[k] >= 0) values[static_cast<size_t>(step.outputs[k])] = std::move(outputs[k]);
    for (int slot : step.release) values[static_cast<size_t>(slot)] = Tensor();
  }
  std::vector<Tensor> out;
  for (size_t k = 0; k < g.output_slots.size(); ++k) {
    const Tensor& value = values[static_cast<size_t>(g.output_slots[k])];
    NABLA_CHECK(value.defined(), "OnnxModel: graph output '", g.output_names[k], "' was not computed");
    out.push_back(value);
  }
  return out;
}

Tensor Model::forward(const Tensor& input) {
  NABLA_CHECK(graph_->output_slots.size() == 1, "OnnxModel: the graph has ", graph_->output_slots.size(),
              " outputs: call forward with a vector of inputs to get them all");
  return forward(std::vector<Tensor>{input}).at(0);
}

const std::vector<ValueInfo>& Model::inputs() const { return graph_->input_infos; }
const std::vector<std::string>& Model::input_names() const { return graph_->input_names; }
const std::vector<std::string>& Model::output_names() const { return graph_->output_names; }
int64_t Model::opset() const { return graph_->opset; }
std::map<std::string, int64_t> Model::op_counts(bool fused) const {
  return fused ? graph_->fused_op_counts : graph_->op_counts;
}

std::string Model::extra_repr() const {
  std::ostringstream s;
  const auto names = [&](const std::vector<std::string>& list) {
    s << "[";
    for (size_t i = 0; i < list.size(); ++i) s << (i ? ", " : "") << list[i];
    s << "]";
  };
  s << "opset=" << graph_->opset << ", inputs=";
  names(graph_->input_names);
  s << ", outputs=";
  names(graph_->output_names);
  s << ", nodes=";
  bool first = true;
  for (const auto& [op, count] : graph_->fused_op_counts) {
    s << (first ? "" : " ") << op << "×" << count;
    first = false;
  }
  return s.str();
}

}  // namespace nabla::onnx
