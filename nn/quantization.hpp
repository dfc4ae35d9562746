#pragma once
/// @file
/// int8 post-training quantization, PyTorch's eager workflow in C++ (torch.ao.quantization.prepare / convert):
///
/// @code
///   model.eval();
///   quantization::prepare(model);                   // observers on every Conv and Linear layer; BatchNorms folded
///   for (const Tensor& images : calibration) model(images);   // a few hundred samples
///   quantization::convert(model);                   // int8 weights; convs and linears run in int8 from now on
/// @endcode
///
/// prepare folds a BatchNorm into the conv before it (and fuses a ReLU after them into the conv) where it can see
/// the pair: in a Sequential, and where `fuse` names it (PyTorch's fuse_modules lists, for a hand-written forward);
/// the BatchNorm then passes its input through. A converted layer quantizes a float input with the scale and zero
/// point calibration found (a quantized input is read as it is), runs oneDNN's u8·s8 kernel with its ReLU fused when
/// the model asks for one (Sequential's Conv + ReLU, forward_relu), and returns a quantized uint8 result: the next
/// int8 layer, pooling, ReLU, flatten, dropout and FloatFunctional's add and cat take it as it is, in the layout the
/// kernel left it in; softmax, log_softmax, argmax and the losses read the values it stands for; float layers
/// dequantize it; other ops want it dequantize()d first (an error says so). Conv layers with a padding mode other
/// than zeros stay in float32. Inference only: a quantized model has no gradients.
/// @ingroup quantization
#include <memory>
#include <string>
#include <vector>

#include "nabla/nn/module.hpp"
#include "nabla/nn/observer.hpp"

namespace nabla::quantization {
/// @addtogroup quantization
/// @{

/// How activations are observed: HistogramObserver (PyTorch's default qconfigs: outliers clipped where that lowers
/// the quantization error) or MinMaxObserver (the whole range; cheaper to calibrate).
enum class ObserverKind { Histogram, MinMax };

/// Which observers watch what (torch.ao.quantization.QConfig): activations per tensor, weights per channel.
struct QConfig {
  /// how activations are observed (per tensor, uint8)
  ObserverOptions activation = {.dtype = kUInt8, .qscheme = QScheme::PerTensorAffine};
  /// how weights are observed (per channel, symmetric int8)
  ObserverOptions weight = {.dtype = kInt8, .qscheme = QScheme::PerChannelSymmetric};
  ObserverKind activation_observer = ObserverKind::Histogram;  ///< the activations' observer
};

/// PyTorch's default qconfig for a backend: "onednn" (the default here: full 8-bit range) or "x86" (activations'
/// range reduced to 7 bits, for CPUs without VNNI); activations observed by histogram, weights per channel.
QConfig get_default_qconfig(const std::string& backend = "onednn");

/// A weight quantized as convert quantizes it: observed (per output channel, with the qconfig's weight options),
/// then quantized with the scales and zero points that observer chose.
Tensor quantize_weight(const Tensor& weight, const ObserverOptions& options = QConfig().weight);

/// Attaches observers to every Conv1d/2d/3d, Linear and FloatFunctional in model (in eval mode): until convert,
/// each runs in float32 and records the range of its input and output. BatchNorms are folded into the convs before
/// them: in Sequentials wherever a BatchNorm follows a conv (and a ReLU after it fuses into the conv), elsewhere as
/// `fuse` lists them by name, as PyTorch's fuse_modules does: {{"conv1", "bn1"}, {"conv2", "bn2", "relu2"}}.
void prepare(nn::Module& model, const QConfig& qconfig = get_default_qconfig(),
             const std::vector<std::vector<std::string>>& fuse = {});
/// Computes each prepared layer's scales and zero points from what it observed and quantizes its weight (per
/// output channel, symmetric int8): from now on the layer runs in int8. Throws, naming the layer, if one was
/// prepared but never ran during calibration.
void convert(nn::Module& model);

/// A converted model's state: model.state_dict() with each converted layer's weight as its int8 tensor (per-channel
/// scales), and the layer's `scale` and `zero_point` (its output's, as PyTorch's quantized modules name them) and
/// `input_scale` and `input_zero_point`; a conv with a BatchNorm folded in has the folded `bias`, and the
/// BatchNorm's own entries are gone (as in PyTorch's converted model, where it is an Identity). save() writes it,
/// the quantization parameters in the file's metadata.
StateDict state_dict(nn::Module& model);
/// Restores such a state into the same model, prepared (not calibrated): its layers run in int8 at once. Every key
/// must be there, and only those (an error names the first missing or unexpected one).
void load_state_dict(nn::Module& model, const StateDict& dict);

/// The state prepare and convert attach to one layer (Module::quantization_state()): a Conv or Linear (`weighted`:
/// its input and output observed, its weight quantized) or a FloatFunctional (its result observed). A BatchNorm
/// folded into a conv shares the conv's.
class LayerQuantization {
 public:
  /// A layer's state, named `name` in errors.
  LayerQuantization(const QConfig& qconfig, std::string name, bool weighted = true);
  /// Calibration: runs the float layer on x, observing x and the result (a Conv or Linear).
  template <class Run>
  Tensor observe(const Tensor& x, Run&& run) {
    (*input_observer_)(x);
    return (*output_observer_)(run(x));
  }
  /// Calibration: observes the result of a layer with no weight (a FloatFunctional).
  Tensor observe_output(const Tensor& y) { return (*output_observer_)(y); }
  /// prepare: this conv computes bn(conv(x)) with these folded weights from now on, and then a ReLU, with relu.
  void fold(const Tensor& weight, const Tensor& bias, bool relu);
  /// prepare: a ReLU after this layer is applied by it (its output observed after the ReLU).
  void fuse_relu() { relu_ = true; }
  /// Chooses the scales and zero points from what was observed and quantizes the float weight (the folded one, if
  /// any; `weight` is the layer's own, undefined for a FloatFunctional).
  void convert(const Tensor& weight);
  /// The converted layer's entries under `prefix` ("conv1."): weight, scale, zero_point, input_scale,
  /// input_zero_point (and bias, when folded; a FloatFunctional has scale and zero_point only); and back.
  std::vector<std::string> keys() const;
  void save_to(StateDict& dict, const std::string& prefix) const;    ///< writes the entries of keys()
  void load_from(const StateDict& dict, const std::string& prefix);  ///< reads the entries of keys()
  bool converted() const { return converted_; }                      ///< whether convert has run
  /// x quantized with the calibrated input parameters, unless it already is quantized.
  Tensor input(const Tensor& x) const;
  const Tensor& weight() const { return weight_; }  ///< int8, per channel
  /// The layer's float weight and bias: its own, or the ones folded with a BatchNorm.
  const Tensor& float_weight(const Tensor& own) const { return folded_weight_.defined() ? folded_weight_ : own; }
  /// the layer's float bias: its own or the folded one
  const Tensor& bias(const Tensor& own) const { return folded_bias_.defined() ? folded_bias_ : own; }
  bool relu() const { return relu_; }  ///< a ReLU after the layer (or after its folded BatchNorm) is fused in
  double output_scale() const { return output_.scales[0]; }             ///< the output's scale
  int64_t output_zero_point() const { return output_.zero_points[0]; }  ///< the output's zero point

 private:
  QConfig qconfig_;
  std::string name_;
  bool weighted_;
  std::unique_ptr<Observer> input_observer_, output_observer_;
  QParams input_, output_;
  Tensor weight_;
  Tensor folded_weight_, folded_bias_;
  bool relu_ = false, converted_ = false;
};

/// @}
}  // namespace nabla::quantization
