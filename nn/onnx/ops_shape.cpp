// ONNX's shape operators: Reshape, Flatten, Transpose, Squeeze/Unsqueeze, Concat, Split, Slice, Gather, Shape,
// Size, Constant, ConstantOfShape, Expand, Tile, Range. Views where Nabla's ops give views; all differentiable.
#include <algorithm>

#include "nabla/core/factory.hpp"
#include "nabla/ops/shape_ops.hpp"
#include "nn/onnx/operators.h"

namespace nabla::onnx::detail {

namespace {

using Tensors = std::vector<Tensor>;

// Axes from the attribute (before `input_opset`) or the given input, wrapped into [0, rank).
std::vector<int64_t> axes_of(const Tensors& in, size_t index, const std::vector<int64_t>& attribute, int64_t rank,
                             const std::string& where) {
  std::vector<int64_t> axes = attribute;
  if (index < in.size() && in[index].defined()) axes = int_values(in[index], "axes", where);
  for (int64_t& a : axes) a = wrap_dim(a, rank, where.c_str());
  return axes;
}

Kernel reshape_kernel(NodeReader& node) {
  const bool allowzero = node.i("allowzero", 0) != 0;
  return [allowzero, where = node.where()](const Tensors& in, const RunContext&) {
    const Tensor& x = required(in, 0, where);
    Shape shape = int_values(required(in, 1, where), "shape", where);
    for (size_t d = 0; d < shape.size(); ++d)
      if (shape[d] == 0 && !allowzero) {
        NABLA_CHECK(static_cast<int64_t>(d) < x.dim(), where, ": shape ", shape_str(shape), " copies dim ", d,
                    " (a 0) from an input of shape ", shape_str(x.shape()));
        shape[d] = x.size(static_cast<int64_t>(d));
      }
    return Tensors{x.reshape(shape)};
  };
}

Kernel flatten_kernel(NodeReader& node) {
  const int64_t axis = node.i("axis", 1);
  return [axis, where = node.where()](const Tensors& in, const RunContext&) {
    const Tensor& x = required(in, 0, where);
    const int64_t a = axis < 0 ? axis + x.dim() : axis;
    NABLA_CHECK(a >= 0 && a <= x.dim(), where, ": axis ", axis, " is out of range for shape ", shape_str(x.shape()));
    const Shape& s = x.shape();
    const int64_t outer = numel(Shape(s.begin(), s.begin() + a)), inner = numel(Shape(s.begin() + a, s.end()));
    return Tensors{x.reshape({outer, inner})};
  };
}

Kernel transpose_kernel(NodeReader& node) {
  const std::vector<int64_t> perm = node.ints("perm");
  return [perm, where = node.where()](const Tensors& in, const RunContext&) {
    const Tensor& x = required(in, 0, where);
    Shape p = perm;
    if (p.empty())
      for (int64_t d = x.dim() - 1; d >= 0; --d) p.push_back(d);
    return Tensors{x.permute(p)};
  };
}

Kernel squeeze_kernel(NodeReader& node) {
  const std::vector<int64_t> attribute = node.opset() < 13 ? node.ints("axes") : std::vector<int64_t>{};
  return [attribute, where = node.where()](const Tensors& in, const RunContext&) {
    const Tensor& x = required(in, 0, where);
    std::vector<int64_t> axes = axes_of(in, 1, attribute, x.dim(), where);
    if (axes.empty() && !(in.size() > 1 && in[1].defined())) return Tensors{x.squeeze()};
    std::sort(axes.rbegin(), axes.rend());
    Tensor y = x;
    for (int64_t a : axes) {
      NABLA_CHECK(y.size(a) == 1, where, ": cannot squeeze axis ", a, " of shape ", shape_str(x.shape()));
      y = y.squeeze(a);
    }
    return Tensors{y};
  };
}

Kernel unsqueeze_kernel(NodeReader& node) {
  const std::vector<int64_t> attribute = node.opset() < 13 ? node.ints("axes") : std::vector<int64_t>{};
  return [attribute, where = node.where()](const Tensors& in, const RunContext&) {
    const Tensor& x = required(in, 0, where);
    std::vector<int64_t> given = attribute;
    if (in.size() > 1 && in[1].defined()) given = int_values(in[1], "axes", where);
    const int64_t rank = x.dim() + static_cast<int64_t>(given.size());
    for (int64_t& a : given) a = wrap_dim(a, rank, where.c_str());
    std::sort(given.begin(), given.end());
    Tensor y = x;
    for (int64_t a : given) y = y.unsqueeze(a);
    return Tensors{y};
  };
}

Kernel concat_kernel(NodeReader& node) {
  const int64_t axis = node.i("axis", 0);
  return [axis, where = node.where()](const Tensors& in, const RunContext&) {
    Tensors parts;
    for (size_t k = 0; k < in.size(); ++k) parts.push_back(required(in, k, where));
    return Tensors{cat(parts, axis)};
  };
}

Kernel split_kernel(NodeReader& node) {
  const int64_t axis = node.i("axis", 0);
  const std::vector<int64_t> attribute = node.opset() < 13 ? node.ints("split") : std::vector<int64_t>{};
  const int64_t outputs = static_cast<int64_t>(node.outputs());
  return [axis, attribute, outputs, where = node.where()](const Tensors& in, const RunContext&) {
    const Tensor& x = required(in, 0, where);
    const int64_t d = wrap_dim(axis, x.dim(), where.c_str()), size = x.size(d);
    std::vector<int64_t> sizes = attribute;
    if (in.size() > 1 && in[1].defined()) sizes = int_values(in[1], "split", where);
    if (sizes.empty()) {
      NABLA_CHECK(size % outputs == 0, where, ": dim ", d, " of size ", size, " does not split into ", outputs,
                  " equal parts");
      sizes.assign(static_cast<size_t>(outputs), size / outputs);
    }
    NABLA_CHECK(static_cast<int64_t>(sizes.size()) == outputs, where, ": ", sizes.size(), " split sizes for ", outputs,
                " outputs");
    Tensors out;
    int64_t start = 0;
    for (int64_t s : sizes) {
      NABLA_CHECK(s >= 0 && s <= size - start, where, ": split sizes exceed dim ", d, " of size ", size);
      out.push_back(x.narrow(d, start, s));
      start += s;
    }
    NABLA_CHECK(start == size, where, ": split sizes add up to ", start, ", not to dim ", d, "'s size ", size);
    return out;
  };
}

// x[start:end:step] along dim with ONNX's clamping; a negative step walks backwards (gathered).
Tensor slice_dim(const Tensor& x, int64_t d, int64_t start, int64_t end, int64_t step, const std::string& where) {
  NABLA_CHECK(step != 0, where, ": a step of 0");
  const int64_t size = x.size(d);
  const auto wrap = [size](int64_t i) { return i < 0 ? std::max<int64_t>(i, -size - 1) + size : i; };
  if (step > 0)
    return x.slice(d, std::clamp<int64_t>(wrap(start), 0, size), std::clamp<int64_t>(wrap(end), 0, size), step);
  const int64_t first = std::clamp<int64_t>(wrap(start), -1, size - 1),
                last = std::clamp<int64_t>(wrap(end), -1, size - 1);
  std::vector<int64_t> index;
  for (int64_t i = first; i > last; i += step) index.push_back(i);
  return x.index_select(d, from_vector(index, {static_cast<int64_t>(index.size())}));
}

Kernel slice_kernel(NodeReader& node) {
  std::vector<int64_t> starts, ends, axes;
  if (node.opset() < 10) {
    starts = node.ints("starts");
    ends = node.ints("ends");
    axes = node.ints("axes");
  }
  return [starts, ends, axes, where = node.where()](const Tensors& in, const RunContext&) {
    const Tensor& x = required(in, 0, where);
    std::vector<int64_t> s = starts, e = ends, a, steps;
    if (in.size() > 1) {
      s = int_values(required(in, 1, where), "starts", where);
      e = int_values(required(in, 2, where), "ends", where);
    }
    a = axes_of(in, 3, axes, x.dim(), where);
    if (in.size() > 4 && in[4].defined()) steps = int_values(in[4], "steps", where);
    if (a.empty())
      for (size_t k = 0; k < s.size(); ++k) a.push_back(static_cast<int64_t>(k));
    NABLA_CHECK(s.size() == e.size() && s.size() == a.size() && (steps.empty() || steps.size() == s.size()), where,
                ": starts, ends, axes and steps differ in length");
    Tensor y = x;
    for (size_t k = 0; k < s.size(); ++k) y = slice_dim(y, a[k], s[k], e[k], steps.empty() ? 1 : steps[k], where);
    return Tensors{y};
  };
}

Kernel gather_kernel(NodeReader& node) {
  const int64_t axis = node.i("axis", 0);
  return [axis, where = node.where()](const Tensors& in, const RunContext&) {
    const Tensor &x = required(in, 0, where), &indices = required(in, 1, where);
    NABLA_CHECK(indices.dtype() == kInt64, where, ": indices must be integers, got ", dtype_name(indices.dtype()));
    const int64_t d = wrap_dim(axis, x.dim(), where.c_str()), size = x.size(d);
    std::vector<int64_t> index = indices.contiguous().to_vector<int64_t>();
    for (int64_t& i : index) {
      NABLA_CHECK(i >= -size && i < size, where, ": index ", i, " is out of range for axis ", d, " of size ", size);
      if (i < 0) i += size;
    }
    const Tensor picked = x.index_select(d, from_vector(index, {static_cast<int64_t>(index.size())}));
    Shape shape(x.shape().begin(), x.shape().begin() + d);
    shape.insert(shape.end(), indices.shape().begin(), indices.shape().end());
    shape.insert(shape.end(), x.shape().begin() + d + 1, x.shape().end());
    return Tensors{picked.reshape(shape)};
  };
}

Kernel shape_kernel(NodeReader& node) {
  const int64_t start = node.i("start", 0);
  const std::optional<int64_t> end = node.has("end") ? std::optional<int64_t>(node.i("end", 0)) : std::nullopt;
  return [start, end](const Tensors& in, const RunContext&) {
    const Shape& s = in.at(0).shape();
    const auto rank = static_cast<int64_t>(s.size());
    const auto clamp = [rank](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + rank : i, 0, rank); };
    const int64_t lo = clamp(start), hi = std::max(lo, clamp(end.value_or(rank)));
    return Tensors{from_vector(std::vector<int64_t>(s.begin() + lo, s.begin() + hi), {hi - lo})};
  };
}

Kernel size_kernel(NodeReader&) {
  return [](const Tensors& in, const RunContext&) {
    return Tensors{full({}, static_cast<double>(in.at(0).numel()), kInt64)};
  };
}

Kernel constant_kernel(NodeReader& node) {
  Tensor value;
  if (node.has("value"))
    value = node.tensor("value");
  else if (node.has("value_float"))
    value = full({}, node.f("value_float", 0));
  else if (node.has("value_floats")) {
    const std::vector<float> v = node.floats("value_floats");
    value = from_vector(v, {static_cast<int64_t>(v.size())});
  } else if (node.has("value_int"))
    value = full({}, static_cast<double>(node.i("value_int", 0)), kInt64);
  else if (node.has("value_ints")) {
    const std::vector<int64_t> v = node.ints("value_ints");
    value = from_vector(v, {static_cast<int64_t>(v.size())});
  } else
    node.unsupported(
        "needs a value, value_float(s) or value_int(s) attribute (sparse and string values are not supported)");
  return [value](const Tensors&, const RunContext&) { return Tensors{value}; };
}

Kernel constant_of_shape_kernel(NodeReader& node) {
  Tensor value = node.has("value") ? node.tensor("value") : zeros({1});
  NABLA_CHECK(value.numel() == 1, node.where(), ": value must hold one element, got shape ", shape_str(value.shape()));
  return [value, where = node.where()](const Tensors& in, const RunContext&) {
    const Shape shape = int_values(required(in, 0, where), "shape", where);
    check_allocatable(shape, value.dtype(), where);
    return Tensors{value.reshape({}).expand(shape).contiguous()};
  };
}

Kernel expand_kernel(NodeReader& node) {
  return [where = node.where()](const Tensors& in, const RunContext&) {
    const Tensor& x = required(in, 0, where);
    const Shape shape = broadcast_shapes(x.shape(), int_values(required(in, 1, where), "shape", where), where.c_str());
    return Tensors{x.expand(shape)};
  };
}

// Tile: each dim d repeated r times, as (r, d) expanded then merged.
Kernel tile_kernel(NodeReader& node) {
  return [where = node.where()](const Tensors& in, const RunContext&) {
    const Tensor& x = required(in, 0, where);
    const std::vector<int64_t> repeats = int_values(required(in, 1, where), "repeats", where);
    NABLA_CHECK(static_cast<int64_t>(repeats.size()) == x.dim(), where, ": ", repeats.size(), " repeats for a ",
                x.dim(), "-D input");
    Shape interleaved, expanded, merged;
    for (int64_t d = 0; d < x.dim(); ++d) {
      NABLA_CHECK(repeats[static_cast<size_t>(d)] >= 0, where, ": a negative repeat");
      interleaved.insert(interleaved.end(), {1, x.size(d)});
      expanded.insert(expanded.end(), {repeats[static_cast<size_t>(d)], x.size(d)});
      merged.push_back(checked_mul(repeats[static_cast<size_t>(d)], x.size(d), where));
    }
    check_allocatable(merged, x.dtype(), where);
    return Tensors{x.reshape(interleaved).expand(expanded).reshape(merged)};
  };
}

Kernel range_kernel(NodeReader& node) {
  return [where = node.where()](const Tensors& in, const RunContext&) {
    const auto scalar = [&](size_t k) {
      return required(in, k, where).to(kFloat32).contiguous().to_vector<float>().at(0);
    };
    const Dtype dtype = required(in, 0, where).dtype();
    const double start = scalar(0), limit = scalar(1), delta = scalar(2);
    NABLA_CHECK(delta != 0, where, ": delta is 0");
    return Tensors{arange(start, limit, delta, dtype)};
  };
}

}  // namespace

void register_shape_ops(Registry& r) {
  r["Reshape"] = reshape_kernel;
  r["Flatten"] = flatten_kernel;
  r["Transpose"] = transpose_kernel;
  r["Squeeze"] = squeeze_kernel;
  r["Unsqueeze"] = unsqueeze_kernel;
  r["Concat"] = concat_kernel;
  r["Split"] = split_kernel;
  r["Slice"] = slice_kernel;
  r["Gather"] = gather_kernel;
  r["Shape"] = shape_kernel;
  r["Size"] = size_kernel;
  r["Constant"] = constant_kernel;
  r["ConstantOfShape"] = constant_of_shape_kernel;
  r["Expand"] = expand_kernel;
  r["Tile"] = tile_kernel;
  r["Range"] = range_kernel;
}

}  // namespace nabla::onnx::detail
