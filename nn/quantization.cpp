#include "nabla/nn/quantization.hpp"

#include "nabla/core/error.hpp"
#include "nabla/nn/conv.hpp"
#include "nabla/nn/linear.hpp"
#include "nabla/ops/quantize.hpp"

namespace nabla::quantization {

QConfig get_default_qconfig(const std::string& backend) {
  NABLA_CHECK(backend == "onednn" || backend == "x86",
              "get_default_qconfig: backend must be \"onednn\" or \"x86\", "
              "got \"",
              backend, "\"");
  QConfig qconfig;
  qconfig.activation.reduce_range = backend == "x86";
  return qconfig;
}

LayerQuantization::LayerQuantization(const QConfig& qconfig, std::string name)
    : qconfig_(qconfig),
      name_(std::move(name)),
      input_observer_(qconfig.activation),
      output_observer_(qconfig.activation) {}

void LayerQuantization::convert(const Tensor& weight) {
  NABLA_CHECK(input_observer_.min_val <= input_observer_.max_val, "quantization::convert: layer '", name_,
              "' never ran during calibration: run calibration batches through the model after prepare()");
  input_ = input_observer_.calculate_qparams();
  output_ = output_observer_.calculate_qparams();
  PerChannelMinMaxObserver weight_observer(qconfig_.weight);
  weight_observer(weight);
  const QParams w = weight_observer.calculate_qparams();
  weight_ = quantize_per_channel(weight, w.scales, w.zero_points, w.axis, qconfig_.weight.dtype);
}

Tensor LayerQuantization::input(const Tensor& x) const {
  if (x.is_quantized()) return x;
  return quantize_per_tensor(x, input_.scales[0], input_.zero_points[0], qconfig_.activation.dtype);
}

namespace {

// Calls fn(module, weight) for every layer prepare quantizes.
template <class Fn>
void for_each_layer(nn::Module& model, Fn&& fn) {
  for (const auto& [name, module] : model.named_modules()) {
    if (auto* conv = dynamic_cast<nn::Conv1d*>(module)) {
      if (conv->options.padding_mode == "zeros") fn(name, *module, conv->weight);
    } else if (auto* conv2 = dynamic_cast<nn::Conv2d*>(module)) {
      if (conv2->options.padding_mode == "zeros") fn(name, *module, conv2->weight);
    } else if (auto* conv3 = dynamic_cast<nn::Conv3d*>(module)) {
      if (conv3->options.padding_mode == "zeros") fn(name, *module, conv3->weight);
    } else if (auto* linear = dynamic_cast<nn::Linear*>(module)) {
      fn(name, *module, linear->weight);
    }
  }
}

}  // namespace

void prepare(nn::Module& model, const QConfig& qconfig) {
  NABLA_CHECK(qconfig.activation.dtype == kUInt8 && qconfig.activation.qscheme == QScheme::PerTensorAffine,
              "quantization::prepare: activations are quantized as uint8 per tensor, affine (oneDNN's int8 kernels "
              "read uint8)");
  NABLA_CHECK(qconfig.weight.dtype == kInt8 && (qconfig.weight.qscheme == QScheme::PerChannelSymmetric ||
                                                qconfig.weight.qscheme == QScheme::PerTensorSymmetric),
              "quantization::prepare: weights are quantized as symmetric int8 (oneDNN's int8 kernels have no weight "
              "zero point)");
  for_each_layer(model, [&](const std::string& name, nn::Module& layer, const Tensor&) {
    NABLA_CHECK(!layer.is_training(), "quantization::prepare: layer '", name,
                "' is in training mode: call eval() "
                "first (post-training quantization calibrates the inference network)");
    layer.quantization_state() = std::make_shared<LayerQuantization>(qconfig, name.empty() ? layer.name() : name);
  });
}

void convert(nn::Module& model) {
  int64_t layers = 0;
  for_each_layer(model, [&](const std::string&, nn::Module& layer, const Tensor& weight) {
    if (!layer.quantization_state()) return;
    layer.quantization_state()->convert(weight.detach());
    ++layers;
  });
  NABLA_CHECK(layers > 0,
              "quantization::convert: the model has no prepared layer: call quantization::prepare "
              "first");
}

}  // namespace nabla::quantization
