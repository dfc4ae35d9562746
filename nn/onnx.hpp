#pragma once
/// @file
/// ONNX in and out. nabla::onnx::load reads a model file (from torch.onnx.export, or from Nabla) into a module whose
/// forward runs the graph with Nabla's ops: printable, with a state_dict keyed by the file's initializer names and
/// parameters an optimizer can train. export_model traces one forward of a module and writes it as an ONNX file.
///
/// @code
///   auto model = nabla::onnx::load("mobilenet.onnx");   // inference mode, as the file describes it
///   Tensor logits = model(images);
///   model.train();                                      // fine-tune: BatchNorm on batch statistics, Dropout on
///   optim::Adam adam(model.parameters(), {.lr = 1e-4});
/// @endcode
///
/// Everything is checked when the file is read: an operator, attribute or data type Nabla does not run is an
/// onnx::Unsupported (a nabla::Error) naming the node, the operator, the opset and the attribute; a damaged file
/// is a nabla::Error naming the file and what is wrong with it.
/// @ingroup onnx
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nabla/core/error.hpp"
#include "nabla/nn/module.hpp"

namespace nabla::onnx {
/// @addtogroup onnx
/// @{

/// What Nabla cannot run (an operator, an attribute value, a data type), as opposed to a damaged file.
class Unsupported : public Error {
 public:
  using Error::Error;
};

/// A graph input as the file declares it.
struct ValueInfo {
  std::string name;            ///< the input's name in the graph
  Dtype dtype = kFloat32;      ///< its element type
  std::vector<int64_t> shape;  ///< -1 for a symbolic dim (a dynamic batch); empty when the file gives no shape
  bool optional = false;       ///< it has an initializer, which is used when the input is left out
};

/// A loaded ONNX graph as a module. Copies share the graph and the tensors, like every module.
class Model : public nn::Layer<Model> {
 public:
  /// The graph's outputs for its inputs, in the file's order (inputs that have initializers are optional: left out,
  /// they keep the initializer's value).
  std::vector<Tensor> forward(const std::vector<Tensor>& inputs);
  /// A graph with one input and one output.
  Tensor forward(const Tensor& input);

  const std::vector<ValueInfo>& inputs() const;          ///< the graph's inputs, in order
  const std::vector<std::string>& input_names() const;   ///< their names
  const std::vector<std::string>& output_names() const;  ///< the graph's output names, in order
  int64_t opset() const;                                 ///< of the default ("ai.onnx") domain
  /// How many nodes of each operator the graph holds ({"Conv": 7, "Relu": 6, ...}), after fusion when
  /// `fused` (a Conv + Relu pair counts as one "Conv+Relu").
  std::map<std::string, int64_t> op_counts(bool fused = false) const;

  std::string name() const override { return "OnnxModel"; }
  std::string extra_repr() const override;

 private:
  struct Graph;
  std::shared_ptr<Graph> graph_;
  friend Model parse(const std::string& bytes, const std::string& file);
};

/// Reads an ONNX model file (.onnx). Throws nabla::Error naming the file when it cannot be read or is not a valid
/// model, onnx::Unsupported when it uses what Nabla does not run.
Model load(const std::string& path);
/// The same from the file's bytes; `file` names them in errors.
Model parse(const std::string& bytes, const std::string& file = "<bytes>");

/// A tensor stored as an ONNX TensorProto (the .pb files of ONNX's test data sets, onnx.numpy_helper's format).
Tensor load_tensor(const std::string& path);

// ---- export (nn/onnx/export.cpp)

/// The options of export_model (torch.onnx.export's).
struct ExportOptions {
  int64_t opset = 17;                       ///< 13 to 17
  bool dynamic_batch = true;                ///< the inputs' and outputs' first dim symbolic ("batch")
  std::vector<std::string> input_names{};   ///< default input, input_1, ...
  std::vector<std::string> output_names{};  ///< default output, output_1, ...
  /// A conv whose output only an eval-mode BatchNorm reads becomes one Conv with the norm folded into its weight and
  /// bias (initializers "<conv>.weight_bn_folded", "<conv>.bias_bn_folded"), as torch.onnx.export writes it.
  bool fold_batch_norm = true;
};

/// Runs `forward` once on `example_inputs` with the module in eval mode (its mode is restored after), traces the ops
/// it runs and writes them to `path` as an ONNX model: parameters and buffers as initializers under their state_dict
/// names. The model passes ONNX's shape inference and checker before it is written (atomically: a failed export
/// leaves any previous file). An op ONNX cannot express, or a value computed outside Nabla's ops, is a nabla::Error
/// naming it.
void export_model(nn::Module& module, const std::function<std::vector<Tensor>(const std::vector<Tensor>&)>& forward,
                  const std::vector<Tensor>& example_inputs, const std::string& path,
                  const ExportOptions& options = {});

/// A module whose forward takes one tensor (or several) and returns one.
template <class M>
requires requires(M& m, const Tensor& x) { m.forward(x); }
void export_model(M& module, const Tensor& example_input, const std::string& path, const ExportOptions& options = {}) {
  export_model(
      module, [&](const std::vector<Tensor>& in) { return std::vector<Tensor>{module.forward(in.at(0))}; },
      {example_input}, path, options);
}

/// @}
}  // namespace nabla::onnx
