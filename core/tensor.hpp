#pragma once
/// @file
/// nabla::Tensor: a cheap handle to a dense, strided, 64-byte-aligned array with autograd metadata.
/// Copies share storage (as torch::Tensor); clone() copies the data. The methods below are thin
/// spellings of the free functions in ops/, which is where each one is implemented.
/// @ingroup tensors
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "nabla/core/qparams.hpp"
#include "nabla/core/shape.hpp"

namespace nabla {
/// @addtogroup tensors
/// @{

struct TensorImpl;
namespace autograd {
struct Node;
}

/// What Tensor::register_hook returns (torch.utils.hooks.RemovableHandle).
class RemovableHandle {
 public:
  RemovableHandle() = default;  ///< a handle that removes nothing
  /// A handle whose remove() calls `remove` once.
  explicit RemovableHandle(std::function<void()> remove) : remove_(std::move(remove)) {}
  /// Takes the hook off again (a no-op the second time, and once the tensor is gone).
  void remove() {
    if (remove_) remove_();
    remove_ = nullptr;
  }

 private:
  std::function<void()> remove_;
};

/// torch.Tensor: a cheap handle to a dense, strided, 64-byte-aligned array with autograd metadata.
///
/// Copies share storage, as torch::Tensor's do; clone() copies the data. Create tensors with the factories
/// (zeros(), randn(), from_vector(): core/factory.hpp); the methods below are thin spellings of the free
/// functions in ops/. Operations on mismatched shapes or dtypes throw nabla::Error naming the op.
class Tensor {
 public:
  Tensor() = default;  ///< an undefined tensor: defined() is false (PyTorch's None for optional tensors)
  /// Wraps an implementation object (the library's factories call this).
  explicit Tensor(std::shared_ptr<TensorImpl> impl);

  /// Metadata: As torch.Tensor's: shape() is torch's `.shape`, size(d) accepts negative dims, dim() is `.ndim`.
  ///@{
  bool defined() const { return impl_ != nullptr; }
  Dtype dtype() const;
  const Shape& shape() const;
  const Shape& sizes() const { return shape(); }
  int64_t size(int64_t dim) const;
  const Shape& strides() const;
  int64_t stride(int64_t dim) const;
  int64_t storage_offset() const;
  int64_t dim() const;
  int64_t numel() const;
  bool is_contiguous() const;
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }
  ///@}
  /// Counts in-place writes to the underlying storage (optimizer steps, loads): caches of derived
  /// data, such as reordered weights, compare it to know when they are stale (torch's `_version`).
  uint64_t version() const;
  void bump_version() const;  ///< records an in-place write made through a raw pointer

  /// Data access: The dtype must match T (float, int64_t, bool or double), else nabla::Error. data_ptr is for writing:
  /// the values' copy in a oneDNN layout, if any, is dropped; const_data_ptr reads and keeps it. The untyped forms give
  /// the raw bytes (checkpoints, collectives). to_vector() copies the elements out in row-major order; item()
  /// reads a one-element tensor.
  ///@{
  template <class T>
  T* data_ptr() const;
  template <class T>
  const T* const_data_ptr() const;
  void* data_ptr() const;
  const void* const_data_ptr() const;
  template <class T>
  std::vector<T> to_vector() const;
  template <class T>
  T item() const;
  ///@}

  /// Copies and conversions: clone() copies the data (recorded by autograd), contiguous() copies only when strided,
  /// to() converts the dtype.
  ///@{
  Tensor clone() const;
  Tensor contiguous() const;
  Tensor to(Dtype dtype) const;
  ///@}

  /// Quantized tensors: As torch's quantized tensors (ops/quantize.hpp makes them): the scheme, per-tensor scale and
  /// zero point, per-channel scales (float64), zero points (int64) and axis; int_repr() gives the stored integers as a
  /// plain uint8/int8 tensor, dequantize() the float32 values.
  ///@{
  bool is_quantized() const;
  QScheme qscheme() const;
  double q_scale() const;
  int64_t q_zero_point() const;
  Tensor q_per_channel_scales() const;
  Tensor q_per_channel_zero_points() const;
  int64_t q_per_channel_axis() const;
  const QParams& qparams() const;
  Tensor int_repr() const;
  Tensor dequantize() const;
  ///@}

  /// Autograd: As torch.Tensor's: requires_grad_() marks a leaf for gradients, grad() is its accumulated gradient
  /// (undefined until a backward reaches it), grad_fn() the node that made a non-leaf.
  ///@{
  Tensor& requires_grad_(bool requires_grad = true);
  bool requires_grad() const;
  bool is_leaf() const;
  Tensor grad() const;
  void set_grad(const Tensor& grad) const;
  const std::shared_ptr<autograd::Node>& grad_fn() const;
  ///@}
  /// Called with this tensor's gradient when a backward computes it (a leaf's: its whole gradient from this
  /// backward, before it is added to grad()); a defined return value replaces the gradient. As
  /// torch.Tensor.register_hook.
  RemovableHandle register_hook(std::function<Tensor(const Tensor&)> hook) const;
  /// A leaf's: called with the leaf once a backward has added its gradient to grad(), as soon as no other part of
  /// that backward can add more (torch's register_post_accumulate_grad_hook; DistributedDataParallel's signal).
  RemovableHandle register_post_accumulate_grad_hook(std::function<void(const Tensor&)> hook) const;
  /// Backpropagates from this tensor. `gradient` may be omitted for a one-element tensor; retain_graph keeps the
  /// graph for a second backward. Throws nabla::Error when the tensor does not require grad.
  void backward(const Tensor& gradient = {}, bool retain_graph = false) const;
  Tensor detach() const;  ///< shares storage, outside the graph

  /// In-place writes: Not recorded by autograd (init, optimizers and loaders use them); each bumps version().
  ///@{
  Tensor& zero_();
  Tensor& fill_(double value);
  Tensor& copy_(const Tensor& source);
  Tensor& uniform_(double from = 0.0, double to = 1.0);
  Tensor& normal_(double mean = 0.0, double std = 1.0);
  ///@}

  /// Views and shape ops: torch.Tensor's methods of the same names (ops/shape_ops.hpp); slice(d, start, end, step) is
  /// `x[start:end:step]` along d. Views share storage with this tensor.
  ///@{
  Tensor reshape(const Shape& shape) const;
  Tensor view(const Shape& shape) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor t() const;
  Tensor permute(const Shape& dims) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor index_select(int64_t dim, const Tensor& index) const;
  Tensor expand(const Shape& shape) const;
  ///@}

  /// Math: torch.Tensor's methods of the same names (ops/elementwise.hpp, reduction.hpp, linear.hpp, softmax.hpp),
  /// recorded by autograd; max(dim)/min(dim) return (values, indices). NaN propagates as in PyTorch.
  ///@{
  Tensor neg() const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor abs() const;
  Tensor pow(double exponent) const;
  Tensor clamp(std::optional<double> min, std::optional<double> max) const;
  Tensor relu() const;
  Tensor sigmoid() const;
  Tensor tanh() const;
  Tensor masked_fill(const Tensor& mask, double value) const;
  Tensor sum() const;
  Tensor sum(const Shape& dims, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(const Shape& dims, bool keepdim = false) const;
  std::tuple<Tensor, Tensor> max(int64_t dim, bool keepdim = false) const;
  std::tuple<Tensor, Tensor> min(int64_t dim, bool keepdim = false) const;
  Tensor max() const;
  Tensor min() const;
  Tensor argmax(int64_t dim, bool keepdim = false) const;
  Tensor logsumexp(const Shape& dims, bool keepdim = false) const;
  Tensor matmul(const Tensor& other) const;
  Tensor softmax(int64_t dim) const;
  Tensor log_softmax(int64_t dim) const;
  ///@}

  /// Implementation access: For the library's own ops; the implementation type is private.
  ///@{
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  ///@}

 private:
  std::shared_ptr<TensorImpl> impl_;
};

/// Prints like PyTorch: tensor([[ 0.1000, -2.0000]], requires_grad=True), summarised with ... when large.
std::ostream& operator<<(std::ostream& os, const Tensor& tensor);
std::string to_string(const Tensor& tensor);  ///< what operator<< prints

/// @}
}  // namespace nabla
