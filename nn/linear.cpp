#include "nabla/nn/linear.hpp"

#include <cmath>

#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/nn/init.hpp"
#include "nabla/nn/quantization.hpp"
#include "nabla/ops/linear.hpp"
#include "nabla/ops/quantize.hpp"

namespace nabla::nn {

Linear::Linear(const LinearOptions& opts) : options(opts) {
  check_required("Linear", "in_features", options.in_features);
  check_required("Linear", "out_features", options.out_features);
  NABLA_CHECK(options.in_features >= 0 && options.out_features >= 0, "Linear(", options.in_features, "->",
              options.out_features, "): in_features and out_features must be non-negative");
  weight = register_parameter("weight", empty({options.out_features, options.in_features}));
  if (options.bias) bias = register_parameter("bias", empty({options.out_features}));
  reset_parameters();
}

void Linear::reset_parameters() {
  // torch.nn.Linear.reset_parameters: kaiming_uniform(a=√5) for the weight, U(±1/√fan_in) for the bias.
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const int64_t fan_in = options.in_features;
    const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    init::uniform_(bias, -bound, bound);
  }
}

Tensor Linear::forward(const Tensor& input) {
  NABLA_CHECK(input.defined() && input.dim() >= 1 && input.size(-1) == options.in_features, "Linear(",
              options.in_features, "->", options.out_features, "): expected input of shape (*, ", options.in_features,
              "), got ", input.defined() ? shape_str(input.shape()) : "an undefined tensor");
  const auto& quantized = quantization_state();
  if (!quantized) return linear(input.is_quantized() ? input.dequantize() : input, weight, bias);
  if (!quantized->converted())
    return quantized->observe(input, [&](const Tensor& x) { return linear(x, weight, bias); });
  return quantized_linear(quantized->input(input), quantized->weight(), quantized->bias(bias),
                          quantized->output_scale(), quantized->output_zero_point());
}

std::string Linear::extra_repr() const {
  return "in_features=" + std::to_string(options.in_features) + ", out_features=" +
         std::to_string(options.out_features) + ", bias=" + (bias.defined() ? "True" : "False");
}

}  // namespace nabla::nn
