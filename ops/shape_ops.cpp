// Views and shape ops: each forward, then the backward it records.
#include "nabla/ops/shape_ops.hpp"
#include "nabla/core/trace.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <tuple>

#include "nabla/autograd/grad_mode.hpp"
#include "nabla/autograd/node.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "core/tensor_impl.h"
#include "nabla/ops/quantize.hpp"
#include "nabla/ops/reduction.hpp"

namespace nabla {

using autograd::Grads;
using autograd::Needs;

namespace {

void check_defined(const Tensor& x, const char* op) { NABLA_CHECK(x.defined(), op, ": got an undefined tensor"); }

// The gradient of a view into part of x: zeros, with g written through the same view of them.
template <class MakeView>
autograd::BackwardFn scatter_into(const Shape& x_shape, MakeView make_view_of) {
  return [x_shape, make_view_of](const Tensor& g, const Needs&) {
    Tensor gx = zeros(x_shape);
    make_view_of(gx).copy_(g);
    return Grads{gx};
  };
}

autograd::BackwardFn reshape_back(const Shape& x_shape) {
  return [x_shape](const Tensor& g, const Needs&) { return Grads{g.reshape(x_shape)}; };
}

Shape infer_shape(const Shape& requested, int64_t count, const char* op) {
  Shape shape = requested;
  int64_t known = 1, infer_at = -1;
  bool zero = false, overflow = false;  // a 0 makes the product 0 however large the other dims
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      NABLA_CHECK(infer_at < 0, op, ": only one dimension can be inferred; got ", shape_str(requested));
      infer_at = static_cast<int64_t>(i);
    } else {
      NABLA_CHECK(shape[i] >= 0, op, ": invalid shape dimension ", shape[i], " in ", shape_str(requested));
      zero |= shape[i] == 0;
      overflow |= __builtin_mul_overflow(known, shape[i], &known);
    }
  }
  if (zero) known = 0;
  NABLA_CHECK(zero || !overflow, op, ": shape '", shape_str(requested), "' is invalid for input of size ", count);
  if (infer_at >= 0) {
    NABLA_CHECK(known != 0 && count % known == 0, op, ": shape '", shape_str(requested),
                "' is invalid for input of size ", count);
    shape[infer_at] = count / known;
  }
  NABLA_CHECK(numel(shape) == count, op, ": shape '", shape_str(requested), "' is invalid for input of size ", count);
  return shape;
}

}  // namespace

Tensor view(const Tensor& x, const Shape& requested) {
  trace::Scope scope("reshape", {x});
  check_defined(x, "view");
  const Shape shape = infer_shape(requested, x.numel(), "view");
  NABLA_CHECK(x.is_contiguous(), "view: view size ", shape_str(shape), " is not compatible with input tensor's size ",
              shape_str(x.shape()), " and stride ", shape_str(x.strides()),
              " (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.");
  Tensor y = make_view(x, shape, contiguous_strides(shape), x.storage_offset());
  return scope.output(autograd::record("ViewBackward0", y, {x}, reshape_back(x.shape()), autograd::Saves::Nothing));
}

Tensor reshape(const Tensor& x, const Shape& shape) {
  trace::Scope scope("reshape", {x});
  check_defined(x, "reshape");
  return scope.output(view(x.contiguous(), infer_shape(shape, x.numel(), "reshape")));
}

Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  trace::Scope scope("flatten", {x}, [&] { return trace::Attributes{{"start_dim", start_dim}, {"end_dim", end_dim}}; });
  check_defined(x, "flatten");
  if (x.dim() == 0) return scope.output(x.reshape({1}));
  const int64_t start = wrap_dim(start_dim, x.dim(), "flatten"), end = wrap_dim(end_dim, x.dim(), "flatten");
  NABLA_CHECK(start <= end, "flatten: start_dim (", start_dim, ") cannot come after end_dim (", end_dim, ")");
  Shape shape(x.shape().begin(), x.shape().begin() + start);
  shape.push_back(
      std::accumulate(x.shape().begin() + start, x.shape().begin() + end + 1, int64_t{1}, std::multiplies<>()));
  shape.insert(shape.end(), x.shape().begin() + end + 1, x.shape().end());
  return scope.output(x.reshape(shape));
}

Tensor permute(const Tensor& x, const Shape& dims) {
  trace::Scope scope("permute", {x}, [&] { return trace::Attributes{{"dims", dims}}; });
  check_defined(x, "permute");
  NABLA_CHECK(static_cast<int64_t>(dims.size()) == x.dim(), "permute(sparse_coo): number of dimensions in the tensor "
              "input does not match the length of the desired ordering of dimensions i.e. input.dim() = ", x.dim(),
              " is not equal to len(dims) = ", dims.size());
  Shape shape(dims.size()), strides(dims.size()), inverse(dims.size(), -1);
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = wrap_dim(dims[i], x.dim(), "permute");
    NABLA_CHECK(inverse[d] < 0, "permute: repeated dim ", dims[i], " in ", shape_str(dims));
    inverse[d] = static_cast<int64_t>(i);
    shape[i] = x.shape()[d];
    strides[i] = x.strides()[d];
  }
  Tensor y = make_view(x, shape, strides, x.storage_offset());
  return scope.output(autograd::record(
      "PermuteBackward0", y, {x}, [inverse](const Tensor& g, const Needs&) { return Grads{g.permute(inverse)}; },
      autograd::Saves::Nothing));
}

Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) {
  trace::Scope scope("transpose", {x}, [&] { return trace::Attributes{{"dim0", dim0}, {"dim1", dim1}}; });
  check_defined(x, "transpose");
  if (x.dim() == 0) return scope.output(x);
  Shape dims(x.dim());
  std::iota(dims.begin(), dims.end(), 0);
  std::swap(dims[wrap_dim(dim0, x.dim(), "transpose")], dims[wrap_dim(dim1, x.dim(), "transpose")]);
  return scope.output(permute(x, dims));
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  trace::Scope scope("unsqueeze", {x}, [&] { return trace::Attributes{{"dim", dim}}; });
  check_defined(x, "unsqueeze");
  const int64_t d = wrap_dim(dim, x.dim() + 1, "unsqueeze");
  Shape shape = x.shape(), strides = x.strides();
  // PyTorch's size · stride; a size-1 dim never steps, so when that overflows (a huge dim of an empty tensor) any
  // stride serves.
  int64_t stride = 1;
  if (d < x.dim() && __builtin_mul_overflow(shape[d], strides[d], &stride)) stride = strides[d];
  shape.insert(shape.begin() + d, 1);
  strides.insert(strides.begin() + d, stride);
  Tensor y = make_view(x, shape, strides, x.storage_offset());
  return scope.output(
      autograd::record("UnsqueezeBackward0", y, {x}, reshape_back(x.shape()), autograd::Saves::Nothing));
}

Tensor squeeze(const Tensor& x) {
  trace::Scope scope("squeeze", {x});
  check_defined(x, "squeeze");
  Shape shape, strides;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (x.shape()[d] != 1) {
      shape.push_back(x.shape()[d]);
      strides.push_back(x.strides()[d]);
    }
  Tensor y = make_view(x, shape, strides, x.storage_offset());
  return scope.output(autograd::record("SqueezeBackward0", y, {x}, reshape_back(x.shape()), autograd::Saves::Nothing));
}

Tensor squeeze(const Tensor& x, int64_t dim) {
  trace::Scope scope("squeeze", {x}, [&] { return trace::Attributes{{"dim", dim}}; });
  check_defined(x, "squeeze");
  if (x.dim() == 0) return scope.output(x);
  const int64_t d = wrap_dim(dim, x.dim(), "squeeze");
  if (x.shape()[d] != 1) return scope.output(x);
  Shape shape = x.shape(), strides = x.strides();
  shape.erase(shape.begin() + d);
  strides.erase(strides.begin() + d);
  Tensor y = make_view(x, shape, strides, x.storage_offset());
  return scope.output(autograd::record("SqueezeBackward1", y, {x}, reshape_back(x.shape()), autograd::Saves::Nothing));
}

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step) {
  trace::Scope scope("slice", {x}, [&] {
    return trace::Attributes{{"dim", dim}, {"start", start}, {"end", end}, {"step", step}};
  });
  check_defined(x, "slice");
  NABLA_CHECK(x.dim() > 0, "slice: cannot be applied to a 0-dim tensor");
  NABLA_CHECK(step > 0, "slice: step must be positive, got ", step);
  const int64_t d = wrap_dim(dim, x.dim(), "slice"), size = x.shape()[d];
  const auto clamp_index = [size](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + size : i, 0, size); };
  const int64_t lo = clamp_index(start), hi = std::max(lo, clamp_index(end));
  Shape shape = x.shape(), strides = x.strides();
  shape[d] = (hi - lo + step - 1) / step;
  strides[d] *= step;
  Tensor y = make_view(x, shape, strides, x.storage_offset() + lo * x.strides()[d]);
  return scope.output(autograd::record(
      "SliceBackward0", y, {x},
      scatter_into(x.shape(), [d, lo, hi, step](const Tensor& gx) { return gx.slice(d, lo, hi, step); }),
      autograd::Saves::Nothing));
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  trace::Scope scope("slice", {x}, [&] {
    return trace::Attributes{{"dim", dim}, {"start", start}, {"end", start + length}, {"step", int64_t{1}}};
  });
  check_defined(x, "narrow");
  NABLA_CHECK(x.dim() > 0, "narrow() cannot be applied to a 0-dim tensor.");
  const int64_t d = wrap_dim(dim, x.dim(), "narrow"), size = x.shape()[d];
  NABLA_CHECK(start >= -size && start <= size, "narrow: start out of range (expected to be in range of [", -size, ", ",
              size, "], but got ", start, ")");
  const int64_t s = start < 0 ? start + size : start;
  NABLA_CHECK(length >= 0 && s + length <= size, "narrow: start (", s, ") + length (", length,
              ") exceeds dimension size (", size, ") of shape ", shape_str(x.shape()));
  return scope.output(slice(x, d, s, s + length));
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  trace::Scope scope("select", {x}, [&] { return trace::Attributes{{"dim", dim}, {"index", index}}; });
  check_defined(x, "select");
  NABLA_CHECK(x.dim() > 0, "select() cannot be applied to a 0-dim tensor.");
  const int64_t d = wrap_dim(dim, x.dim(), "select"), size = x.shape()[d];
  NABLA_CHECK(index >= -size && index < size, "select(): index ", index, " out of range for tensor of size ",
              shape_str(x.shape()), " at dimension ", d);
  const int64_t i = index < 0 ? index + size : index;
  Shape shape = x.shape(), strides = x.strides();
  shape.erase(shape.begin() + d);
  strides.erase(strides.begin() + d);
  Tensor y = make_view(x, shape, strides, x.storage_offset() + i * x.strides()[d]);
  return scope.output(autograd::record("SelectBackward0", y, {x},
                                       scatter_into(x.shape(), [d, i](const Tensor& gx) { return gx.select(d, i); }),
                                       autograd::Saves::Nothing));
}

Tensor expand(const Tensor& x, const Shape& requested) {
  trace::Scope scope("expand", {x});
  check_defined(x, "expand");
  const int64_t rank = static_cast<int64_t>(requested.size()), lead = rank - x.dim();
  NABLA_CHECK(lead >= 0, "expand: the number of sizes provided (", rank, ") must be greater or equal to the number "
              "of dimensions in the tensor (", x.dim(), ")");
  Shape shape(rank), strides(rank, 0);
  for (int64_t d = 0; d < rank; ++d) {
    if (d < lead) {
      NABLA_CHECK(requested[d] >= 0, "expand: the expanded size ", requested[d], " is not allowed in a leading, "
                  "non-existing dimension ", d);
      shape[d] = requested[d];
      continue;
    }
    const int64_t have = x.shape()[d - lead], want = requested[d] == -1 ? have : requested[d];
    NABLA_CHECK(want >= 0, "expand: trying to create tensor with negative dimension ", want, ": ",
                shape_str(requested));
    NABLA_CHECK(have == want || have == 1, "expand: the expanded size of the tensor (", want, ") must match the "
                "existing size (", have, ") at non-singleton dimension ", d, ".  Target sizes: ", shape_str(requested),
                ".  Tensor sizes: ", shape_str(x.shape()));
    shape[d] = want;
    strides[d] = have == want ? x.strides()[d - lead] : 0;
  }
  numel(shape);  // a nabla::Error when the element count overflows
  Tensor y = make_view(x, shape, strides, x.storage_offset());
  return scope.output(autograd::record(
      "ExpandBackward0", y, {x},
      [x_shape = x.shape()](const Tensor& g, const Needs&) { return Grads{sum_to_size(g, x_shape)}; },
      autograd::Saves::Nothing));
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  trace::Scope scope("index_select", {x, index}, [&] { return trace::Attributes{{"dim", dim}}; });
  check_defined(x, "index_select");
  NABLA_CHECK(index.defined() && index.dtype() == kInt64 && index.dim() <= 1, "index_select(): Expected a 1-D int64 "
              "index, got ", index.defined() ? dtype_name(index.dtype()) : "undefined", " of shape ",
              index.defined() ? shape_str(index.shape()) : "[]");
  NABLA_CHECK(x.dim() > 0, "index_select(): cannot select from a 0-dim tensor");
  const Shape& x_shape = x.shape();
  const int64_t d = wrap_dim(dim, x.dim(), "index_select"), size = x_shape[d];
  const std::vector<int64_t> idx = index.to_vector<int64_t>();
  for (int64_t i : idx)
    NABLA_CHECK(i >= 0 && i < size, "index_select(): index ", i, " is out of bounds for dimension ", d, " with size ",
                size, " (indices are 0 to size - 1; negative ones are not wrapped, as in PyTorch)");
  int64_t outer = 0, inner = 0;  // not a structured binding: the backward captures them
  std::tie(outer, inner) = outer_inner(x_shape, d);
  Shape shape = x_shape;
  shape[d] = static_cast<int64_t>(idx.size());
  Tensor y = empty(shape, x.dtype());
  const Tensor dense = x.contiguous();
  const size_t bytes = static_cast<size_t>(inner) * element_size(x.dtype());
  const auto* src = static_cast<const std::byte*>(dense.impl()->data());
  auto* dst = static_cast<std::byte*>(y.impl()->mutable_data());
  const auto n = static_cast<int64_t>(idx.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < n; ++k) {
      std::memcpy(dst + (o * n + k) * bytes, src + (o * size + idx[k]) * bytes, bytes);
    }
  return scope.output(autograd::record(
      "IndexSelectBackward0", y, {x},
      [x_shape = x.shape(), idx, outer, inner, size](const Tensor& g, const Needs&) {
        Tensor gx = zeros(x_shape);  // rows picked twice get both gradients
        const Tensor dense_g = g.contiguous();
        const float* pg = dense_g.data_ptr<float>();
        float* px = gx.data_ptr<float>();
        const auto n = static_cast<int64_t>(idx.size());
        for (int64_t o = 0; o < outer; ++o)
          for (int64_t k = 0; k < n; ++k) {
            for (int64_t j = 0; j < inner; ++j) px[(o * size + idx[k]) * inner + j] += pg[(o * n + k) * inner + j];
          }
        return Grads{gx};
      },
      autograd::Saves::Nothing));
}

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  trace::Scope scope("cat", tensors, [&] { return trace::Attributes{{"dim", dim}}; });
  NABLA_CHECK(!tensors.empty(), "cat(): expected a non-empty list of Tensors");
  const Tensor& first = tensors.front();
  check_defined(first, "cat");
  NABLA_CHECK(first.dim() > 0, "cat: zero-dimensional tensor (at position 0) cannot be concatenated");
  const int64_t d = wrap_dim(dim, first.dim(), "cat");
  Shape shape = first.shape();
  shape[d] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    check_defined(t, "cat");
    NABLA_CHECK(t.dtype() == first.dtype(), "cat: expected all tensors to have dtype ", dtype_name(first.dtype()),
                ", got ", dtype_name(t.dtype()), " at position ", i);
    NABLA_CHECK(t.dim() == first.dim(), "cat: Tensors must have same number of dimensions: got ", first.dim(), " and ",
                t.dim(), " (at position ", i, ")");
    for (int64_t k = 0; k < t.dim(); ++k)
      NABLA_CHECK(k == d || t.shape()[k] == first.shape()[k], "cat: Sizes of tensors must match except in dimension ",
                  d, ". Expected size ", first.shape()[k], " but got size ", t.shape()[k], " for tensor number ", i,
                  " in the list (shapes ", shape_str(first.shape()), " and ", shape_str(t.shape()), ")");
    shape[d] += t.shape()[d];
  }
  Tensor y = empty(shape, first.dtype());
  std::vector<int64_t> offsets, sizes;
  {
    NoGradGuard no_grad;
    int64_t offset = 0;
    for (const Tensor& t : tensors) {
      offsets.push_back(offset);
      sizes.push_back(t.shape()[d]);
      y.narrow(d, offset, t.shape()[d]).copy_(t);
      offset += t.shape()[d];
    }
  }
  return scope.output(autograd::record(
      "CatBackward0", y, tensors,
      [d, offsets, sizes](const Tensor& g, const Needs& n) {
        Grads grads(n.size());
        for (size_t i = 0; i < n.size(); ++i)
          if (n[i]) grads[i] = g.narrow(d, offsets[i], sizes[i]);
        return grads;
      },
      autograd::Saves::Nothing));
}

Tensor quantized_cat(const std::vector<Tensor>& tensors, int64_t dim, double scale, int64_t zero_point) {
  check_quantization_params(scale, zero_point, kUInt8, "quantized cat");
  bool same = true;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    NABLA_CHECK(t.defined() && t.is_quantized() && t.dtype() == kUInt8 && t.qscheme() == QScheme::PerTensorAffine,
                "quantized cat: expected uint8 tensors quantized per tensor, got ",
                t.defined() ? dtype_name(t.dtype()) : "an undefined tensor", " at position ", i);
    same = same && t.q_scale() == scale && t.q_zero_point() == zero_point;
  }
  std::vector<Tensor> parts;
  for (const Tensor& t : tensors) parts.push_back(same ? t.int_repr() : t.dequantize());
  const QParams params{QScheme::PerTensorAffine, {scale}, {zero_point}, 0};
  return same ? make_quantized(cat(parts, dim), params)
              : quantize_per_tensor(cat(parts, dim), scale, zero_point, kUInt8);
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  NABLA_CHECK(!tensors.empty(), "stack(): expected a non-empty list of Tensors");
  std::vector<Tensor> expanded;
  for (size_t i = 0; i < tensors.size(); ++i) {
    check_defined(tensors[i], "stack");
    NABLA_CHECK(tensors[i].shape() == tensors[0].shape(), "stack expects each tensor to be equal size, but got ",
                shape_str(tensors[0].shape()), " at entry 0 and ", shape_str(tensors[i].shape()), " at entry ", i);
    expanded.push_back(tensors[i].unsqueeze(wrap_dim(dim, tensors[0].dim() + 1, "stack")));
  }
  return cat(expanded, dim < 0 ? dim + tensors[0].dim() + 1 : dim);
}

Tensor Tensor::clone() const {
  trace::Scope scope("clone", {*this});
  Tensor out = empty(shape(), dtype());
  out.copy_(*this);
  out.impl()->qparams = impl()->qparams;
  return scope.output(autograd::record(
      "CloneBackward0", out, {*this}, [](const Tensor& g, const autograd::Needs&) { return autograd::Grads{g}; },
      autograd::Saves::Nothing));
}

// Differentiable between floating dtypes, as PyTorch's: the gradient comes back in the source's dtype.
Tensor Tensor::to(Dtype target) const {
  trace::Scope scope("to", {*this}, [&] { return trace::Attributes{{"dtype", int64_t{static_cast<int>(target)}}}; });
  NABLA_CHECK(!is_quantized(), "to(", dtype_name(target),
              "): Copying from quantized Tensor to non-quantized Tensor is "
              "not allowed, please use dequantize to get a float Tensor from a quantized Tensor");
  if (dtype() == target) return scope.output(*this);
  Tensor out = empty(shape(), target);
  {
    NoGradGuard no_grad;
    out.copy_(*this);
  }
  if (!is_floating_point(dtype()) || !is_floating_point(target)) return scope.output(out);
  return scope.output(autograd::record(
      "ToCopyBackward0", out, {*this},
      [source = dtype()](const Tensor& g, const autograd::Needs&) { return autograd::Grads{g.to(source)}; },
      autograd::Saves::Nothing));
}

Tensor Tensor::reshape(const Shape& shape) const { return nabla::reshape(*this, shape); }
Tensor Tensor::view(const Shape& shape) const { return nabla::view(*this, shape); }
Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const { return nabla::flatten(*this, start_dim, end_dim); }
Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const { return nabla::transpose(*this, dim0, dim1); }
Tensor Tensor::t() const {
  NABLA_CHECK(dim() <= 2, "t() expects a tensor with <= 2 dimensions, but self is ", dim(), "D");
  return dim() < 2 ? *this : nabla::transpose(*this, 0, 1);
}
Tensor Tensor::permute(const Shape& dims) const { return nabla::permute(*this, dims); }
Tensor Tensor::unsqueeze(int64_t dim) const { return nabla::unsqueeze(*this, dim); }
Tensor Tensor::squeeze() const { return nabla::squeeze(*this); }
Tensor Tensor::squeeze(int64_t dim) const { return nabla::squeeze(*this, dim); }
Tensor Tensor::narrow(int64_t dim, int64_t start, int64_t length) const {
  return nabla::narrow(*this, dim, start, length);
}
Tensor Tensor::slice(int64_t dim, int64_t start, int64_t end, int64_t step) const {
  return nabla::slice(*this, dim, start, end, step);
}
Tensor Tensor::select(int64_t dim, int64_t index) const { return nabla::select(*this, dim, index); }
Tensor Tensor::index_select(int64_t dim, const Tensor& index) const { return nabla::index_select(*this, dim, index); }
Tensor Tensor::expand(const Shape& shape) const { return nabla::expand(*this, shape); }

// ---- pixel shuffle: a reshape, a permutation and a reshape (their backward is the inverse)

namespace {
// The leading (batch) dims of x, followed by `tail`.
Shape with_batch(const Tensor& x, std::initializer_list<int64_t> tail) {
  Shape shape(x.shape().begin(), x.shape().end() - 3);
  shape.insert(shape.end(), tail);
  return shape;
}
// The permutation that moves the last six dims (c, a, b, h, w...) as `order` says, batch dims first.
Shape batch_then(const Tensor& x, std::initializer_list<int64_t> order) {
  const int64_t batch = x.dim() - 3;
  Shape dims(static_cast<size_t>(batch));
  std::iota(dims.begin(), dims.end(), 0);
  for (int64_t o : order) dims.push_back(batch + o);
  return dims;
}
}  // namespace

Tensor pixel_shuffle(const Tensor& x, int64_t r) {
  trace::Scope scope("pixel_shuffle", {x}, [&] { return trace::Attributes{{"upscale_factor", r}}; });
  check_defined(x, "pixel_shuffle");
  NABLA_CHECK(x.dim() >= 3, "pixel_shuffle expects input to have at least 3 dimensions, but got input with ", x.dim(),
              " dimension(s)");
  NABLA_CHECK(r > 0, "pixel_shuffle expects a positive upscale_factor, but got ", r);
  const int64_t c = x.size(-3), h = x.size(-2), w = x.size(-1);
  const int64_t r2 = checked_mul(r, r, "pixel_shuffle: upscale_factor squared");
  NABLA_CHECK(c % r2 == 0,
              "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
              "of upscale_factor, but input.size(-3)=",
              c, " is not divisible by ", r2);
  const int64_t out_c = c / r2;
  const char* what = "pixel_shuffle: the output size";
  const Shape out = with_batch(x, {out_c, checked_mul(h, r, what), checked_mul(w, r, what)});
  const Tensor y = x.reshape(with_batch(x, {out_c, r, r, h, w})).permute(batch_then(x, {0, 3, 1, 4, 2}));
  return scope.output(y.reshape(out));
}

Tensor pixel_unshuffle(const Tensor& x, int64_t r) {
  trace::Scope scope("pixel_unshuffle", {x}, [&] { return trace::Attributes{{"downscale_factor", r}}; });
  check_defined(x, "pixel_unshuffle");
  NABLA_CHECK(x.dim() >= 3, "pixel_unshuffle expects input to have at least 3 dimensions, but got input with ", x.dim(),
              " dimension(s)");
  NABLA_CHECK(r > 0, "pixel_unshuffle expects a positive downscale_factor, but got ", r);
  const int64_t c = x.size(-3), h = x.size(-2), w = x.size(-1);
  NABLA_CHECK(h % r == 0 && w % r == 0,
              "pixel_unshuffle expects height and width to be divisible by "
              "downscale_factor, but input.size(-2)=",
              h, " and input.size(-1)=", w, " with downscale_factor=", r);
  const int64_t out_c = checked_mul(c, checked_mul(r, r, "pixel_unshuffle"), "pixel_unshuffle: the output channels");
  const Tensor y = x.reshape(with_batch(x, {c, h / r, r, w / r, r})).permute(batch_then(x, {0, 2, 4, 1, 3}));
  return scope.output(y.reshape(with_batch(x, {out_c, h / r, w / r})));
}

}  // namespace nabla
