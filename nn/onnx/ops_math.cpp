// ONNX's elementwise operators, comparisons, logic, variadic Sum/Mean/Max/Min, reductions, Cast and Identity.
// Float tensors go through Nabla's differentiable ops; int64 tensors (shape arithmetic in dynamic graphs) through a
// plain broadcasting loop here.
#include <algorithm>
#include <cmath>

#include "nabla/core/factory.hpp"
#include "nabla/ops/activation.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/reduction.hpp"
#include "nabla/ops/shape_ops.hpp"
#include "nn/onnx/operators.h"

namespace nabla::onnx::detail {

namespace {

// f over the int64 operands broadcast together (their dtypes already checked).
template <class F>
Tensor integer_map(const std::vector<Tensor>& operands, Dtype out_dtype, F f, const std::string& where) {
  Shape shape = operands.at(0).shape();
  for (const Tensor& t : operands) shape = broadcast_shapes(shape, t.shape(), where.c_str());
  std::vector<Tensor> dense;
  for (const Tensor& t : operands) dense.push_back(t.expand(shape).contiguous().to(kInt64));
  Tensor out = empty(shape, kInt64);
  int64_t* o = out.data_ptr<int64_t>();
  std::vector<const int64_t*> in;
  for (const Tensor& t : dense) in.push_back(t.const_data_ptr<int64_t>());
  for (int64_t i = 0; i < out.numel(); ++i) o[i] = f(in, i);
  return out.to(out_dtype);
}

Tensor integer_binary(const Tensor& a, const Tensor& b, int64_t (*f)(int64_t, int64_t), const std::string& where) {
  return integer_map(
      {a, b}, kInt64, [f](const auto& in, int64_t i) { return f(in[0][i], in[1][i]); }, where);
}

void check_same_dtype(const Tensor& a, const Tensor& b, const std::string& where) {
  NABLA_CHECK(a.dtype() == b.dtype(), where, ": operands of different types (", dtype_name(a.dtype()), " and ",
              dtype_name(b.dtype()), ")");
}

// Add, Sub, Mul, Div: Nabla's ops on floats, checked integer arithmetic on int64 (ONNX's integer Div truncates).
Builder arithmetic(Tensor (*float_op)(const Tensor&, const Tensor&), int64_t (*int_op)(int64_t, int64_t)) {
  return [float_op, int_op](NodeReader& node) -> Kernel {
    return [float_op, int_op, where = node.where()](const std::vector<Tensor>& in, const RunContext&) {
      const Tensor &a = required(in, 0, where), &b = required(in, 1, where);
      check_same_dtype(a, b, where);
      if (a.dtype() == kInt64) return std::vector<Tensor>{integer_binary(a, b, int_op, where)};
      return std::vector<Tensor>{float_op(a, b)};
    };
  };
}

int64_t wrapping_add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
int64_t wrapping_sub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
int64_t wrapping_mul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}
int64_t checked_div(int64_t a, int64_t b) {
  NABLA_CHECK(b != 0, "onnx Div: integer division by zero");
  return b == -1 ? wrapping_sub(0, a) : a / b;
}

// Neg and Abs: Nabla's op on floats, the integer one on int64.
Builder signed_unary(Tensor (*op)(const Tensor&), int64_t (*int_op)(int64_t)) {
  return [op, int_op](NodeReader& node) -> Kernel {
    return [op, int_op, where = node.where()](const std::vector<Tensor>& in, const RunContext&) {
      const Tensor& x = required(in, 0, where);
      if (x.dtype() != kInt64) return std::vector<Tensor>{op(x)};
      return std::vector<Tensor>{integer_map(
          {x}, kInt64, [int_op](const auto& p, int64_t i) { return int_op(p[0][i]); }, where)};
    };
  };
}

int64_t int_neg(int64_t a) { return wrapping_sub(0, a); }
int64_t int_abs(int64_t a) { return a < 0 ? int_neg(a) : a; }

Builder comparison(Tensor (*op)(const Tensor&, const Tensor&)) {
  return [op](NodeReader& node) -> Kernel {
    return [op, where = node.where()](const std::vector<Tensor>& in, const RunContext&) {
      const Tensor &a = required(in, 0, where), &b = required(in, 1, where);
      check_same_dtype(a, b, where);
      return std::vector<Tensor>{op(a, b)};
    };
  };
}

Tensor logical_or(const Tensor& a, const Tensor& b) { return logical_not(logical_and(logical_not(a), logical_not(b))); }
Tensor logical_xor(const Tensor& a, const Tensor& b) { return ne(a.to(kBool), b.to(kBool)); }

// Sum, Mean, Max, Min of any number of broadcast operands.
Builder variadic(Tensor (*float_op)(const Tensor&, const Tensor&), int64_t (*int_op)(int64_t, int64_t), bool mean) {
  return [float_op, int_op, mean](NodeReader& node) -> Kernel {
    return [float_op, int_op, mean, where = node.where()](const std::vector<Tensor>& in, const RunContext&) {
      Tensor acc = required(in, 0, where);
      for (size_t k = 1; k < in.size(); ++k) {
        const Tensor& t = required(in, k, where);
        check_same_dtype(acc, t, where);
        acc = acc.dtype() == kInt64 ? integer_binary(acc, t, int_op, where) : float_op(acc, t);
      }
      if (mean) acc = acc / static_cast<double>(in.size());
      return std::vector<Tensor>{acc};
    };
  };
}

int64_t int_max(int64_t a, int64_t b) { return std::max(a, b); }
int64_t int_min(int64_t a, int64_t b) { return std::min(a, b); }

Kernel pow_kernel(NodeReader& node) {
  return [where = node.where()](const std::vector<Tensor>& in, const RunContext&) {
    const Tensor &x = required(in, 0, where), &e = required(in, 1, where);
    if (x.dtype() == kInt64) {  // the result keeps the base's integer type, truncated toward zero
      const Shape shape = broadcast_shapes(x.shape(), e.shape(), where.c_str());
      const std::vector<int64_t> base = x.expand(shape).contiguous().to_vector<int64_t>();
      const std::vector<double> exponent = e.expand(shape).contiguous().to(kFloat64).to_vector<double>();
      std::vector<int64_t> out(base.size());
      for (size_t i = 0; i < out.size(); ++i)
        out[i] = convert<int64_t>(std::pow(static_cast<double>(base[i]), exponent[i]));
      return std::vector<Tensor>{from_vector(out, shape)};
    }
    if (e.numel() == 1 && !e.requires_grad() && e.dim() <= x.dim())  // x^p: sqrt for 0.5, as PyTorch
      return std::vector<Tensor>{pow(x, static_cast<double>(e.to(kFloat32).contiguous().const_data_ptr<float>()[0]))
                                     .reshape(broadcast_shapes(x.shape(), e.shape(), "Pow"))};
    return std::vector<Tensor>{pow(x, e.to(kFloat32))};
  };
}

Kernel clip_kernel(NodeReader& node) {
  std::optional<double> lo, hi;
  if (node.opset() < 11) {
    if (node.has("min")) lo = node.f("min", 0);
    if (node.has("max")) hi = node.f("max", 0);
  }
  return [lo, hi, where = node.where()](const std::vector<Tensor>& in, const RunContext&) {
    const Tensor& x = required(in, 0, where);
    std::optional<double> low = lo, high = hi;
    const auto bound = [&](size_t k) -> std::optional<double> {
      if (k >= in.size() || !in[k].defined()) return std::nullopt;
      NABLA_CHECK(in[k].numel() == 1, where, ": min and max must be scalars, got shape ", shape_str(in[k].shape()));
      return in[k].to(kFloat32).contiguous().const_data_ptr<float>()[0];
    };
    if (auto v = bound(1)) low = v;
    if (auto v = bound(2)) high = v;
    if (x.dtype() == kInt64) {
      const int64_t l = low ? static_cast<int64_t>(*low) : INT64_MIN,
                    h = high ? static_cast<int64_t>(*high) : INT64_MAX;
      return std::vector<Tensor>{integer_map(
          {x}, kInt64, [l, h](const auto& p, int64_t i) { return std::min(std::max(p[0][i], l), h); }, where)};
    }
    if (!low && !high) return std::vector<Tensor>{x * 1.0};
    return std::vector<Tensor>{clamp(x, low, high)};
  };
}

Kernel where_kernel(NodeReader& node) {
  return [where = node.where()](const std::vector<Tensor>& in, const RunContext&) {
    const Tensor &c = required(in, 0, where), &a = required(in, 1, where), &b = required(in, 2, where);
    check_same_dtype(a, b, where);
    if (a.dtype() == kFloat32) return std::vector<Tensor>{nabla::where(c, a, b)};
    return std::vector<Tensor>{integer_map(
        {c, a, b}, a.dtype(), [](const auto& p, int64_t i) { return p[0][i] ? p[1][i] : p[2][i]; }, where)};
  };
}

// The reduced axes, from the attribute or (ReduceSum from opset 13) the second input; empty: all.
Shape reduce_axes(const std::vector<Tensor>& in, const std::vector<int64_t>& attribute, int64_t rank,
                  const std::string& where) {
  std::vector<int64_t> axes = attribute;
  if (in.size() > 1 && in[1].defined()) axes = int_values(in[1], "axes", where);
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
  for (int64_t& a : axes) a = wrap_dim(a, rank, "onnx reduce");
  std::sort(axes.begin(), axes.end());
  NABLA_CHECK(std::adjacent_find(axes.begin(), axes.end()) == axes.end(), where, ": an axis is repeated");
  return axes;
}

// Reduce{Sum,Mean,Max,Min,L1,L2,SumSquare,LogSum,LogSumExp}: `reduce` sums (or takes extremes) over sorted axes.
Builder reduction(const std::string& op) {
  return [op](NodeReader& node) -> Kernel {
    const bool keepdims = node.i("keepdims", 1) != 0;
    const bool axes_input = op == "ReduceSum" && node.opset() >= 13;
    const std::vector<int64_t> axes = axes_input ? std::vector<int64_t>{} : node.ints("axes");
    const bool noop = node.i("noop_with_empty_axes", 0) != 0;
    return [op, keepdims, axes, noop, where = node.where()](const std::vector<Tensor>& in, const RunContext&) {
      const Tensor& x = required(in, 0, where);
      const bool given = !axes.empty() || (in.size() > 1 && in[1].defined() && in[1].numel() > 0);
      if (noop && !given) return std::vector<Tensor>{x};
      const Shape dims = reduce_axes(in, axes, x.dim(), where);
      const auto extreme = [&](bool larger) {
        Tensor y = x;
        for (auto d = dims.rbegin(); d != dims.rend(); ++d)
          y = std::get<0>(larger ? max(y, *d, true) : min(y, *d, true));
        if (!keepdims)
          for (auto d = dims.rbegin(); d != dims.rend(); ++d) y = y.squeeze(*d);
        return y;
      };
      if (op == "ReduceMax") return std::vector<Tensor>{extreme(true)};
      if (op == "ReduceMin") return std::vector<Tensor>{extreme(false)};
      if (op == "ReduceMean") return std::vector<Tensor>{mean(x, dims, keepdims)};
      if (op == "ReduceLogSumExp") return std::vector<Tensor>{logsumexp(x, dims, keepdims)};
      if (op == "ReduceL1") return std::vector<Tensor>{sum(abs(x), dims, keepdims)};
      if (op == "ReduceL2") return std::vector<Tensor>{sqrt(sum(x * x, dims, keepdims))};
      if (op == "ReduceSumSquare") return std::vector<Tensor>{sum(x * x, dims, keepdims)};
      if (op == "ReduceLogSum") return std::vector<Tensor>{log(sum(x, dims, keepdims))};
      return std::vector<Tensor>{sum(x, dims, keepdims)};
    };
  };
}

Builder arg_extreme(bool larger) {
  return [larger](NodeReader& node) -> Kernel {
    const int64_t axis = node.i("axis", 0);
    const bool keepdims = node.i("keepdims", 1) != 0, last = node.i("select_last_index", 0) != 0;
    return [larger, axis, keepdims, last, where = node.where()](const std::vector<Tensor>& in, const RunContext&) {
      const Tensor& x = required(in, 0, where);
      const Tensor v = larger ? x : neg(x);
      if (!last) return std::vector<Tensor>{argmax(v, axis, keepdims)};
      // The last of equal extremes: the first in the reversed axis, counted from the end.
      const int64_t d = wrap_dim(axis, x.dim(), where.c_str()), size = x.size(d);
      const Tensor first = argmax(v.index_select(d, arange(static_cast<double>(size - 1), -1.0, -1.0)), d, keepdims);
      return std::vector<Tensor>{integer_map(
          {first}, kInt64, [size](const auto& p, int64_t i) { return size - 1 - p[0][i]; }, where)};
    };
  };
}

Kernel is_inf_kernel(NodeReader& node) {
  const bool negative = node.i("detect_negative", 1) != 0, positive = node.i("detect_positive", 1) != 0;
  return unary_kernel(
      [negative, positive](const Tensor& x) {
        const Tensor plus = x == INFINITY, minus = x == -INFINITY;
        return negative && positive ? logical_or(plus, minus)
               : negative           ? minus
               : positive           ? plus
                                    : zeros(x.shape(), kBool);
      },
      node.where());
}

Kernel cast_kernel(NodeReader& node) {
  const Dtype to = dtype_from_onnx(static_cast<int32_t>(node.i("to", 0)), node.where());
  return unary_kernel([to](const Tensor& x) { return x.to(to); }, node.where());
}

}  // namespace

void register_math_ops(Registry& r) {
  r["Add"] = arithmetic(add, wrapping_add);
  r["Sub"] = arithmetic(sub, wrapping_sub);
  r["Mul"] = arithmetic(mul, wrapping_mul);
  r["Div"] = arithmetic(div, checked_div);
  r["Pow"] = pow_kernel;
  r["Sqrt"] = unary_builder(sqrt);
  r["Exp"] = unary_builder(exp);
  r["Log"] = unary_builder(log);
  r["Abs"] = signed_unary(abs, int_abs);
  r["Neg"] = signed_unary(neg, int_neg);
  r["Floor"] = unary_builder(floor);
  r["Ceil"] = unary_builder(ceil);
  r["Erf"] = unary_builder(erf);
  r["Reciprocal"] = unary_builder([](const Tensor& x) { return rdiv(x, 1.0); });
  r["Clip"] = clip_kernel;
  r["Sum"] = variadic(add, wrapping_add, false);
  r["Mean"] = variadic(add, wrapping_add, true);
  r["Max"] = variadic(maximum, int_max, false);
  r["Min"] = variadic(minimum, int_min, false);
  r["Equal"] = comparison(eq);
  r["Less"] = comparison(lt);
  r["Greater"] = comparison(gt);
  r["LessOrEqual"] = comparison(le);
  r["GreaterOrEqual"] = comparison(ge);
  r["And"] = comparison(logical_and);
  r["Or"] = comparison(logical_or);
  r["Xor"] = comparison(logical_xor);
  r["Not"] = unary_builder(logical_not);
  r["Where"] = where_kernel;
  for (const char* op : {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceL1", "ReduceL2", "ReduceSumSquare",
                         "ReduceLogSum", "ReduceLogSumExp"})
    r[op] = reduction(op);
  r["ArgMax"] = arg_extreme(true);
  r["ArgMin"] = arg_extreme(false);
  r["Cast"] = cast_kernel;
  r["IsInf"] = is_inf_kernel;
  r["IsNaN"] = unary_builder([](const Tensor& x) { return x != x; });
  r["Identity"] = unary_builder([](const Tensor& x) { return x; });
}

}  // namespace nabla::onnx::detail
