// Recording the graph, and running it backwards.
#include <cmath>
#include <unordered_map>

#include "nabla/autograd/grad_mode.hpp"
#include "nabla/autograd/node.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "core/tensor_impl.h"

namespace nabla {
namespace autograd {
namespace {
thread_local bool anomaly_enabled = false;
thread_local std::vector<std::function<void()>>* backward_callbacks = nullptr;  // set while a backward runs

void note_saved(Node& node, const std::string& what, const Tensor& t) {
  if (t.defined()) node.saved.push_back({what, t.impl()->storage, t.version(), t.shape()});
}
}  // namespace

bool is_anomaly_enabled() { return anomaly_enabled; }
void set_detect_anomaly(bool enabled) { anomaly_enabled = enabled; }

void queue_callback(std::function<void()> fn) {
  NABLA_CHECK(backward_callbacks != nullptr, "queue_callback: only a backward in progress can run callbacks");
  backward_callbacks->push_back(std::move(fn));
}

bool needs_graph(const std::vector<Tensor>& inputs) {
  if (!is_grad_enabled()) return false;
  for (const auto& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

Tensor record(const char* name, const Tensor& output, const std::vector<Tensor>& inputs, BackwardFn backward,
              Saves saves) {
  if (!needs_graph(inputs)) return output;
  auto node = std::make_shared<Node>();
  node->name = name;
  for (const auto& input : inputs) {
    const bool needs = input.defined() && input.requires_grad();
    node->needs.push_back(needs);
    node->input_shapes.push_back(input.defined() ? input.shape() : Shape{});
    node->input_dtypes.push_back(input.defined() ? input.dtype() : kFloat32);
    node->input_nodes.push_back(needs ? input.grad_fn() : nullptr);
    node->input_leaves.push_back(needs && !input.grad_fn() ? input.impl_ptr() : nullptr);
  }
  if (saves == Saves::Inputs || saves == Saves::InputsAndOutput)
    for (size_t i = 0; i < inputs.size(); ++i) note_saved(*node, "input " + std::to_string(i), inputs[i]);
  if (saves == Saves::Output || saves == Saves::InputsAndOutput) note_saved(*node, "output 0", output);
  node->backward = std::move(backward);
  // A fresh handle owns the node, so closures capturing `output` form no reference cycle.
  auto impl = std::make_shared<TensorImpl>(*output.impl());
  impl->grad = Tensor();
  impl->hooks = nullptr;
  impl->requires_grad = false;
  impl->grad_fn = std::move(node);
  return Tensor(std::move(impl));
}

namespace {

// Nodes reachable from root, each after every node that feeds gradient into it.
std::vector<Node*> topological_order(Node* root) {
  std::unordered_map<Node*, int> pending;  // consumers not yet processed
  std::vector<Node*> stack{root};
  pending[root] = 0;
  while (!stack.empty()) {
    Node* node = stack.back();
    stack.pop_back();
    for (const auto& next : node->input_nodes) {
      if (!next) continue;
      auto [it, inserted] = pending.try_emplace(next.get(), 0);
      ++it->second;
      if (inserted) stack.push_back(next.get());
    }
  }
  std::vector<Node*> order, ready{root};
  while (!ready.empty()) {
    Node* node = ready.back();
    ready.pop_back();
    order.push_back(node);
    for (const auto& next : node->input_nodes)
      if (next && --pending[next.get()] == 0) ready.push_back(next.get());
  }
  return order;
}

// PyTorch's saved-variable check: a value the backward reads was overwritten after the forward.
void check_saved_versions(const Node& node) {
  for (const auto& saved : node.saved) {
    const auto storage = saved.storage.lock();
    NABLA_CHECK(!storage || storage->version == saved.version,
                "backward: one of the variables needed for gradient "
                "computation has been modified by an inplace operation: ",
                saved.what, " of ", node.name, " (", shape_str(saved.shape), ") is at version ",
                storage ? storage->version : 0, "; expected version ", saved.version,
                " instead. Do not write it (optimizer step, copy_, fill_) between the forward and "
                "the backward; clone() it before writing, or run the step after backward");
  }
}

// Anomaly mode: the gradient `g` that `node` returned for input i must be finite.
void check_finite(const Node& node, size_t i, const Tensor& g) {
  const Tensor dense = g.to(kFloat32).contiguous();
  const float* p = dense.const_data_ptr<float>();
  for (int64_t k = 0, n = dense.numel(); k < n; ++k)
    NABLA_CHECK(std::isfinite(p[k]), "backward (anomaly mode): function '", node.name, "' returned ",
                std::isnan(p[k]) ? "nan" : "inf", " values in its ", i, "th output (gradient for input ", i, ", shape ",
                shape_str(g.shape()), ", first at element ", k, ")");
}

// slot + grad, two gradients of one tensor (of its shape and dtype: float32 or bfloat16, added in float as PyTorch
// does). A loop of the engine's own, not ops' add: the graph's room sits below the ops that record into it
// (ARCHITECTURE.md), and backward records nothing.
template <class T>
Tensor sum_as(const Tensor& a, const Tensor& b) {
  const Tensor x = a.contiguous(), y = b.contiguous();
  Tensor out = empty(a.shape(), a.dtype());
  const T *px = x.const_data_ptr<T>(), *py = y.const_data_ptr<T>();
  T* po = out.data_ptr<T>();
  const int64_t n = out.numel();
#pragma omp parallel for simd if (n > (1 << 16))
  for (int64_t i = 0; i < n; ++i) po[i] = T(static_cast<float>(px[i]) + static_cast<float>(py[i]));
  return out;
}

Tensor sum_of(const Tensor& a, const Tensor& b) {
  NABLA_CHECK(a.shape() == b.shape() && a.dtype() == b.dtype() && (a.dtype() == kFloat32 || a.dtype() == kBFloat16),
              "backward: gradients of one tensor differ: ", shape_str(a.shape()), " ", dtype_name(a.dtype()), " and ",
              shape_str(b.shape()), " ", dtype_name(b.dtype()));
  return a.dtype() == kBFloat16 ? sum_as<BFloat16>(a, b) : sum_as<float>(a, b);
}

void accumulate(Tensor& slot, const Tensor& grad) { slot = slot.defined() ? sum_of(slot, grad) : grad; }

void accumulate_leaf(TensorImpl& leaf, const Tensor& grad, const std::string& producer) {
  NABLA_CHECK(grad.shape() == leaf.shape, "backward: ", producer, " produced a gradient of shape ",
              shape_str(grad.shape()), " for a leaf of shape ", shape_str(leaf.shape));
  // Out of place: the incoming gradient may alias another tensor's.
  accumulate(leaf.grad, grad);
}

// The gradient after the hooks registered on it (each may replace it).
Tensor run_grad_hooks(const std::shared_ptr<Hooks>& hooks, Tensor grad) {
  if (!hooks) return grad;
  const auto on_grad = hooks->on_grad;  // a hook may remove itself
  for (const auto& [id, hook] : on_grad) {
    const Tensor replaced = hook(grad);
    if (!replaced.defined()) continue;
    NABLA_CHECK(replaced.shape() == grad.shape() && replaced.dtype() == grad.dtype(), "backward: a hook returned a ",
                dtype_name(replaced.dtype()), " gradient of shape ", shape_str(replaced.shape()), " for a ",
                dtype_name(grad.dtype()), " one of shape ", shape_str(grad.shape()),
                "; it must return a gradient of the same shape and dtype (or nothing)");
    grad = replaced;
  }
  return grad;
}

// A leaf's whole gradient from this backward: through its hooks, into grad(), then its after-accumulate hooks.
void finish_leaf(const std::shared_ptr<TensorImpl>& leaf, const Tensor& total, const std::string& producer) {
  accumulate_leaf(*leaf, run_grad_hooks(leaf->hooks, total), producer);
  if (!leaf->hooks) return;
  const auto after = leaf->hooks->after_accumulate;
  const Tensor handle(leaf);
  for (const auto& [id, hook] : after) hook(handle);
}

// Sets backward_callbacks for the backward's lifetime (restored when it throws too).
struct CallbackScope {
  std::vector<std::function<void()>> queued;
  std::vector<std::function<void()>>* outer = backward_callbacks;
  CallbackScope() { backward_callbacks = &queued; }
  ~CallbackScope() { backward_callbacks = outer; }
  void run() {
    for (size_t i = 0; i < queued.size(); ++i) queued[i]();  // a callback may queue another
  }
};

}  // namespace

void run_backward(const Tensor& root, const Tensor& gradient, bool retain_graph) {
  NABLA_CHECK(root.requires_grad(), "backward: element 0 of tensors does not require grad and does not have a "
              "grad_fn; call requires_grad_() on an input before computing it");
  Tensor seed = gradient;
  if (!seed.defined()) {
    NABLA_CHECK(root.numel() == 1, "backward: grad can be implicitly created only for scalar outputs, but the "
                "output has shape ", shape_str(root.shape()), "; pass a gradient of that shape");
    seed = ones(root.shape(), root.dtype());
  }
  NABLA_CHECK(seed.dtype() == root.dtype(), "backward: the gradient must be ", dtype_name(root.dtype()),
              " like the output, got ", dtype_name(seed.dtype()));
  NABLA_CHECK(seed.shape() == root.shape(), "backward: the gradient has shape ", shape_str(seed.shape()),
              " but the output has shape ", shape_str(root.shape()));
  NoGradGuard no_grad;
  CallbackScope callbacks;
  if (!root.grad_fn()) {
    finish_leaf(root.impl_ptr(), seed, "backward");
    callbacks.run();
    return;
  }
  const std::vector<Node*> order = topological_order(root.grad_fn().get());
  // Each leaf's gradient is summed over this backward, then finished once its last contribution is in.
  std::unordered_map<TensorImpl*, int> leaf_pending;
  for (Node* node : order)
    for (size_t i = 0; i < node->needs.size(); ++i)
      if (node->needs[i] && node->input_leaves[i]) ++leaf_pending[node->input_leaves[i].get()];
  std::unordered_map<TensorImpl*, Tensor> leaf_grads;
  std::unordered_map<Node*, Tensor> grads{{root.grad_fn().get(), seed}};
  for (Node* node : order) {
    NABLA_CHECK(node->backward, "backward: trying to backward through the graph a second time (through ",
                node->name, "); its saved tensors were freed. Pass retain_graph=true to the first backward");
    check_saved_versions(*node);
    const Tensor grad_output = run_grad_hooks(node->hooks, std::move(grads[node]));
    grads.erase(node);
    const Grads input_grads = node->backward(grad_output, node->needs);
    if (!retain_graph) node->backward = nullptr;
    for (size_t i = 0; i < node->needs.size(); ++i) {
      if (!node->needs[i]) continue;
      NABLA_CHECK(i < input_grads.size() && input_grads[i].defined(), "backward: ", node->name,
                  " returned no gradient for its input ", i);
      const Tensor& g = input_grads[i];
      NABLA_CHECK(g.shape() == node->input_shapes[i], "backward: ", node->name, " returned a gradient of shape ",
                  shape_str(g.shape()), " for its input ", i, " of shape ", shape_str(node->input_shapes[i]));
      NABLA_CHECK(g.dtype() == node->input_dtypes[i], "backward: ", node->name, " returned a ", dtype_name(g.dtype()),
                  " gradient for its ", dtype_name(node->input_dtypes[i]), " input ", i);
      if (anomaly_enabled) check_finite(*node, i, g);
      if (node->input_nodes[i]) {
        accumulate(grads[node->input_nodes[i].get()], g);
        continue;
      }
      TensorImpl* leaf = node->input_leaves[i].get();
      accumulate(leaf_grads[leaf], g);
      if (--leaf_pending[leaf] == 0) {
        finish_leaf(node->input_leaves[i], leaf_grads[leaf], node->name);
        leaf_grads.erase(leaf);
      }
    }
  }
  callbacks.run();
}

}  // namespace autograd

// ---- the Tensor methods that speak autograd

Tensor& Tensor::requires_grad_(bool requires_grad) {
  NABLA_CHECK(defined(), "requires_grad_: the tensor is undefined");
  NABLA_CHECK(!impl()->grad_fn || requires_grad, "requires_grad_: you can only change requires_grad flags of "
              "leaf variables; use detach() to get a tensor outside the graph");
  NABLA_CHECK(!requires_grad || dtype() == kFloat32, "requires_grad_: only float32 tensors can require "
              "gradients, got ", dtype_name(dtype()));
  impl()->requires_grad = requires_grad;
  return *this;
}

bool Tensor::requires_grad() const { return defined() && (impl()->requires_grad || impl()->grad_fn); }
bool Tensor::is_leaf() const { return defined() && !impl()->grad_fn; }
Tensor Tensor::grad() const { return defined() ? impl()->grad : Tensor(); }

void Tensor::set_grad(const Tensor& grad) const {
  NABLA_CHECK(defined(), "set_grad: the tensor is undefined");
  NABLA_CHECK(!grad.defined() || grad.shape() == shape(), "set_grad: assigned grad has shape ",
              shape_str(grad.shape()), " but the tensor has shape ", shape_str(shape()));
  impl()->grad = grad;
}

const std::shared_ptr<autograd::Node>& Tensor::grad_fn() const {
  static const std::shared_ptr<autograd::Node> none;
  return defined() ? impl()->grad_fn : none;
}

namespace {
template <class Fn>
RemovableHandle add_hook(std::shared_ptr<autograd::Hooks>& slot,
                         std::vector<std::pair<uint64_t, Fn>> autograd::Hooks::*list, Fn fn) {
  if (!slot) slot = std::make_shared<autograd::Hooks>();
  const uint64_t id = slot->next_id++;
  ((*slot).*list).emplace_back(id, std::move(fn));
  return RemovableHandle([weak = std::weak_ptr<autograd::Hooks>(slot), list, id] {
    if (const auto hooks = weak.lock())
      std::erase_if((*hooks).*list, [id](const auto& entry) { return entry.first == id; });
  });
}
}  // namespace

RemovableHandle Tensor::register_hook(std::function<Tensor(const Tensor&)> hook) const {
  NABLA_CHECK(requires_grad(), "register_hook: cannot register a hook on a tensor that doesn't require gradient");
  auto& slot = impl()->grad_fn ? impl()->grad_fn->hooks : impl()->hooks;
  return add_hook(slot, &autograd::Hooks::on_grad, std::move(hook));
}

RemovableHandle Tensor::register_post_accumulate_grad_hook(std::function<void(const Tensor&)> hook) const {
  NABLA_CHECK(requires_grad(),
              "register_post_accumulate_grad_hook: cannot register a hook on a tensor that "
              "doesn't require gradient");
  NABLA_CHECK(is_leaf(),
              "register_post_accumulate_grad_hook: post accumulate grad hooks cannot be registered on "
              "non-leaf tensors");
  return add_hook(impl()->hooks, &autograd::Hooks::after_accumulate, std::move(hook));
}

void Tensor::backward(const Tensor& gradient, bool retain_graph) const {
  NABLA_CHECK(defined(), "backward: the tensor is undefined");
  autograd::run_backward(*this, gradient, retain_graph);
}

Tensor Tensor::detach() const {
  NABLA_CHECK(defined(), "detach: the tensor is undefined");
  return make_view(*this, shape(), strides(), storage_offset());
}

}  // namespace nabla
