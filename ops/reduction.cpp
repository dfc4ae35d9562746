// Reductions: each forward, then the backward it records.
#include "nabla/ops/reduction.hpp"
#include "nabla/core/trace.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "nabla/autograd/grad_mode.hpp"
#include "nabla/autograd/node.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/ops/elementwise.hpp"
#include "ops/kernels.h"

namespace nabla {

using autograd::Grads;
using autograd::Needs;

namespace {

// Sorted, wrapped, duplicate-checked dims; empty means all dims (as torch.sum(x, dim=[])).
Shape normalize_dims(const Shape& dims, int64_t rank, const char* op) {
  Shape out;
  for (int64_t d : dims) out.push_back(wrap_dim(d, rank, op));
  std::sort(out.begin(), out.end());
  const auto repeated = std::adjacent_find(out.begin(), out.end());
  NABLA_CHECK(repeated == out.end(), op, ": dim ", repeated == out.end() ? 0 : *repeated,
              " appears multiple times in the list of dims");
  if (out.empty())
    for (int64_t d = 0; d < rank; ++d) out.push_back(d);
  return out;
}

Shape reduced_shape(const Shape& shape, const Shape& dims, bool keepdim) {
  Shape out;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    const bool reduced = std::binary_search(dims.begin(), dims.end(), d);
    if (!reduced) out.push_back(shape[d]);
    else if (keepdim) out.push_back(1);
  }
  return out;
}

// Sums x over `dims` (sorted). When they form one run of adjacent dims, x is read in place as
// (outer, reduced, inner) blocks; otherwise the reduced dims are first permuted to the end.
template <class T>
Tensor sum_kernel(const Tensor& x, const Shape& dims, const Shape& out_shape, Dtype out_dtype) {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
  if (x.numel() == 0) return zeros(out_shape, out_dtype);  // and the block products below cannot overflow
  Tensor dense = x.contiguous();
  const bool adjacent = dims.back() - dims.front() + 1 == static_cast<int64_t>(dims.size());
  if (!adjacent) {
    Shape order;
    for (int64_t d = 0; d < x.dim(); ++d)
      if (!std::binary_search(dims.begin(), dims.end(), d)) order.push_back(d);
    order.insert(order.end(), dims.begin(), dims.end());
    dense = x.detach().permute(order).contiguous();
  }
  const Shape& shape = dense.shape();
  const int64_t first = adjacent ? dims.front() : x.dim() - static_cast<int64_t>(dims.size());
  const int64_t last = adjacent ? dims.back() : x.dim() - 1;
  int64_t outer = 1, reduced = 1, inner = 1;
  for (int64_t d = 0; d < x.dim(); ++d) (d < first ? outer : d <= last ? reduced : inner) *= shape[d];
  std::vector<Acc> acc(static_cast<size_t>(outer * inner), Acc{0});
  const T* px = dense.data_ptr<T>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t r = 0; r < reduced; ++r) {
      const T* row = px + (o * reduced + r) * inner;
      Acc* a = acc.data() + o * inner;
      for (int64_t i = 0; i < inner; ++i) a[i] += row[i];
    }
  Tensor out = empty(out_shape, out_dtype);
  if (out_dtype == kFloat32) std::copy(acc.begin(), acc.end(), out.data_ptr<float>());
  else std::copy(acc.begin(), acc.end(), out.data_ptr<int64_t>());
  return out;
}

// Gradient of a reduction over `dims` (kept as size 1 in g_kept), spread back over x's shape.
Tensor spread(const Tensor& g, const Shape& x_shape, const Shape& dims) {
  return g.reshape(reduced_shape(x_shape, dims, true)).expand(x_shape).contiguous();
}

// max or min over one dim, with the index of the first extreme element.
template <class Better>
std::tuple<Tensor, Tensor> extreme(const char* op, const char* node, const Tensor& x, int64_t dim, bool keepdim,
                                   Better better) {
  if (x.dtype() == kBFloat16) {  // compared in float32 (exact); the values in the input's dtype, as PyTorch
    const auto [values, indices] = extreme(op, node, x.to(kFloat32), dim, keepdim, better);
    return {values.to(kBFloat16), indices};
  }
  kernels::check_float(x, op);
  NABLA_CHECK(x.dim() > 0 || dim == 0 || dim == -1, op, ": dim ", dim, " is out of range for a 0-d tensor");
  const int64_t d = x.dim() == 0 ? 0 : wrap_dim(dim, x.dim(), op);
  const Shape shape = x.dim() == 0 ? Shape{1} : x.shape();
  const int64_t n = shape[d];
  NABLA_CHECK(n > 0, op, "(): Expected reduction dim ", d, " to have non-zero size; input shape ",
              shape_str(x.shape()));
  int64_t outer = 0, inner = 0;  // not a structured binding: the backward captures them
  std::tie(outer, inner) = outer_inner(shape, d);
  const Shape out_shape = x.dim() == 0 ? Shape{} : reduced_shape(x.shape(), {d}, keepdim);
  Tensor values = empty(out_shape), indices = empty(out_shape, kInt64);
  const Tensor dense = x.contiguous();
  const float* px = dense.data_ptr<float>();
  float* pv = values.data_ptr<float>();
  int64_t* pi = indices.data_ptr<int64_t>();
#pragma omp parallel for collapse(2) schedule(static) if (outer * inner * n > 32768)
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const float* row = px + o * n * inner + i;
      int64_t best = 0;
      for (int64_t k = 1; k < n; ++k)
        if (better(row[k * inner], row[best * inner]) || std::isnan(row[k * inner])) {
          best = k;
          if (std::isnan(row[k * inner])) break;  // NaN wins, as in PyTorch
        }
      pv[o * inner + i] = row[best * inner];
      pi[o * inner + i] = best;
    }
  values = autograd::record(node, values, {x},
                            [indices, x_shape = x.shape(), outer, n, inner](const Tensor& g, const Needs&) {
                              Tensor gx = zeros(x_shape);
                              const Tensor dense_g = g.contiguous();
                              const float* pg = dense_g.data_ptr<float>();
                              const int64_t* idx = indices.data_ptr<int64_t>();
                              float* out = gx.data_ptr<float>();
                              for (int64_t o = 0; o < outer; ++o)
                                for (int64_t i = 0; i < inner; ++i)
                                  out[(o * n + idx[o * inner + i]) * inner + i] = pg[o * inner + i];
                              return Grads{gx};
                            });
  return {values, indices};
}

// max or min of all elements; the gradient is shared evenly between tied elements.
Tensor extreme_all(const char* op, const Tensor& x, bool is_max) {
  kernels::check_float(x, op);
  NABLA_CHECK(x.numel() > 0, op, "(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
              "reduction dim with the 'dim' argument; input shape ", shape_str(x.shape()));
  const auto [values, indices] = extreme(op, "unused", x.detach().reshape({-1}), 0, false,
                                         [is_max](float a, float b) { return is_max ? a > b : a < b; });
  (void)indices;
  return autograd::record(is_max ? "MaxBackward1" : "MinBackward1", values, {x},
                          [x = x.detach(), values = values](const Tensor& g, const Needs&) {
                            const Tensor mask = (x == values).to(kFloat32);
                            return Grads{mask * (g / sum(mask))};
                          });
}

}  // namespace

Tensor sum(const Tensor& x) { return sum(x, {}, false); }

Tensor sum(const Tensor& x, const Shape& dims_in, bool keepdim) {
  trace::Scope scope("sum", {x}, [&] { return trace::Attributes{{"dims", dims_in}, {"keepdim", int64_t{keepdim}}}; });
  NABLA_CHECK(x.defined(), "sum: got an undefined tensor");
  const Shape dims = normalize_dims(dims_in, x.dim(), "sum");
  const Shape out_shape = reduced_shape(x.shape(), dims, keepdim);
  // bfloat16 (autocast's) sums in float32 and rounds once, as PyTorch's kernel.
  if (x.dtype() == kBFloat16) return scope.output(sum(x.to(kFloat32), dims_in, keepdim).to(kBFloat16));
  if (x.dtype() != kFloat32) return scope.output(sum_kernel<int64_t>(x.to(kInt64), dims, out_shape, kInt64));
  Tensor y = x.dim() == 0 ? x.clone() : sum_kernel<float>(x, dims, out_shape, kFloat32);
  return scope.output(autograd::record(
      "SumBackward1", y, {x},
      [x_shape = x.shape(), dims](const Tensor& g, const Needs&) { return Grads{spread(g, x_shape, dims)}; },
      autograd::Saves::Nothing));
}

Tensor mean(const Tensor& x) { return mean(x, {}, false); }

Tensor mean(const Tensor& x, const Shape& dims_in, bool keepdim) {
  trace::Scope scope("mean", {x}, [&] { return trace::Attributes{{"dims", dims_in}, {"keepdim", int64_t{keepdim}}}; });
  NABLA_CHECK(x.defined() && (x.dtype() == kFloat32 || x.dtype() == kBFloat16),
              "mean(): could not infer output dtype. Input dtype must be a "
              "floating point dtype. Got: ",
              x.defined() ? dtype_name(x.dtype()) : "undefined");
  const Shape dims = normalize_dims(dims_in, x.dim(), "mean");
  double count = 1;  // a double, as huge dims beside a 0 would overflow an int64 (the mean is then NaN)
  for (int64_t d : dims) count *= x.dim() == 0 ? 1 : static_cast<double>(x.shape()[d]);
  return scope.output(sum(x, dims_in, keepdim) * (1.0 / count));
}

Tensor max(const Tensor& x) { return extreme_all("max", x, true); }
Tensor min(const Tensor& x) { return extreme_all("min", x, false); }

std::tuple<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) {
  trace::Scope scope("max_dim", {x}, [&] { return trace::Attributes{{"dim", dim}, {"keepdim", int64_t{keepdim}}}; });
  auto result = extreme("max", "MaxBackward0", x, dim, keepdim, [](float a, float b) { return a > b; });
  scope.outputs({std::get<0>(result), std::get<1>(result)});
  return result;
}

std::tuple<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim) {
  trace::Scope scope("min_dim", {x}, [&] { return trace::Attributes{{"dim", dim}, {"keepdim", int64_t{keepdim}}}; });
  auto result = extreme("min", "MinBackward0", x, dim, keepdim, [](float a, float b) { return a < b; });
  scope.outputs({std::get<0>(result), std::get<1>(result)});
  return result;
}

Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  trace::Scope scope("argmax", {x}, [&] { return trace::Attributes{{"dim", dim}, {"keepdim", int64_t{keepdim}}}; });
  const Tensor values = x.defined() && x.is_quantized() ? x.dequantize() : x.detach();  // an int8 model's logits
  return scope.output(
      std::get<1>(extreme("argmax", "unused", values, dim, keepdim, [](float a, float b) { return a > b; })));
}

Tensor logsumexp(const Tensor& x, const Shape& dims_in, bool keepdim) {
  kernels::check_float(x, "logsumexp");
  const Shape dims = normalize_dims(dims_in, x.dim(), "logsumexp");
  Tensor shift;  // the max over dims, held constant: it cancels in the gradient
  {
    NoGradGuard no_grad;
    Shape order, kept;  // the reduced dims moved last and merged, so one max over the last dim does
    for (int64_t d = 0; d < x.dim(); ++d)
      if (!std::binary_search(dims.begin(), dims.end(), d)) {
        order.push_back(d);
        kept.push_back(x.shape()[d]);
      }
    order.insert(order.end(), dims.begin(), dims.end());
    kept.push_back(-1);
    shift = std::get<0>(max(x.permute(order).reshape(kept), -1)).reshape(reduced_shape(x.shape(), dims, true));
    shift = where(shift.abs() == INFINITY, zeros({}), shift);  // all -inf rows stay -inf, as in PyTorch
  }
  Tensor out = log(sum(exp(x - shift), dims, true)) + shift;
  return keepdim ? out : out.reshape(reduced_shape(x.shape(), dims, false));
}

Tensor sum_to_size(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  const int64_t lead = x.dim() - static_cast<int64_t>(shape.size());
  NABLA_CHECK(lead >= 0, "sum_to_size: shape ", shape_str(shape), " is not expandable to size ", shape_str(x.shape()));
  Shape dims;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (d < lead) {
      dims.push_back(d);
      continue;
    }
    const int64_t target = shape[d - lead];
    NABLA_CHECK(target == x.shape()[d] || target == 1, "sum_to_size: shape ", shape_str(shape),
                " is not expandable to size ", shape_str(x.shape()));
    if (target == 1 && x.shape()[d] != 1) dims.push_back(d);
  }
  if (dims.empty()) return x.reshape(shape);
  return sum(x, dims, true).reshape(shape);
}

Tensor Tensor::sum() const { return nabla::sum(*this); }
Tensor Tensor::sum(const Shape& dims, bool keepdim) const { return nabla::sum(*this, dims, keepdim); }
Tensor Tensor::mean() const { return nabla::mean(*this); }
Tensor Tensor::mean(const Shape& dims, bool keepdim) const { return nabla::mean(*this, dims, keepdim); }
std::tuple<Tensor, Tensor> Tensor::max(int64_t dim, bool keepdim) const { return nabla::max(*this, dim, keepdim); }
std::tuple<Tensor, Tensor> Tensor::min(int64_t dim, bool keepdim) const { return nabla::min(*this, dim, keepdim); }
Tensor Tensor::max() const { return nabla::max(*this); }
Tensor Tensor::min() const { return nabla::min(*this); }
Tensor Tensor::argmax(int64_t dim, bool keepdim) const { return nabla::argmax(*this, dim, keepdim); }
Tensor Tensor::logsumexp(const Shape& dims, bool keepdim) const { return nabla::logsumexp(*this, dims, keepdim); }

}  // namespace nabla
