#include "nabla/nn/float_functional.hpp"

#include "nabla/core/error.hpp"
#include "nabla/nn/quantization.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/quantize.hpp"
#include "nabla/ops/shape_ops.hpp"

namespace nabla::nn {

namespace {

bool all_quantized(const std::vector<Tensor>& operands) {
  for (const Tensor& t : operands)
    if (!t.defined() || !t.is_quantized() || t.qscheme() != QScheme::PerTensorAffine || t.dtype() != kUInt8)
      return false;
  return true;
}

// What every op of the module does around its float (`fp`) and int8 (`int8`) forms, by the quantization state.
template <class Float, class Int8>
Tensor run(const Module& module, const std::vector<Tensor>& operands, Float&& fp, Int8&& int8) {
  const auto& state = module.quantization_state();
  if (state && state->converted() && all_quantized(operands))
    return int8(state->output_scale(), state->output_zero_point());
  std::vector<Tensor> values;
  for (const Tensor& t : operands) values.push_back(t.defined() && t.is_quantized() ? t.dequantize() : t);
  const Tensor y = fp(values);
  if (!state) return y;
  if (!state->converted()) return state->observe_output(y);
  return quantize_per_tensor(y, state->output_scale(), state->output_zero_point(), kUInt8);
}

}  // namespace

Tensor FloatFunctional::add(const Tensor& a, const Tensor& b) {
  return run(
      *this, {a, b}, [](const std::vector<Tensor>& v) { return v[0] + v[1]; },
      [&](double scale, int64_t zero_point) { return quantized_add(a, b, scale, zero_point, false); });
}

Tensor FloatFunctional::add_relu(const Tensor& a, const Tensor& b) {
  return run(
      *this, {a, b}, [](const std::vector<Tensor>& v) { return relu(v[0] + v[1]); },
      [&](double scale, int64_t zero_point) { return quantized_add(a, b, scale, zero_point, true); });
}

Tensor FloatFunctional::cat(const std::vector<Tensor>& tensors, int64_t dim) {
  NABLA_CHECK(!tensors.empty(), "FloatFunctional.cat: expected a non-empty list of Tensors");
  return run(
      *this, tensors, [&](const std::vector<Tensor>& v) { return nabla::cat(v, dim); },
      [&](double scale, int64_t zero_point) { return quantized_cat(tensors, dim, scale, zero_point); });
}

}  // namespace nabla::nn
