#include "nabla/nn/quantization.hpp"

#include <algorithm>
#include <set>

#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/nn/conv.hpp"
#include "nabla/nn/float_functional.hpp"
#include "nabla/nn/fusion.hpp"
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

namespace {

std::unique_ptr<Observer> activation_observer(const QConfig& qconfig) {
  if (qconfig.activation_observer == ObserverKind::MinMax) return std::make_unique<MinMaxObserver>(qconfig.activation);
  return std::make_unique<HistogramObserver>(qconfig.activation);
}

}  // namespace

Tensor quantize_weight(const Tensor& weight, const ObserverOptions& options) {
  if (options.qscheme == QScheme::PerTensorAffine || options.qscheme == QScheme::PerTensorSymmetric) {
    MinMaxObserver observer(options);
    observer(weight);
    const QParams q = observer.calculate_qparams();
    return quantize_per_tensor(weight, q.scales[0], q.zero_points[0], options.dtype);
  }
  PerChannelMinMaxObserver observer(options);
  observer(weight);
  const QParams q = observer.calculate_qparams();
  return quantize_per_channel(weight, q.scales, q.zero_points, q.axis, options.dtype);
}

LayerQuantization::LayerQuantization(const QConfig& qconfig, std::string name, bool weighted)
    : qconfig_(qconfig),
      name_(std::move(name)),
      weighted_(weighted),
      input_observer_(weighted ? activation_observer(qconfig) : nullptr),  // a FloatFunctional's inputs come quantized
      output_observer_(activation_observer(qconfig)) {}

void LayerQuantization::fold(const Tensor& weight, const Tensor& bias, bool relu) {
  folded_weight_ = weight.detach();
  folded_bias_ = bias.detach();
  relu_ = relu;
}

void LayerQuantization::convert(const Tensor& weight) {
  NABLA_CHECK(output_observer_->observed(), "quantization::convert: layer '", name_,
              "' never ran during calibration: run calibration batches through the model after prepare()");
  output_ = output_observer_->calculate_qparams();
  converted_ = true;
  if (!weighted_) return;
  input_ = input_observer_->calculate_qparams();
  weight_ = quantize_weight(float_weight(weight), qconfig_.weight);
}

std::vector<std::string> LayerQuantization::keys() const {
  if (!weighted_) return {"scale", "zero_point"};
  std::vector<std::string> keys{"weight", "scale", "zero_point", "input_scale", "input_zero_point"};
  if (folded_bias_.defined()) keys.push_back("bias");
  return keys;
}

void LayerQuantization::save_to(StateDict& dict, const std::string& prefix) const {
  NABLA_CHECK(converted(), "quantization::state_dict: layer '", name_, "' is prepared but not converted");
  if (weighted_) dict.insert(prefix + "weight", weight_);
  if (folded_bias_.defined()) dict.insert(prefix + "bias", folded_bias_);
  dict.insert(prefix + "scale", full({}, output_.scales[0]));
  dict.insert(prefix + "zero_point", full({}, static_cast<double>(output_.zero_points[0]), kInt64));
  if (!weighted_) return;
  dict.insert(prefix + "input_scale", full({}, input_.scales[0]));
  dict.insert(prefix + "input_zero_point", full({}, static_cast<double>(input_.zero_points[0]), kInt64));
}

void LayerQuantization::load_from(const StateDict& dict, const std::string& prefix) {
  const auto entry = [&](const std::string& key, Dtype dtype, const char* what) {
    NABLA_CHECK(dict.contains(prefix + key), "quantization::load_state_dict: missing '", prefix, key, "'");
    const Tensor& t = dict[prefix + key];
    NABLA_CHECK(t.dtype() == dtype && (what != nullptr || t.numel() == 1), "quantization::load_state_dict: '", prefix,
                key, "' should be ", what ? what : "one " + std::string(dtype_name(dtype)) + " value", ", got ",
                dtype_name(t.dtype()), " of shape ", shape_str(t.shape()));
    return t;
  };
  const auto params = [&](const std::string& scale, const std::string& zero_point) {
    QParams q{QScheme::PerTensorAffine,
              {entry(scale, kFloat32, nullptr).item<float>()},
              {entry(zero_point, kInt64, nullptr).item<int64_t>()},
              0};
    check_quantization_params(q.scales[0], q.zero_points[0], qconfig_.activation.dtype,
                              ("quantization::load_state_dict: '" + prefix + scale + "'").c_str());
    return q;
  };
  output_ = params("scale", "zero_point");
  converted_ = true;
  if (!weighted_) return;
  input_ = params("input_scale", "input_zero_point");
  const Tensor weight = entry("weight", kInt8, "an int8 tensor");
  NABLA_CHECK(weight.is_quantized(), "quantization::load_state_dict: '", prefix,
              "weight' is not quantized (a float model's weights load with load_state_dict, before quantization)");
  weight_ = weight;
  if (folded_bias_.defined()) {
    const Tensor bias = entry("bias", kFloat32, "a float32 tensor");
    NABLA_CHECK(bias.shape() == folded_bias_.shape(), "quantization::load_state_dict: '", prefix, "bias' should be of ",
                "shape ", shape_str(folded_bias_.shape()), ", got ", shape_str(bias.shape()));
    folded_bias_ = bias;
  }
}

Tensor LayerQuantization::input(const Tensor& x) const {
  if (x.is_quantized()) return x;
  return quantize_per_tensor(x, input_.scales[0], input_.zero_points[0], qconfig_.activation.dtype);
}

namespace {

bool is_conv(const nn::Module* m) {
  return dynamic_cast<const nn::Conv1d*>(m) || dynamic_cast<const nn::Conv2d*>(m) || dynamic_cast<const nn::Conv3d*>(m);
}
const nn::NormBase* as_batchnorm(const nn::Module* m) {
  if (dynamic_cast<const nn::BatchNorm1d*>(m) || dynamic_cast<const nn::BatchNorm2d*>(m) ||
      dynamic_cast<const nn::BatchNorm3d*>(m))
    return static_cast<const nn::NormBase*>(m);
  return nullptr;
}

// Calls fn(name, module, weight) for every layer prepare quantizes (weight undefined for a FloatFunctional).
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
    } else if (dynamic_cast<nn::FloatFunctional*>(module)) {
      fn(name, *module, Tensor());
    }
  }
}

// The names of the BatchNorms folded into a conv (their entries leave the converted state_dict).
std::vector<std::string> folded_batchnorms(nn::Module& model) {
  std::vector<std::string> names;
  for (const auto& [name, module] : model.named_modules())
    if (as_batchnorm(module) && module->quantization_state()) names.push_back(name);
  return names;
}

std::string dotted(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

// Folds `norm` into the prepared conv `conv` (and a ReLU after them, with relu): the conv computes both from now
// on and the BatchNorm passes its input through (it shares the conv's state, which says so).
void fold(nn::Module& conv, const std::string& conv_name, nn::Module& norm, const std::string& norm_name, bool relu) {
  const auto& state = conv.quantization_state();
  NABLA_CHECK(state != nullptr, "quantization::prepare: cannot fold '", norm_name, "' into '", conv_name,
              "': it is not a quantized conv (Conv1d/2d/3d with padding_mode zeros)");
  NABLA_CHECK(!norm.quantization_state(), "quantization::prepare: '", norm_name, "' is folded twice");
  const nn::NormBase& bn = *as_batchnorm(&norm);
  const StateDict own = conv.named_parameters(false);
  const Tensor bias = own.contains("bias") ? own["bias"] : Tensor();
  const std::string who = "quantization::prepare (folding '" + norm_name + "' into '" + conv_name + "')";
  const auto [folded_weight, folded_bias] = nn::utils::fuse_conv_bn_weights(own["weight"], bias, bn, who);
  state->fold(folded_weight, folded_bias, relu);
  norm.quantization_state() = state;
}

// Every conv → BatchNorm (→ ReLU) in a Sequential, folded.
void fold_sequentials(nn::Module& model) {
  for (const auto& [name, module] : model.named_modules()) {
    if (!dynamic_cast<nn::Sequential*>(module)) continue;
    const auto names = module->named_children().keys();
    const auto children = module->children();
    for (size_t i = 0; i + 1 < children.size(); ++i) {
      if (!is_conv(children[i].get()) || !as_batchnorm(children[i + 1].get()) || !children[i]->quantization_state())
        continue;
      const bool relu = i + 2 < children.size() && dynamic_cast<nn::ReLU*>(children[i + 2].get());
      fold(*children[i], dotted(name, names[i]), *children[i + 1], dotted(name, names[i + 1]), relu);
    }
  }
}

// The groups prepare's `fuse` names: a conv, then a BatchNorm and/or a ReLU.
void fold_named(nn::Module& model, const std::vector<std::vector<std::string>>& groups) {
  const auto modules = model.named_modules();
  const auto find = [&](const std::string& name) {
    NABLA_CHECK(modules.contains(name), "quantization::prepare: fuse names '", name, "', which is not a submodule");
    return modules[name];
  };
  for (const auto& group : groups) {
    NABLA_CHECK(group.size() == 2 || group.size() == 3, "quantization::prepare: fuse takes groups of a conv and a ",
                "BatchNorm and/or a ReLU ({\"conv\", \"bn\"}, {\"conv\", \"bn\", \"relu\"}), got ", group.size(),
                " names");
    nn::Module* conv = find(group[0]);
    NABLA_CHECK(is_conv(conv) && conv->quantization_state(), "quantization::prepare: fuse: '", group[0], "' is a ",
                conv->name(), ", not a quantized conv (Conv1d/2d/3d with padding_mode zeros)");
    nn::Module* norm = find(group[1]);
    const bool relu = dynamic_cast<nn::ReLU*>(find(group.back())) != nullptr;
    if (group.size() == 2 && relu) {
      conv->quantization_state()->fuse_relu();
      continue;
    }
    NABLA_CHECK(as_batchnorm(norm), "quantization::prepare: fuse: '", group[1], "' is a ", norm->name(),
                ", not a BatchNorm");
    NABLA_CHECK(group.size() == 2 || relu, "quantization::prepare: fuse: '", group[2], "' is a ",
                find(group[2])->name(), ", not a ReLU");
    fold(*conv, group[0], *norm, group[1], relu);
  }
}

}  // namespace

void prepare(nn::Module& model, const QConfig& qconfig, const std::vector<std::vector<std::string>>& fuse) {
  NABLA_CHECK(qconfig.activation.dtype == kUInt8 && qconfig.activation.qscheme == QScheme::PerTensorAffine,
              "quantization::prepare: activations are quantized as uint8 per tensor, affine (oneDNN's int8 kernels "
              "read uint8)");
  NABLA_CHECK(qconfig.weight.dtype == kInt8 && (qconfig.weight.qscheme == QScheme::PerChannelSymmetric ||
                                                qconfig.weight.qscheme == QScheme::PerTensorSymmetric),
              "quantization::prepare: weights are quantized as symmetric int8 (oneDNN's int8 kernels have no weight "
              "zero point)");
  for_each_layer(model, [&](const std::string& name, nn::Module& layer, const Tensor& weight) {
    NABLA_CHECK(!layer.is_training(), "quantization::prepare: layer '", name,
                "' is in training mode: call eval() first (post-training quantization calibrates the inference "
                "network)");
    NABLA_CHECK(!layer.quantization_state(), "quantization::prepare: layer '", name, "' is prepared already");
    layer.quantization_state() =
        std::make_shared<LayerQuantization>(qconfig, name.empty() ? layer.name() : name, weight.defined());
  });
  fold_sequentials(model);
  fold_named(model, fuse);
}

StateDict state_dict(nn::Module& model) {
  StateDict quantized;
  for_each_layer(model, [&](const std::string& name, nn::Module& layer, const Tensor&) {
    if (layer.quantization_state()) layer.quantization_state()->save_to(quantized, name.empty() ? "" : name + ".");
  });
  const auto folded = folded_batchnorms(model);
  const auto dropped = [&](const std::string& key) {  // a float weight the int8 one replaces, a folded BatchNorm's
    return quantized.contains(key) || std::any_of(folded.begin(), folded.end(),
                                                  [&](const std::string& bn) { return key.rfind(bn + ".", 0) == 0; });
  };
  StateDict dict;
  for (const auto& [key, tensor] : model.state_dict())
    if (!dropped(key)) dict.insert(key, tensor);
  for (const auto& [key, tensor] : quantized) dict.insert(key, tensor);
  return dict;
}

void load_state_dict(nn::Module& model, const StateDict& dict) {
  std::set<std::string> taken;
  for_each_layer(model, [&](const std::string& name, nn::Module& layer, const Tensor&) {
    if (!layer.quantization_state()) return;
    const std::string prefix = name.empty() ? "" : name + ".";
    layer.quantization_state()->load_from(dict, prefix);
    for (const std::string& key : layer.quantization_state()->keys()) taken.insert(prefix + key);
  });
  NABLA_CHECK(!taken.empty(),
              "quantization::load_state_dict: the model has no prepared layer: call quantization::prepare first");
  const StateDict expected = state_dict(model);  // after the loads above: every layer is converted
  for (const auto& [key, tensor] : expected)
    NABLA_CHECK(dict.contains(key), "quantization::load_state_dict: missing '", key, "'");
  StateDict rest;
  for (const auto& [key, tensor] : dict) {
    NABLA_CHECK(expected.contains(key), "quantization::load_state_dict: unexpected '", key, "' (not in the model)");
    if (!taken.count(key)) rest.insert(key, tensor);
  }
  model.load_state_dict(rest, /*strict=*/false);
}

void convert(nn::Module& model) {
  int64_t layers = 0;
  for_each_layer(model, [&](const std::string&, nn::Module& layer, const Tensor& weight) {
    if (!layer.quantization_state()) return;
    layer.quantization_state()->convert(weight.defined() ? weight.detach() : weight);
    ++layers;
  });
  NABLA_CHECK(layers > 0, "quantization::convert: the model has no prepared layer: call quantization::prepare first");
}

}  // namespace nabla::quantization
