#pragma once
// int8 post-training quantization, PyTorch's eager workflow in C++ (torch.ao.quantization.prepare / convert):
//
//   model.eval();                                   // BatchNorm folded first (nn::utils::fuse_conv_bn_eval):
//                                                   // prepare refuses a Sequential's conv followed by a BatchNorm
//   quantization::prepare(model);                   // observers on every Conv and Linear layer
//   for (const Tensor& images : calibration) model(images);   // a few hundred samples
//   quantization::convert(model);                   // int8 weights; convs and linears run in int8 from now on
//
// A converted layer quantizes a float input with the scale and zero point calibration found (a quantized input
// is read as it is), runs oneDNN's u8·s8 kernel with its ReLU fused when the model asks for one (Sequential's
// Conv + ReLU, forward_relu), and returns a quantized uint8 result: the next int8 layer, pooling, ReLU, flatten and
// dropout take it as it is, in the layout the kernel left it in; softmax, log_softmax, argmax and the losses read
// the values it stands for; other ops want it dequantize()d first (an error says so), as a float layer dequantizes
// its input itself. Conv layers with a padding mode other than zeros stay in float32. Inference only: a quantized
// model has no gradients.
#include <string>

#include "nabla/nn/module.hpp"
#include "nabla/nn/observer.hpp"

namespace nabla::quantization {

// Which observers watch what (torch.ao.quantization.QConfig): activations per tensor, weights per channel.
struct QConfig {
  ObserverOptions activation = {.dtype = kUInt8, .qscheme = QScheme::PerTensorAffine};
  ObserverOptions weight = {.dtype = kInt8, .qscheme = QScheme::PerChannelSymmetric};
};

// PyTorch's default qconfig for a backend: "onednn" (the default here: full 8-bit range) or "x86" (activations'
// range reduced to 7 bits, for CPUs without VNNI). PyTorch observes activations with a histogram; Nabla's minimum
// and maximum (MinMaxObserver) are what its "x86"/"onednn" qconfigs' weights and PyTorch's own per-tensor
// default use.
QConfig get_default_qconfig(const std::string& backend = "onednn");

// Attaches observers to every Conv1d/2d/3d and Linear in model (in eval mode): until convert, each runs in float32
// and records the range of its input and output.
void prepare(nn::Module& model, const QConfig& qconfig = get_default_qconfig());
// Computes each prepared layer's scales and zero points from what it observed and quantizes its weight (per
// output channel, symmetric int8): from now on the layer runs in int8. Throws, naming the layer, if one was
// prepared but never ran during calibration.
void convert(nn::Module& model);

// A converted model's state: model.state_dict() with each converted layer's weight as its int8 tensor (per-channel
// scales), and the layer's `scale` and `zero_point` (its output's, as PyTorch's quantized modules name them) and
// `input_scale` and `input_zero_point`. save() writes it, the quantization parameters in the file's metadata.
StateDict state_dict(nn::Module& model);
// Restores such a state into the same model, prepared (not calibrated): its layers run in int8 at once. Every key
// must be there, and only those (an error names the first missing or unexpected one).
void load_state_dict(nn::Module& model, const StateDict& dict);

// The state prepare and convert attach to one layer (Module::quantization_state()).
class LayerQuantization {
 public:
  LayerQuantization(const QConfig& qconfig, std::string name);
  // Calibration: runs the float layer on x, observing x and the result.
  template <class Run>
  Tensor observe(const Tensor& x, Run&& run) {
    input_observer_(x);
    return output_observer_(run(x));
  }
  void convert(const Tensor& weight);
  // The converted layer's entries under `prefix` ("conv1."): weight, scale, zero_point, input_scale,
  // input_zero_point; and back.
  void save_to(StateDict& dict, const std::string& prefix) const;
  void load_from(const StateDict& dict, const std::string& prefix);
  bool converted() const { return weight_.defined(); }
  // x quantized with the calibrated input parameters, unless it already is quantized.
  Tensor input(const Tensor& x) const;
  const Tensor& weight() const { return weight_; }  // int8, per channel
  double output_scale() const { return output_.scales[0]; }
  int64_t output_zero_point() const { return output_.zero_points[0]; }

 private:
  QConfig qconfig_;
  std::string name_;
  MinMaxObserver input_observer_, output_observer_;
  QParams input_, output_;
  Tensor weight_;
};

}  // namespace nabla::quantization
