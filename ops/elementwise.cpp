// Elementwise ops: each forward, then right below it the backward it records.
#include "nabla/ops/elementwise.hpp"
#include "nabla/core/trace.hpp"

#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>

#include <bit>

#include "nabla/autograd/node.hpp"
#include "nabla/core/factory.hpp"
#include "ops/kernels.h"
#include "ops/onednn.h"
#include "nabla/ops/quantize.hpp"
#include "nabla/ops/reduction.hpp"

namespace nabla {

using autograd::Grads;
using autograd::Needs;
using kernels::compute;

namespace {

// Forward of a float binary op: broadcast shapes, compute f over xtensor views.
// float32 or bfloat16 operands of one dtype (compute rounds a bfloat16 result once).
template <class F>
Tensor binary(const char* op, const Tensor& a, const Tensor& b, F&& f) {
  kernels::check_floating(a, op);
  kernels::check_floating(b, op);
  NABLA_CHECK(a.dtype() == b.dtype(), op, ": expected operands of one dtype, got ", dtype_name(a.dtype()), " and ",
              dtype_name(b.dtype()));
  return compute<float, float>(broadcast_shapes(a.shape(), b.shape(), op), kFloat32, f, a, b);
}

template <class F>
Tensor unary(const char* op, const Tensor& x, F&& f) {
  kernels::check_floating(x, op);
  return compute<float, float>(x.shape(), kFloat32, f, x);
}

// bfloat16 with float32 computes in float32, PyTorch's type promotion (an autocast result plus a float32 tensor).
bool promotes(const Tensor& a, const Tensor& b) {
  return a.defined() && b.defined() && a.dtype() != b.dtype() && (a.dtype() == kBFloat16 || b.dtype() == kBFloat16) &&
         is_floating_point(a.dtype()) && is_floating_point(b.dtype());
}

}  // namespace

// ---- arithmetic: gradients of broadcast operands are summed back to their shapes

Tensor add(const Tensor& a, const Tensor& b) {
  trace::Scope scope("add", {a, b});
  if (promotes(a, b)) return scope.output(add(a.to(kFloat32), b.to(kFloat32)));
  Tensor y = binary("add", a, b, [](const auto& x, const auto& z) { return x + z; });
  return scope.output(autograd::record(
      "AddBackward0", y, {a, b},
      [sa = a.shape(), sb = b.shape()](const Tensor& g, const Needs& n) {
        return Grads{n[0] ? sum_to_size(g, sa) : Tensor(), n[1] ? sum_to_size(g, sb) : Tensor()};
      },
      autograd::Saves::Nothing));
}

namespace {
onednn::Recipe<dnnl::binary> quantized_add_recipe("quantized add");

uint32_t bits(float v) { return std::bit_cast<uint32_t>(v); }
}  // namespace

// (q_a - z_a)·s_a + (q_b - z_b)·s_b = s·(q - z): q = q_a·s_a/s + q_b·s_b/s - (z_a·s_a + z_b·s_b)/s + z, and with
// the ReLU at least z. oneDNN's binary scales each operand (attr scales), one linear and a clip post-op do the rest
// in float32 (two linear post-ops in a row gave wrong u8 results on oneDNN 2.6); the u8 result rounds to nearest
// even and saturates, as PyTorch's quantize.
Tensor quantized_add(const Tensor& a, const Tensor& b, double scale, int64_t zero_point, bool relu) {
  for (const Tensor* t : {&a, &b})
    NABLA_CHECK(t->defined() && t->is_quantized() && t->dtype() == kUInt8 && t->qscheme() == QScheme::PerTensorAffine,
                "quantized add: expected uint8 tensors quantized per tensor, got ",
                t->defined() ? dtype_name(t->dtype()) : "an undefined tensor");
  NABLA_CHECK(a.shape() == b.shape(), "quantized add: the operands' shapes must match, got ", shape_str(a.shape()),
              " and ", shape_str(b.shape()), " (dequantize() them to add with broadcasting)");
  check_quantization_params(scale, zero_point, kUInt8, "quantized add");
  const QParams params{QScheme::PerTensorAffine, {scale}, {zero_point}, 0};
  if (a.numel() == 0) return make_quantized(empty(a.shape(), kUInt8), params);
  const float scale_a = static_cast<float>(a.q_scale() / scale), scale_b = static_cast<float>(b.q_scale() / scale);
  const float shift = static_cast<float>(zero_point) -
                      (scale_a * static_cast<float>(a.q_zero_point()) + scale_b * static_cast<float>(b.q_zero_point()));
  dnnl::primitive_attr attr;
  attr.set_scales(DNNL_ARG_SRC_0, 0, {scale_a});
  attr.set_scales(DNNL_ARG_SRC_1, 0, {scale_b});
  dnnl::post_ops ops;
  ops.append_eltwise(1.f, dnnl::algorithm::eltwise_linear, 1.f, shift);
  if (relu) ops.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, static_cast<float>(zero_point), 255.f);
  attr.set_post_ops(ops);
  const Tensor x = onednn::dense(a.detach()), y = onednn::dense(b.detach());
  const dnnl::memory::desc src = onednn::layout_of(x);  // b is read in a's layout
  onednn::Key key("quantized add");
  key << src << bits(scale_a) << bits(scale_b) << bits(shift) << static_cast<int64_t>(relu) << zero_point;
  return onednn::guarded("quantized add", [&] {
    onednn::Args args(quantized_add_recipe.get(key)->forward(
        false,
        [&](dnnl::prop_kind) {
          return dnnl::binary::desc(dnnl::algorithm::binary_add, src, src, onednn::any_desc(a.shape(), kUInt8));
        },
        attr));
    args.in(DNNL_ARG_SRC_0, x).in(DNNL_ARG_SRC_1, y).out(DNNL_ARG_DST, a.shape());
    args.run();
    return make_quantized(args.result(DNNL_ARG_DST), params);
  });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  trace::Scope scope("sub", {a, b});
  if (promotes(a, b)) return scope.output(sub(a.to(kFloat32), b.to(kFloat32)));
  Tensor y = binary("sub", a, b, [](const auto& x, const auto& z) { return x - z; });
  return scope.output(autograd::record(
      "SubBackward0", y, {a, b},
      [sa = a.shape(), sb = b.shape()](const Tensor& g, const Needs& n) {
        return Grads{n[0] ? sum_to_size(g, sa) : Tensor(), n[1] ? sum_to_size(neg(g), sb) : Tensor()};
      },
      autograd::Saves::Nothing));
}

Tensor mul(const Tensor& a, const Tensor& b) {
  trace::Scope scope("mul", {a, b});
  if (promotes(a, b)) return scope.output(mul(a.to(kFloat32), b.to(kFloat32)));
  Tensor y = binary("mul", a, b, [](const auto& x, const auto& z) { return x * z; });
  return scope.output(
      autograd::record("MulBackward0", y, {a, b}, [a = a.detach(), b = b.detach()](const Tensor& g, const Needs& n) {
        return Grads{n[0] ? sum_to_size(g * b, a.shape()) : Tensor(), n[1] ? sum_to_size(g * a, b.shape()) : Tensor()};
      }));
}

Tensor div(const Tensor& a, const Tensor& b) {
  trace::Scope scope("div", {a, b});
  if (promotes(a, b)) return scope.output(div(a.to(kFloat32), b.to(kFloat32)));
  Tensor y = binary("div", a, b, [](const auto& x, const auto& z) { return x / z; });
  return scope.output(
      autograd::record("DivBackward0", y, {a, b}, [a = a.detach(), b = b.detach()](const Tensor& g, const Needs& n) {
        return Grads{n[0] ? sum_to_size(g / b, a.shape()) : Tensor(),
                     n[1] ? sum_to_size(neg(g * a / (b * b)), b.shape()) : Tensor()};
      }));
}

Tensor add(const Tensor& a, double b) {
  trace::Scope scope("add_scalar", {a}, [&] { return trace::Attributes{{"value", b}}; });
  const auto s = static_cast<float>(b);
  Tensor y = unary("add", a, [s](const auto& x) { return x + s; });
  return scope.output(autograd::record(
      "AddBackward0", y, {a}, [](const Tensor& g, const Needs&) { return Grads{g}; }, autograd::Saves::Nothing));
}

Tensor mul(const Tensor& a, double b) {
  trace::Scope scope("mul_scalar", {a}, [&] { return trace::Attributes{{"value", b}}; });
  const auto s = static_cast<float>(b);
  Tensor y = unary("mul", a, [s](const auto& x) { return x * s; });
  return scope.output(autograd::record(
      "MulBackward0", y, {a}, [b](const Tensor& g, const Needs&) { return Grads{g * b}; }, autograd::Saves::Nothing));
}

Tensor rsub(const Tensor& a, double b) { return add(neg(a), b); }

Tensor rdiv(const Tensor& a, double b) {
  trace::Scope scope("rdiv_scalar", {a}, [&] { return trace::Attributes{{"value", b}}; });
  const auto s = static_cast<float>(b);
  Tensor y = unary("div", a, [s](const auto& x) { return s / x; });
  return scope.output(autograd::record("DivBackward1", y, {a}, [a = a.detach(), y](const Tensor& g, const Needs&) {
    return Grads{neg(g * y / a)};  // d(b/a) = -b/a^2 = -y/a
  }));
}

// ---- math functions

Tensor neg(const Tensor& x) {
  trace::Scope scope("neg", {x});
  Tensor y = unary("neg", x, [](const auto& v) { return -v; });
  return scope.output(autograd::record(
      "NegBackward0", y, {x}, [](const Tensor& g, const Needs&) { return Grads{neg(g)}; }, autograd::Saves::Nothing));
}

Tensor exp(const Tensor& x) {
  trace::Scope scope("exp", {x});
  Tensor y = unary("exp", x, [](const auto& v) { return xt::exp(v); });
  return scope.output(
      autograd::record("ExpBackward0", y, {x}, [y](const Tensor& g, const Needs&) { return Grads{g * y}; }));
}

Tensor log(const Tensor& x) {
  trace::Scope scope("log", {x});
  Tensor y = unary("log", x, [](const auto& v) { return xt::log(v); });
  return scope.output(autograd::record("LogBackward0", y, {x},
                                       [x = x.detach()](const Tensor& g, const Needs&) { return Grads{g / x}; }));
}

Tensor sqrt(const Tensor& x) {
  trace::Scope scope("sqrt", {x});
  Tensor y = unary("sqrt", x, [](const auto& v) { return xt::sqrt(v); });
  return scope.output(
      autograd::record("SqrtBackward0", y, {x}, [y](const Tensor& g, const Needs&) { return Grads{g / (y * 2.0)}; }));
}

Tensor abs(const Tensor& x) {
  trace::Scope scope("abs", {x});
  Tensor y = unary("abs", x, [](const auto& v) { return xt::abs(v); });
  return scope.output(autograd::record("AbsBackward0", y, {x}, [x = x.detach()](const Tensor& g, const Needs&) {
    // g·sign(x), with PyTorch's sign(NaN) = 0
    const auto signed_g = [](const auto& gv, const auto& xv) {
      return xt::where(xv > 0.f, gv, xt::where(xv < 0.f, -gv, 0.f));
    };
    return Grads{compute<float, float>(g.shape(), kFloat32, signed_g, g, x)};
  }));
}

Tensor pow(const Tensor& x, double exponent) {
  trace::Scope scope("pow_scalar", {x}, [&] { return trace::Attributes{{"value", exponent}}; });
  const auto p = static_cast<float>(exponent);
  // PyTorch takes x^0.5 and x^-0.5 as sqrt and rsqrt: (-inf)^0.5 is NaN there, where std::pow gives inf.
  Tensor y = exponent == 0.5    ? unary("pow", x, [](const auto& v) { return xt::sqrt(v); })
             : exponent == -0.5 ? unary("pow", x, [](const auto& v) { return 1.f / xt::sqrt(v); })
                                : unary("pow", x, [p](const auto& v) { return xt::pow(v, p); });
  return scope.output(
      autograd::record("PowBackward0", y, {x}, [x = x.detach(), exponent](const Tensor& g, const Needs&) {
        if (exponent == 0.0) return Grads{zeros_like(g)};
        return Grads{g * pow(x, exponent - 1.0) * exponent};
      }));
}

Tensor pow(const Tensor& x, const Tensor& exponent) {
  trace::Scope scope("pow", {x, exponent});
  if (promotes(x, exponent)) return scope.output(pow(x.to(kFloat32), exponent.to(kFloat32)));
  Tensor y = binary("pow", x, exponent, [](const auto& a, const auto& b) { return xt::pow(a, b); });
  return scope.output(autograd::record(
      "PowBackward1", y, {x, exponent}, [x = x.detach(), e = exponent.detach(), y](const Tensor& g, const Needs& n) {
        // d/dx = e·x^(e-1), 0 where e = 0 (PyTorch's masking); d/de = y·log(x), 0 where x = 0
        const Tensor dx = n[0] ? where(e == 0.0, zeros({}), e * pow(x, e - 1.0)) : Tensor();
        const Tensor de = n[1] ? where(x == 0.0, zeros({}), y * log(x)) : Tensor();
        return Grads{n[0] ? sum_to_size(g * dx, x.shape()) : Tensor(),
                     n[1] ? sum_to_size(g * de, e.shape()) : Tensor()};
      }));
}

Tensor erf(const Tensor& x) {
  trace::Scope scope("erf", {x});
  Tensor y = unary("erf", x, [](const auto& v) { return xt::erf(v); });
  return scope.output(autograd::record("ErfBackward0", y, {x}, [x = x.detach()](const Tensor& g, const Needs&) {
    return Grads{compute<float, float>(
        g.shape(), kFloat32,
        [](const auto& gv, const auto& xv) {
          return gv * (1.1283791670955126f * xt::exp(-xv * xv));  // 2/sqrt(pi)·exp(-x²)
        },
        g, x)};
  }));
}

Tensor floor(const Tensor& x) {
  Tensor y = unary("floor", x, [](const auto& v) { return xt::floor(v); });
  return autograd::record(
      "FloorBackward0", y, {x}, [](const Tensor& g, const Needs&) { return Grads{zeros_like(g)}; },
      autograd::Saves::Nothing);
}

Tensor ceil(const Tensor& x) {
  Tensor y = unary("ceil", x, [](const auto& v) { return xt::ceil(v); });
  return autograd::record(
      "CeilBackward0", y, {x}, [](const Tensor& g, const Needs&) { return Grads{zeros_like(g)}; },
      autograd::Saves::Nothing);
}

namespace {
// maximum (Larger) or minimum: the value that wins, NaN included; the gradient goes to the winner, half to
// each operand on a tie.
template <bool Larger>
Tensor extremum(const char* op, const char* backward, const Tensor& a, const Tensor& b) {
  if (promotes(a, b)) return extremum<Larger>(op, backward, a.to(kFloat32), b.to(kFloat32));
  Tensor y = binary(op, a, b, [](const auto& x, const auto& z) {
    if constexpr (Larger)
      return xt::where(xt::isnan(x) || xt::isnan(z), x + z, xt::maximum(x, z));
    else
      return xt::where(xt::isnan(x) || xt::isnan(z), x + z, xt::minimum(x, z));
  });
  return autograd::record(backward, y, {a, b}, [a = a.detach(), b = b.detach()](const Tensor& g, const Needs& n) {
    const auto share = [&](const Tensor& mine, const Tensor& other) {
      const Tensor wins = where(Larger ? gt(mine, other) : lt(mine, other), ones({}), zeros({}));
      return g * where(eq(mine, other), full({}, 0.5), wins);
    };
    return Grads{n[0] ? sum_to_size(share(a, b), a.shape()) : Tensor(),
                 n[1] ? sum_to_size(share(b, a), b.shape()) : Tensor()};
  });
}
}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) {
  trace::Scope scope("maximum", {a, b});
  return scope.output(extremum<true>("maximum", "MaximumBackward0", a, b));
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  trace::Scope scope("minimum", {a, b});
  return scope.output(extremum<false>("minimum", "MinimumBackward0", a, b));
}

Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  trace::Scope scope("clamp", {x}, [&] {
    return trace::Attributes{{"min", min.value_or(-INFINITY)}, {"max", max.value_or(INFINITY)}};
  });
  NABLA_CHECK(min || max, "clamp: at least one of 'min' or 'max' must not be None");
  const float lo = min ? static_cast<float>(*min) : -INFINITY, hi = max ? static_cast<float>(*max) : INFINITY;
  Tensor y = unary("clamp", x, [lo, hi](const auto& v) {
    return xt::where(xt::isnan(v), v, xt::minimum(xt::maximum(v, lo), hi));  // NaN stays NaN, as in PyTorch
  });
  return scope.output(
      autograd::record("ClampBackward1", y, {x}, [x = x.detach(), lo, hi](const Tensor& g, const Needs&) {
        return Grads{compute<float, float>(
            g.shape(), kFloat32,
            [lo, hi](const auto& gv, const auto& xv) { return xt::where(xv >= lo && xv <= hi, gv, 0.f); }, g, x)};
      }));
}

// ---- activations

Tensor sigmoid(const Tensor& x) {
  trace::Scope scope("sigmoid", {x});
  Tensor y = unary("sigmoid", x, [](const auto& v) { return 1.f / (1.f + xt::exp(-v)); });
  return scope.output(autograd::record("SigmoidBackward0", y, {x}, [y](const Tensor& g, const Needs&) {
    return Grads{compute<float, float>(g.shape(), kFloat32, [](const auto& gv, const auto& yv) {
      return gv * yv * (1.f - yv);
    }, g, y)};
  }));
}

Tensor tanh(const Tensor& x) {
  trace::Scope scope("tanh", {x});
  Tensor y = unary("tanh", x, [](const auto& v) { return xt::tanh(v); });
  return scope.output(autograd::record("TanhBackward0", y, {x}, [y](const Tensor& g, const Needs&) {
    return Grads{compute<float, float>(g.shape(), kFloat32, [](const auto& gv, const auto& yv) {
      return gv * (1.f - yv * yv);
    }, g, y)};
  }));
}

// ---- selection

namespace {
void check_bool(const Tensor& mask, const char* op) {
  NABLA_CHECK(mask.defined() && mask.dtype() == kBool, op, ": expected a bool mask (from a comparison), got ",
              mask.defined() ? dtype_name(mask.dtype()) : "an undefined tensor");
}
}  // namespace

namespace {
// An operand of where(): a single value, or a dense array of the output's shape (a broadcast operand
// is expanded into one first: a plain loop beats a broadcasting iterator).
Tensor dense_operand(const Tensor& t, const Shape& shape) {
  return t.numel() == 1 || t.shape() == shape ? t.contiguous() : t.expand(shape).contiguous();
}
}  // namespace

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  trace::Scope scope("where", {condition, a, b});
  check_bool(condition, "where");
  kernels::check_floating(a, "where");
  kernels::check_floating(b, "where");
  if (promotes(a, b)) return scope.output(where(condition, a.to(kFloat32), b.to(kFloat32)));
  const Shape shape = broadcast_shapes(broadcast_shapes(condition.shape(), a.shape(), "where"), b.shape(), "where");
  Tensor y = empty(shape, a.dtype());
  kernels::visit_floating(a.dtype(), [&](auto zero) {  // float, or bfloat16's raw bits (a selection is exact)
    using R = kernels::Raw<decltype(zero)>;
    const int64_t n = y.numel();
    const Tensor c = dense_operand(condition, shape), da = dense_operand(a.detach(), shape),
                 db = dense_operand(b.detach(), shape);
    const bool* pc = c.data_ptr<bool>();
    R* out = kernels::raw<decltype(zero)>(y.data_ptr());
    // One loop per combination of single-value operands, so that each one vectorises.
    const auto run = [&](auto read_a, auto read_b) {
#pragma omp parallel for simd schedule(static) if (n > 32768)
      for (int64_t i = 0; i < n; ++i) out[i] = pc[i] ? read_a(i) : read_b(i);
    };
    const R* pa = kernels::raw<decltype(zero)>(da.const_data_ptr());
    const R* pb = kernels::raw<decltype(zero)>(db.const_data_ptr());
    const auto value = [](R v) { return [v](int64_t) { return v; }; };
    const auto array = [](const R* p) { return [p](int64_t i) { return p[i]; }; };
    const bool single_a = da.numel() == 1 && n != 1, single_b = db.numel() == 1 && n != 1;
    if (single_a && single_b)
      run(value(pa[0]), value(pb[0]));
    else if (single_a)
      run(value(pa[0]), array(pb));
    else if (single_b)
      run(array(pa), value(pb[0]));
    else
      run(array(pa), array(pb));
  });
  return scope.output(autograd::record(
      "WhereBackward0", y, {a, b}, [c = condition, sa = a.shape(), sb = b.shape()](const Tensor& g, const Needs& n) {
        const Tensor zero = zeros({}, g.dtype());
        return Grads{n[0] ? sum_to_size(where(c, g, zero), sa) : Tensor(),
                     n[1] ? sum_to_size(where(c, zero, g), sb) : Tensor()};
      }));
}

// A number takes the tensor's dtype, as a Python scalar does in PyTorch.
Tensor where(const Tensor& condition, const Tensor& a, double b) {
  return where(condition, a, scalar_tensor(b, a.defined() ? a.dtype() : kFloat32));
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  check_bool(mask, "masked_fill");
  kernels::check_floating(x, "masked_fill");
  NABLA_CHECK(broadcast_shapes(x.shape(), mask.shape(), "masked_fill") == x.shape(), "masked_fill: the mask of shape ",
              shape_str(mask.shape()), " must broadcast to the input's shape ", shape_str(x.shape()));
  return where(mask, scalar_tensor(value, x.dtype()), x);
}

// ---- comparisons and logic: bool masks, outside the graph

namespace {

template <class F>
Tensor compare(const char* op, const Tensor& a, const Tensor& b, F&& f) {
  trace::Scope scope(op, {a, b});
  NABLA_CHECK(a.defined() && b.defined(), op, ": got an undefined tensor");
  NABLA_CHECK(a.dtype() == b.dtype(), op, ": both operands need the same dtype, got ", dtype_name(a.dtype()), " and ",
              dtype_name(b.dtype()));
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  if (a.dtype() == kBFloat16)
    return scope.output(compare(op, a.to(kFloat32), b.to(kFloat32), f));  // exact: bf16 ⊂ float
  return scope.output(
      visit(a.dtype(), [&](auto zero) { return compute<bool, decltype(zero)>(shape, kBool, f, a, b); }));
}

// A number compared with a tensor takes the tensor's dtype, as in PyTorch.
Tensor as_operand(double value, const Tensor& like) { return scalar_tensor(value, like.dtype()); }

}  // namespace

Tensor gt(const Tensor& a, const Tensor& b) {
  return compare("gt", a, b, [](const auto& x, const auto& y) { return x > y; });
}
Tensor lt(const Tensor& a, const Tensor& b) {
  return compare("lt", a, b, [](const auto& x, const auto& y) { return x < y; });
}
Tensor ge(const Tensor& a, const Tensor& b) {
  return compare("ge", a, b, [](const auto& x, const auto& y) { return x >= y; });
}
Tensor le(const Tensor& a, const Tensor& b) {
  return compare("le", a, b, [](const auto& x, const auto& y) { return x <= y; });
}
Tensor eq(const Tensor& a, const Tensor& b) {
  return compare("eq", a, b, [](const auto& x, const auto& y) { return xt::equal(x, y); });
}
Tensor ne(const Tensor& a, const Tensor& b) {
  return compare("ne", a, b, [](const auto& x, const auto& y) { return xt::not_equal(x, y); });
}
Tensor logical_and(const Tensor& a, const Tensor& b) {
  trace::Scope scope("logical_and", {a, b});
  NABLA_CHECK(a.defined() && b.defined(), "logical_and: got an undefined tensor");
  return scope.output(compute<bool, bool>(
      broadcast_shapes(a.shape(), b.shape(), "logical_and"), kBool, [](const auto& x, const auto& y) { return x && y; },
      a.to(kBool), b.to(kBool)));
}
Tensor logical_not(const Tensor& a) {
  trace::Scope scope("logical_not", {a});
  return scope.output(eq(a.to(kBool), scalar_tensor(0, kBool)));
}

Tensor operator>(const Tensor& a, const Tensor& b) { return gt(a, b); }
Tensor operator<(const Tensor& a, const Tensor& b) { return lt(a, b); }
Tensor operator>=(const Tensor& a, const Tensor& b) { return ge(a, b); }
Tensor operator<=(const Tensor& a, const Tensor& b) { return le(a, b); }
Tensor operator==(const Tensor& a, const Tensor& b) { return eq(a, b); }
Tensor operator!=(const Tensor& a, const Tensor& b) { return ne(a, b); }
Tensor operator>(const Tensor& a, double b) { return gt(a, as_operand(b, a)); }
Tensor operator<(const Tensor& a, double b) { return lt(a, as_operand(b, a)); }
Tensor operator>=(const Tensor& a, double b) { return ge(a, as_operand(b, a)); }
Tensor operator<=(const Tensor& a, double b) { return le(a, as_operand(b, a)); }
Tensor operator==(const Tensor& a, double b) { return eq(a, as_operand(b, a)); }
Tensor operator!=(const Tensor& a, double b) { return ne(a, as_operand(b, a)); }

// ---- Tensor method spellings

Tensor Tensor::neg() const { return nabla::neg(*this); }
Tensor Tensor::exp() const { return nabla::exp(*this); }
Tensor Tensor::log() const { return nabla::log(*this); }
Tensor Tensor::sqrt() const { return nabla::sqrt(*this); }
Tensor Tensor::abs() const { return nabla::abs(*this); }
Tensor Tensor::pow(double exponent) const { return nabla::pow(*this, exponent); }
Tensor Tensor::clamp(std::optional<double> min, std::optional<double> max) const {
  return nabla::clamp(*this, min, max);
}
Tensor Tensor::relu() const { return nabla::relu(*this); }
Tensor Tensor::sigmoid() const { return nabla::sigmoid(*this); }
Tensor Tensor::tanh() const { return nabla::tanh(*this); }
Tensor Tensor::masked_fill(const Tensor& mask, double value) const { return nabla::masked_fill(*this, mask, value); }

}  // namespace nabla
