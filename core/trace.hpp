#pragma once
/// @file
/// Tracing: ops report themselves (name, inputs, outputs, attributes) to a recorder installed on this thread, as
/// torch.jit.trace watches a forward. onnx::export_model installs one for one forward of the model. An op that runs
/// other ops reports itself alone: what runs inside it is its own business.
///
/// @code
///   Tensor leaky_relu(const Tensor& x, double negative_slope) {
///     trace::Scope scope("leaky_relu", {x}, [&] { return trace::Attributes{{"negative_slope", negative_slope}}; });
///     Tensor y = ...;
///     return scope.output(y);                         // every return of the op
///   }
/// @endcode
///
/// Without a recorder a Scope costs a thread-local check: the inputs are kept, and the attributes built, only while
/// recording.
/// @ingroup onnx
#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla::trace {
/// @addtogroup onnx
/// @{

/// one attribute of a traced op (an int, a float, a string or lists of them)
using Attribute = std::variant<int64_t, double, std::string, std::vector<int64_t>, std::vector<double>>;
using Attributes = std::map<std::string, Attribute>;  ///< a traced op's attributes by name

/// One op as the recorder sees it.
struct Event {
  std::string op;               ///< the op's name, e.g. "conv2d"
  std::vector<Tensor> inputs;   ///< undefined for an absent optional one (a conv without bias)
  std::vector<Tensor> outputs;  ///< empty: the op returned on a path that does not report (the recorder should refuse)
  Attributes attributes;        ///< its settings (stride, padding...)
};

using Recorder = std::function<void(const Event&)>;  ///< what receives each traced op

/// Installs a recorder on this thread while it lives (the previous one, if any, comes back after).
class Session {
 public:
  explicit Session(Recorder recorder);  ///< installs `recorder` on this thread
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

 private:
  Recorder* previous_;
  Recorder recorder_;
};

/// An op's marker, constructed on entry. It records when a recorder is installed and no op around this one is
/// recording.
class Scope {
 public:
  /// Marks op `op` with these inputs (no attributes).
  Scope(const char* op, std::initializer_list<Tensor> inputs) { begin(op, inputs.begin(), inputs.size()); }
  /// Marks op `op` with these inputs, given as a vector (no attributes).
  Scope(const char* op, const std::vector<Tensor>& inputs) { begin(op, inputs.data(), inputs.size()); }
  /// `attributes` (called when the op reports, before the op returns) builds the op's settings.
  template <class MakeAttributes>
  Scope(const char* op, std::initializer_list<Tensor> inputs, MakeAttributes&& attributes) : Scope(op, inputs) {
    if (recording_) attributes_ = std::forward<MakeAttributes>(attributes);
  }
  /// Inputs given as a vector; `attributes` as above.
  template <class MakeAttributes>
  Scope(const char* op, const std::vector<Tensor>& inputs, MakeAttributes&& attributes) : Scope(op, inputs) {
    if (recording_) attributes_ = std::forward<MakeAttributes>(attributes);
  }
  ~Scope();  ///< an op that returns without output() is reported with no outputs
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

  bool recording() const { return recording_; }  ///< whether this op is being recorded
  /// Records the op's result(s) and returns them.
  Tensor output(Tensor y) {
    if (recording_) emit({y});
    return y;
  }
  /// Records the op's results (several outputs).
  void outputs(const std::vector<Tensor>& ys) {
    if (recording_) emit(ys);
  }

 private:
  void begin(const char* op, const Tensor* inputs, size_t count);
  void emit(std::vector<Tensor> outputs);
  bool recording_ = false;
  bool emitted_ = false;
  const char* op_ = nullptr;
  std::vector<Tensor> inputs_;
  std::function<Attributes()> attributes_;
};

/// @}
}  // namespace nabla::trace
