#pragma once
/// @file
/// The define-by-run graph: each recorded op is a Node holding its backward closure and edges to
/// the nodes (or leaves) that produced its inputs. Ops call record() right below their forward
/// computation; record() alone decides whether anything is recorded.
/// @ingroup autograd
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla {
/// @addtogroup autograd
/// @{
struct Storage;
/// @}
}  // namespace nabla

namespace nabla::autograd {
/// @addtogroup autograd
/// @{

/// needs[i] says whether input i wants a gradient: backward may leave the others undefined.
using Needs = std::vector<bool>;
using Grads = std::vector<Tensor>;  ///< the gradients a backward returns, one per input (undefined where not needed)
/// a node's backward: the input gradients from the output's gradient
using BackwardFn = std::function<Grads(const Tensor& grad_output, const Needs& needs)>;

/// Which values a backward reads besides the gradient. record() notes the version of each such tensor's
/// storage, and backward refuses to run when one was written in place since (an optimizer step, copy_ or
/// fill_ between forward and backward), as PyTorch's saved-variable check does. Ops whose backward reads
/// no values (add, views, sums, padding) say Nothing, so writing their inputs stays allowed.
enum class Saves { Nothing, Inputs, Output, InputsAndOutput };

/// A tensor a backward reads, as it was when recorded.
struct SavedVersion {
  std::string what;                ///< "input 1", "output 0"
  std::weak_ptr<Storage> storage;  ///< the storage it lived in (expired: the tensor is gone, nothing to check)
  uint64_t version;                ///< the storage's version() when the op ran
  Shape shape;                     ///< its shape, for the message
};

/// Gradient hooks (Tensor::register_hook), by id so that a RemovableHandle can take one off.
struct Hooks {
  uint64_t next_id = 0;  ///< the id the next hook gets
  /// Tensor::register_hook's hooks, in registration order
  std::vector<std::pair<uint64_t, std::function<Tensor(const Tensor&)>>> on_grad;
  std::vector<std::pair<uint64_t, std::function<void(const Tensor&)>>> after_accumulate;  ///< leaves only
};

/// One recorded op of the graph (torch's grad_fn): its backward closure and the edges to its inputs' producers.
struct Node {
  std::string name;                                       ///< PyTorch's grad_fn name, e.g. "AddBackward0"
  std::vector<std::shared_ptr<Node>> input_nodes;         ///< producer of input i, or null
  std::vector<std::shared_ptr<TensorImpl>> input_leaves;  ///< or the leaf input i is, or null
  std::vector<Shape> input_shapes;                        ///< each input's shape (a gradient is checked against it)
  std::vector<Dtype> input_dtypes;  ///< a gradient has its input's dtype (float32, or bfloat16 under autocast)
  Needs needs;                      ///< which inputs want a gradient
  std::vector<SavedVersion> saved;  ///< the tensors backward reads, checked against in-place writes before it runs
  BackwardFn backward;              ///< released after backward unless the graph is retained
  std::shared_ptr<Hooks> hooks;     ///< on the gradient of the node's output, before backward runs
};

/// Attaches `output` to the graph when grad mode is on and some input requires grad: returns a handle
/// that shares output's storage and carries a Node with `backward`. Otherwise returns output as is.
/// The closure may capture `output` (the handle passed in) freely: it is not the one the graph owns.
Tensor record(const char* name, const Tensor& output, const std::vector<Tensor>& inputs, BackwardFn backward,
              Saves saves = Saves::InputsAndOutput);

/// Runs fn once the backward now running has finished (PyTorch's queue_callback); only during a backward.
void queue_callback(std::function<void()> fn);

/// True when grad mode is on and one of the inputs requires grad: ops that need extra work only for
/// the backward (saving a mask, a workspace) ask this first.
bool needs_graph(const std::vector<Tensor>& inputs);

/// @}
}  // namespace nabla::autograd
