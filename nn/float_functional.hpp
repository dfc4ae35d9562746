#pragma once
/// @file
/// nn::FloatFunctional (torch.ao.nn.quantized.FloatFunctional): add and cat as a module, so that quantization can
/// observe their results and run them in int8 once the model is converted, as it does for convs:
///
/// @code
///   struct Block : nn::Layer<Block> {
///     nn::Conv2d conv{{.in_channels = 16, .out_channels = 16, .kernel_size = 3, .padding = 1}};
///     nn::FloatFunctional skip_add;
///     Block() { register_module("conv", conv); register_module("skip_add", skip_add); }
///     Tensor forward(const Tensor& x) { return skip_add.add_relu(x, conv(x)); }  // relu(x + conv(x))
///   };
/// @endcode
///
/// Unprepared, it is the float ops (quantized operands dequantized first); prepared, it observes each result;
/// converted, quantized operands are added (oneDNN's u8 binary) or concatenated as integers into a uint8 result with
/// the calibrated scale and zero point, and float operands run the float op and quantize its result.
/// @ingroup quantization
#include <vector>

#include "nabla/nn/module.hpp"

namespace nabla::nn {
/// @addtogroup quantization
/// @{

/// torch.ao.nn.quantized.FloatFunctional: adds and concatenations that quantization can observe and run in int8 (use it
/// where a model adds or concatenates activations, e.g. a residual).
class FloatFunctional : public Module {
 public:
  Tensor add(const Tensor& a, const Tensor& b);                     ///< a + b
  Tensor add_relu(const Tensor& a, const Tensor& b);                ///< relu(a + b)
  Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);  ///< torch.cat(tensors, dim)
  std::string name() const override { return "FloatFunctional"; }
};

/// @}
}  // namespace nabla::nn
