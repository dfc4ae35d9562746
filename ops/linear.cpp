// matmul and linear on oneDNN's matmul primitive: forward, then the backward each records.
#include "nabla/ops/linear.hpp"
#include "nabla/core/trace.hpp"

#include "nabla/autograd/node.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/quantize.hpp"
#include "nabla/ops/autocast.hpp"
#include "ops/onednn.h"
#include "nabla/ops/reduction.hpp"
#include "nabla/ops/shape_ops.hpp"

namespace nabla {

using autograd::Grads;
using autograd::Needs;

namespace {

onednn::Recipe<dnnl::matmul> matmul_recipe("matmul");

// oneDNN reads a matrix row-major or column-major (a transposed view); anything else is copied.
Tensor as_matrix_operand(const Tensor& t) {
  const int64_t r = t.dim();
  const bool transposed = t.stride(r - 2) == 1 && t.stride(r - 1) == t.size(r - 2) &&
                          (r == 2 || t.stride(0) == t.size(1) * t.size(2));
  return transposed ? t : t.contiguous();
}

// C = A·B (+ bias) for A (M, K), B (K, N) or batched A (G, M, K), B (G, K, N); not recorded.
Tensor product(const Tensor& a_in, const Tensor& b_in, const Tensor& bias = {}) {
  const Tensor a = as_matrix_operand(a_in), b = as_matrix_operand(b_in);
  Shape c_shape = a.shape();
  c_shape.back() = b.shape().back();
  if (a.numel() == 0 || b.numel() == 0) {  // K == 0 gives zeros (+ bias), as PyTorch
    Tensor c = zeros(c_shape, a.dtype());
    return bias.defined() ? add(c, bias.to(a.dtype())) : c;
  }
  Tensor c = empty(c_shape, a.dtype());  // a float32 bias is added in the primitive at its precision
  Shape bias_shape(c_shape.size(), 1);
  bias_shape.back() = c_shape.back();
  const Tensor b_vector = bias.defined() ? bias.contiguous().reshape(bias_shape) : Tensor();
  const auto a_md = onednn::desc_of(a), b_md = onednn::desc_of(b), c_md = onednn::desc_of(c);
  onednn::Key key("matmul");
  key << a_md << b_md << c_md << static_cast<int64_t>(bias.defined());
  onednn::Args args(matmul_recipe.get(key)->forward(false, [&](dnnl::prop_kind) {
    return b_vector.defined() ? dnnl::matmul::desc(a_md, b_md, onednn::desc_of(b_vector), c_md)
                              : dnnl::matmul::desc(a_md, b_md, c_md);
  }));
  args.plain(DNNL_ARG_SRC, a).plain(DNNL_ARG_WEIGHTS, b).plain(DNNL_ARG_DST, c);
  if (b_vector.defined()) args.plain(DNNL_ARG_BIAS, b_vector);
  args.run();
  return c;
}

Tensor swap_last(const Tensor& t) { return t.detach().transpose(-1, -2); }

// For a few rows, the matmul above copies the whole transposed weight on every call; oneDNN's inner product
// reads the weight where it lies, in PyTorch's (out, in) layout. Measured on fc1 of the MNIST network
// (9216 -> 128, 2 threads) with a throwaway oneDNN loop, not in the repo: forward 33 against 120 us at 1 row,
// 81 against 160 us at 8 rows; the input gradient 35-54 against 84 us at 1 row; at 64 rows the matmul wins
// (750 against 1,200 us). Inside the MNIST step the forward gains 0.1 ms at batch 1, loses as much at batch 8.
constexpr int64_t kInnerProductRows = 4;

onednn::Recipe<dnnl::inner_product_forward, dnnl::inner_product_backward_data> inner_product_recipe("inner product");

// The primitives for y = x·wᵀ + b over contiguous x (rows, in) and w (out, in), and their training forward.
struct InnerProduct {
  std::shared_ptr<decltype(inner_product_recipe)::Entry> prims;
  const onednn::Built<dnnl::inner_product_forward>& forward;
};

InnerProduct inner_product(int64_t rows, int64_t in, int64_t out, bool bias, Dtype dtype) {
  onednn::Key key("inner_product");
  key << rows << in << out << static_cast<int64_t>(bias) << static_cast<int64_t>(dtype);
  auto prims = inner_product_recipe.get(key);
  const auto& forward = prims->forward(true, [&](dnnl::prop_kind kind) {
    return dnnl::inner_product_forward::desc(
        kind, onednn::plain_desc({rows, in}, dtype), onednn::plain_desc({out, in}, dtype),
        bias ? onednn::plain_desc({out}) : dnnl::memory::desc(), onednn::plain_desc({rows, out}, dtype));
  });
  return {prims, forward};
}

Tensor inner_product_forward(const Tensor& x, const Tensor& w, const Tensor& bias) {
  const Tensor y = empty({x.size(0), w.size(0)}, x.dtype());
  onednn::Args args(inner_product(x.size(0), x.size(1), w.size(0), bias.defined(), x.dtype()).forward);
  args.plain(DNNL_ARG_SRC, x).plain(DNNL_ARG_WEIGHTS, w).plain(DNNL_ARG_DST, y);
  if (bias.defined()) args.plain(DNNL_ARG_BIAS, bias);
  args.run();
  return y;
}

// The input gradient g·w of inner_product_forward, for g (M, out).
Tensor inner_product_input_grad(const Tensor& g, const Tensor& w, bool bias) {
  const auto prims = inner_product(g.size(0), w.size(1), w.size(0), bias, g.dtype()).prims;
  onednn::Args args(prims->backward<0>(
      [&](const auto& hint) {
        return dnnl::inner_product_backward_data::desc(hint.src_desc(), hint.weights_desc(), hint.dst_desc());
      },
      "backward data"));
  const Tensor gx = empty({g.size(0), w.size(1)}, g.dtype());
  args.plain(DNNL_ARG_DIFF_DST, g).plain(DNNL_ARG_WEIGHTS, w).plain(DNNL_ARG_DIFF_SRC, gx).run();
  return gx;
}

// The recorded product of two matrices or two equal-sized batches of matrices.
Tensor matrix_product(const Tensor& a, const Tensor& b) {
  Tensor c = product(a, b);
  return autograd::record(a.dim() == 2 ? "MmBackward0" : "BmmBackward0", c, {a, b},
                          [a = a.detach(), b = b.detach()](const Tensor& g, const Needs& n) {
    return Grads{n[0] ? product(g, swap_last(b)) : Tensor(), n[1] ? product(swap_last(a), g) : Tensor()};
  });
}

void check_matmul_operand(const Tensor& t, const char* op) {
  NABLA_CHECK(t.defined() && (t.dtype() == kFloat32 || t.dtype() == kBFloat16), op,
              ": expected float32 (or bfloat16) operands, got ",
              t.defined() ? dtype_name(t.dtype())
                          : "an undefined "
                            "tensor");
  NABLA_CHECK(t.dim() >= 1, op, ": both arguments need at least 1 dimension, got a 0-d tensor");
}

// Autocast's cast of both operands (ops/autocast.hpp), then PyTorch's rule: one dtype for both.
std::pair<Tensor, Tensor> operands(const Tensor& a_in, const Tensor& b_in, const char* op) {
  check_matmul_operand(a_in, op);
  check_matmul_operand(b_in, op);
  const Tensor a = autocast::lower_precision_operand(a_in), b = autocast::lower_precision_operand(b_in);
  NABLA_CHECK(a.dtype() == b.dtype(), op, ": expected both operands to have the same dtype, but got ",
              dtype_name(a.dtype()), " and ", dtype_name(b.dtype()), " (mixed precision is what AutocastGuard is for)");
  return {a, b};
}

}  // namespace

Tensor mm(const Tensor& a_in, const Tensor& b_in) {
  const auto [a, b] = operands(a_in, b_in, "mm");
  NABLA_CHECK(a.dim() == 2 && b.dim() == 2, "mm: expected 2-D matrices, got shapes ", shape_str(a.shape()), " and ",
              shape_str(b.shape()));
  NABLA_CHECK(a.size(1) == b.size(0), "mm: mat1 and mat2 shapes cannot be multiplied (", a.size(0), "x", a.size(1),
              " and ", b.size(0), "x", b.size(1), ")");
  return matrix_product(a, b);
}

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  trace::Scope scope("matmul", {a_in, b_in});
  const auto [a, b] = operands(a_in, b_in, "matmul");
  // torch.matmul: a 1-D left operand is a row, a 1-D right operand a column, removed afterwards.
  const Tensor a2 = a.dim() == 1 ? a.unsqueeze(0) : a, b2 = b.dim() == 1 ? b.unsqueeze(1) : b;
  const int64_t k = a2.size(-1);
  NABLA_CHECK(k == b2.size(-2), "matmul: shapes ", shape_str(a.shape()), " and ", shape_str(b.shape()),
              " cannot be multiplied (", k, " columns against ", b2.size(-2), " rows)");
  const int64_t m = a2.size(-2), n = b2.size(-1);
  Tensor c;
  if (b2.dim() == 2) {  // fold a's batch dims into its rows: one big product
    Shape out_shape(a2.shape().begin(), a2.shape().end() - 1);
    out_shape.push_back(n);
    c = matrix_product(a2.reshape({numel(out_shape) / std::max<int64_t>(n, 1), k}), b2).reshape(out_shape);
  } else {
    const Shape batch = broadcast_shapes(Shape(a2.shape().begin(), a2.shape().end() - 2),
                                         Shape(b2.shape().begin(), b2.shape().end() - 2), "matmul");
    Shape a_shape = batch, b_shape = batch, out_shape = batch;
    a_shape.insert(a_shape.end(), {m, k});
    b_shape.insert(b_shape.end(), {k, n});
    out_shape.insert(out_shape.end(), {m, n});
    const int64_t groups = numel(batch);
    c = matrix_product(a2.expand(a_shape).reshape({groups, m, k}), b2.expand(b_shape).reshape({groups, k, n}))
            .reshape(out_shape);
  }
  if (a.dim() == 1) c = c.squeeze(-2);
  if (b.dim() == 1) c = c.squeeze(-1);
  return scope.output(c);
}

Tensor linear(const Tensor& input_in, const Tensor& weight_in, const Tensor& bias) {
  trace::Scope scope("linear", {input_in, weight_in, bias});
  NABLA_CHECK(weight_in.defined() && weight_in.dim() == 2,
              "linear: expected a 2-D weight (out_features, in_features), "
              "got ",
              weight_in.defined() ? shape_str(weight_in.shape()) : "an undefined tensor");
  const auto [input, weight] = operands(input_in, weight_in, "linear");
  NABLA_CHECK(!bias.defined() || bias.dtype() == kFloat32 || bias.dtype() == input.dtype(),
              "linear: expected a float32 bias, got ", dtype_name(bias.dtype()));
  const int64_t in = weight.size(1), out = weight.size(0);
  NABLA_CHECK(input.size(-1) == in, "linear: expected input of shape (*, ", in, ") for weight of shape ",
              shape_str(weight.shape()), ", got ", shape_str(input.shape()));
  NABLA_CHECK(!bias.defined() || bias.shape() == Shape{out}, "linear: expected bias of shape [", out, "], got ",
              shape_str(bias.shape()));
  Shape out_shape = input.shape();
  out_shape.back() = out;
  const Tensor x = input.detach().reshape({-1, in});
  const bool few_rows = x.size(0) <= kInnerProductRows && x.numel() > 0 && out > 0;
  const Tensor w = few_rows ? weight.detach().contiguous() : weight.detach();
  Tensor y = (few_rows ? inner_product_forward(x.contiguous(), w, bias.defined() ? bias.detach().contiguous() : bias)
                       : product(x, swap_last(weight), bias))
                 .reshape(out_shape);
  return scope.output(autograd::record(
      "AddmmBackward0", y, {input, weight, bias},
      [x, w, few_rows, has_bias = bias.defined(), x_shape = input.shape(), out](const Tensor& g, const Needs& n) {
        const Tensor g2 = g.reshape({-1, out});
        const auto input_grad = [&] {
          return few_rows ? inner_product_input_grad(g2.contiguous(), w, has_bias) : product(g2, w);
        };
        return Grads{n[0] ? input_grad().reshape(x_shape) : Tensor(),  // skipped for a first layer
                     n[1] ? product(swap_last(g2), x) : Tensor(),
                     n[2] ? sum(g2.to(kFloat32), {0}) : Tensor()};  // the bias stays float32 under autocast
      }));
}

Tensor quantized_linear(const Tensor& input, const Tensor& weight, const Tensor& bias, double output_scale,
                        int64_t output_zero_point, bool relu) {
  const char* op = "quantized linear";
  NABLA_CHECK(input.defined() && input.is_quantized() && input.dtype() == kUInt8 &&
                  input.qscheme() == QScheme::PerTensorAffine && input.dim() >= 1,
              op,
              ": expected a uint8 input quantized per tensor, of at least 1 dim (quantize_per_tensor(x, scale, "
              "zero_point, kUInt8))");
  NABLA_CHECK(weight.defined() && weight.is_quantized() && weight.dtype() == kInt8 && weight.dim() == 2 &&
                  (weight.qscheme() == QScheme::PerTensorAffine || weight.q_per_channel_axis() == 0),
              op,
              ": expected a 2-D int8 weight (out_features, in_features) quantized per tensor or per output "
              "feature (axis 0)");
  for (int64_t zero_point : weight.qparams().zero_points)
    NABLA_CHECK(zero_point == 0, op, ": oneDNN's int8 matmul takes symmetric weights (zero point 0), got ", zero_point);
  const int64_t in = weight.size(1), out = weight.size(0);
  NABLA_CHECK(input.size(-1) == in, op, ": expected input of shape (*, ", in, ") for weight of shape ",
              shape_str(weight.shape()), ", got ", shape_str(input.shape()));
  NABLA_CHECK(!bias.defined() || (bias.dtype() == kFloat32 && bias.shape() == Shape{out}), op,
              ": expected a float32 bias of shape [", out, "]");
  check_quantization_params(output_scale, output_zero_point, kUInt8, op);
  const QParams out_params{QScheme::PerTensorAffine, {output_scale}, {output_zero_point}, 0};
  Shape out_shape = input.shape();
  out_shape.back() = out;
  const Tensor x = input.detach().reshape({-1, in});
  const int64_t rows = x.size(0);
  if (rows == 0 || in == 0 || out == 0) {
    const Tensor y = in == 0 && bias.defined() ? bias.detach().expand({rows, out}) : zeros({rows, out});
    return quantize_per_tensor(y.reshape(out_shape), output_scale, output_zero_point, kUInt8);
  }
  const onednn::Requantization requant(input, weight, bias, output_scale, output_zero_point, relu);
  onednn::Key key("quantized_linear");
  key << rows << in << out << static_cast<int64_t>(bias.defined()) << requant;
  // PyTorch's (out, in) weight seen as matmul's (in, out) operand; oneDNN reorders it into its layout once.
  const dnnl::memory::desc user_md({in, out}, onednn::data_type(kInt8), {1, in});
  return onednn::guarded(op, [&] {
    const auto& pass = matmul_recipe.get(key)->forward(
        false,
        [&](dnnl::prop_kind) {
          return dnnl::matmul::desc(onednn::plain_desc({rows, in}, kUInt8), onednn::any_desc({in, out}, kInt8),
                                    bias.defined() ? onednn::plain_desc({1, out}) : dnnl::memory::desc(),
                                    onednn::plain_desc({rows, out}, kUInt8));
        },
        requant.attr);
    onednn::Args args(pass);
    args.in(DNNL_ARG_SRC, x).weights(DNNL_ARG_WEIGHTS, weight.detach().contiguous(), user_md);
    if (bias.defined()) args.plain(DNNL_ARG_BIAS, requant.bias.reshape({1, out}));
    args.out(DNNL_ARG_DST, {rows, out}).run();
    return make_quantized(args.result(DNNL_ARG_DST).reshape(out_shape), out_params);
  });
}

Tensor Tensor::matmul(const Tensor& other) const { return nabla::matmul(*this, other); }

}  // namespace nabla
