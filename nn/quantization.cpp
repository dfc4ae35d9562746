#include "nabla/nn/quantization.hpp"

#include <set>

#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/nn/conv.hpp"
#include "nabla/nn/linear.hpp"
#include "nabla/nn/normalization.hpp"
#include "nabla/nn/sequential.hpp"
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

void LayerQuantization::save_to(StateDict& dict, const std::string& prefix) const {
  NABLA_CHECK(converted(), "quantization::state_dict: layer '", name_, "' is prepared but not converted");
  dict.insert(prefix + "weight", weight_);
  dict.insert(prefix + "scale", full({}, output_.scales[0]));
  dict.insert(prefix + "zero_point", full({}, static_cast<double>(output_.zero_points[0]), kInt64));
  dict.insert(prefix + "input_scale", full({}, input_.scales[0]));
  dict.insert(prefix + "input_zero_point", full({}, static_cast<double>(input_.zero_points[0]), kInt64));
}

void LayerQuantization::load_from(const StateDict& dict, const std::string& prefix) {
  const auto entry = [&](const std::string& key, Dtype dtype) {
    NABLA_CHECK(dict.contains(prefix + key), "quantization::load_state_dict: missing '", prefix, key, "'");
    const Tensor& t = dict[prefix + key];
    NABLA_CHECK(t.dtype() == dtype && (key == "weight" || t.numel() == 1), "quantization::load_state_dict: '", prefix,
                key, "' should be ", key == "weight" ? "an int8 tensor" : "one ", dtype_name(dtype),
                key == "weight" ? "" : " value", ", got ", dtype_name(t.dtype()), " of shape ", shape_str(t.shape()));
    return t;
  };
  const Tensor weight = entry("weight", kInt8);
  NABLA_CHECK(weight.is_quantized(), "quantization::load_state_dict: '", prefix,
              "weight' is not quantized (a float "
              "model's weights load with load_state_dict, before quantization)");
  const auto params = [&](const std::string& scale, const std::string& zero_point) {
    QParams q{QScheme::PerTensorAffine,
              {entry(scale, kFloat32).item<float>()},
              {entry(zero_point, kInt64).item<int64_t>()},
              0};
    check_quantization_params(q.scales[0], q.zero_points[0], qconfig_.activation.dtype,
                              ("quantization::load_state_dict: '" + prefix + scale + "'").c_str());
    return q;
  };
  output_ = params("scale", "zero_point");
  input_ = params("input_scale", "input_zero_point");
  weight_ = weight;
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

// A BatchNorm right after a conv in a Sequential: convert would quantize the conv's output before the norm, which
// then meets a quantized tensor. PyTorch's eager workflow folds such pairs first (fuse_modules); so must the caller.
void check_no_unfolded_batchnorm(nn::Module& model) {
  for (const auto& [name, module] : model.named_modules()) {
    if (!dynamic_cast<nn::Sequential*>(module)) continue;
    const auto names = module->named_children().keys();
    const auto children = module->children();
    for (size_t i = 0; i + 1 < children.size(); ++i) {
      const std::string &conv_name = names[i], &norm_name = names[i + 1];
      const auto &conv = children[i], &norm = children[i + 1];
      const bool is_conv = dynamic_cast<nn::Conv1d*>(conv.get()) || dynamic_cast<nn::Conv2d*>(conv.get()) ||
                           dynamic_cast<nn::Conv3d*>(conv.get());
      const bool is_norm = dynamic_cast<nn::BatchNorm1d*>(norm.get()) || dynamic_cast<nn::BatchNorm2d*>(norm.get()) ||
                           dynamic_cast<nn::BatchNorm3d*>(norm.get());
      const std::string prefix = name.empty() ? "" : name + ".";
      NABLA_CHECK(!(is_conv && is_norm), "quantization::prepare: '", prefix, norm_name, "' (", norm->name(),
                  ") follows the conv '", prefix, conv_name,
                  "': fold it into the conv first "
                  "(nn::utils::fuse_conv_bn_eval), as PyTorch's eager workflow fuses modules before prepare");
    }
  }
}

}  // namespace

void prepare(nn::Module& model, const QConfig& qconfig) {
  check_no_unfolded_batchnorm(model);
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

StateDict state_dict(nn::Module& model) {
  StateDict dict;
  StateDict quantized;
  for_each_layer(model, [&](const std::string& name, nn::Module& layer, const Tensor&) {
    if (layer.quantization_state()) layer.quantization_state()->save_to(quantized, name.empty() ? "" : name + ".");
  });
  for (const auto& [key, tensor] : model.state_dict())
    if (!quantized.contains(key)) dict.insert(key, tensor);  // a float weight the int8 one replaces
  for (const auto& [key, tensor] : quantized) dict.insert(key, tensor);
  return dict;
}

void load_state_dict(nn::Module& model, const StateDict& dict) {
  StateDict rest;
  std::set<std::string> taken;
  for_each_layer(model, [&](const std::string& name, nn::Module& layer, const Tensor&) {
    if (!layer.quantization_state()) return;
    const std::string prefix = name.empty() ? "" : name + ".";
    layer.quantization_state()->load_from(dict, prefix);
    for (const char* key : {"weight", "scale", "zero_point", "input_scale", "input_zero_point"})
      taken.insert(prefix + key);
  });
  NABLA_CHECK(!taken.empty(),
              "quantization::load_state_dict: the model has no prepared layer: call "
              "quantization::prepare first");
  for (const auto& [key, tensor] : dict)
    if (!taken.count(key)) rest.insert(key, tensor);
  const StateDict own = model.state_dict();
  for (const auto& [key, tensor] : own)
    NABLA_CHECK(taken.count(key) || rest.contains(key), "quantization::load_state_dict: missing '", key, "'");
  for (const auto& [key, tensor] : rest)
    NABLA_CHECK(own.contains(key), "quantization::load_state_dict: unexpected '", key, "' (not in the model)");
  model.load_state_dict(rest, /*strict=*/false);
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
