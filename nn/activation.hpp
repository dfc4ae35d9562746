#pragma once
/// @file
/// Activation layers (ReLU, LeakyReLU, GELU, ..., Softmax, PReLU), Flatten, Dropout.
/// @ingroup layers_activation
#include <optional>

#include "nabla/nn/module.hpp"

namespace nabla::nn {
/// @addtogroup layers_activation
/// @{

/// torch.nn.ReLU: max(0, x) elementwise, any shape; NaN stays NaN.
class ReLU : public Layer<ReLU> {
 public:
  Tensor forward(const Tensor& input);  ///< relu(input)
};

/// The options of nn::Flatten.
struct FlattenOptions {
  int64_t start_dim = 1;  ///< the first dim merged (the batch dim 0 is kept by default)
  int64_t end_dim = -1;   ///< the last dim merged
};

/// torch.nn.Flatten: dims start_dim..end_dim merged into one, (N, C, H, W) → (N, C·H·W) by default.
class Flatten : public Layer<Flatten> {
 public:
  explicit Flatten(const FlattenOptions& options = {}) : options(options) {}  ///< with these options
  Tensor forward(const Tensor& input);                                        ///< input.flatten(start_dim, end_dim)
  std::string extra_repr() const override;

  FlattenOptions options;  ///< as constructed
};

/// The options of the dropout layers.
struct DropoutOptions {
  double p = 0.5;  ///< the probability of an element (or channel) being zeroed, in [0, 1]
};

/// What a DropoutOf layer drops: elements (Dropout), channels of 1/2/3-D maps (Dropout1d/2d/3d), or AlphaDropout's.
enum class DropoutKind { Elements, Channels1d, Channels2d, Channels3d, Alpha };

/// Active in training mode only (see Module::train/eval). Dropout zeroes elements, Dropout1d/2d/3d whole
/// channels, AlphaDropout keeps a SELU network's mean and variance.
template <DropoutKind Kind>
class DropoutOf : public Layer<DropoutOf<Kind>> {
 public:
  explicit DropoutOf(const DropoutOptions& options = {});  ///< a nabla::Error unless 0 <= p <= 1
  Tensor forward(const Tensor& input);                     ///< dropped in training mode, the identity in eval mode
  std::string name() const override;
  std::string extra_repr() const override;

  DropoutOptions options;  ///< as constructed
};

using Dropout = DropoutOf<DropoutKind::Elements>;      ///< torch.nn.Dropout
using Dropout1d = DropoutOf<DropoutKind::Channels1d>;  ///< torch.nn.Dropout1d: whole channels of (N, C, L)
using Dropout2d = DropoutOf<DropoutKind::Channels2d>;  ///< torch.nn.Dropout2d: whole channels of (N, C, H, W)
using Dropout3d = DropoutOf<DropoutKind::Channels3d>;  ///< torch.nn.Dropout3d: whole channels of (N, C, D, H, W)
using AlphaDropout = DropoutOf<DropoutKind::Alpha>;    ///< torch.nn.AlphaDropout

/// @}
}  // namespace nabla::nn

// The other activations: each an options struct (PyTorch's arguments, in its order) that also names the
// layer and says how to apply and print it, and one template, Activation<Options>, that makes it a module.

namespace nabla::nn {
/// @addtogroup layers_activation
/// @{

/// The module of an activation: nn::LeakyReLU is Activation<LeakyReLUOptions>, and so on; any shape in, the same out.
template <class Options>
class Activation : public Layer<Activation<Options>> {
 public:
  explicit Activation(const Options& options = {}) : options(options) {}      ///< with these options
  Tensor forward(const Tensor& input) const { return options.apply(input); }  ///< the function, elementwise
  std::string name() const override { return Options::kName; }
  std::string extra_repr() const override { return options.repr(); }

  Options options;  ///< as constructed
};

/// What each activation's options struct declares for Activation<Options>: its class name, the function, its repr.
#define NABLA_ACTIVATION_TRAITS(Name)         \
  static constexpr const char* kName = #Name; \
  Tensor apply(const Tensor& input) const;    \
  std::string repr() const

/// The options of nn::LeakyReLU (torch.nn.LeakyReLU: x, or negative_slope · x below 0).
struct LeakyReLUOptions {
  double negative_slope = 0.01;  ///< the slope below 0
  NABLA_ACTIVATION_TRAITS(LeakyReLU);
};
/// The options of nn::ELU (torch.nn.ELU: x, or alpha · (eˣ - 1) below 0).
struct ELUOptions {
  double alpha = 1.0;  ///< the negative saturation value
  NABLA_ACTIVATION_TRAITS(ELU);
};
/// The options of nn::CELU (torch.nn.CELU: max(0, x) + min(0, alpha · (exp(x / alpha) - 1))).
struct CELUOptions {
  double alpha = 1.0;  ///< the α of the formula
  NABLA_ACTIVATION_TRAITS(CELU);
};
/// The options of nn::SELU (torch.nn.SELU: scale · ELU with the self-normalising constants).
struct SELUOptions {
  NABLA_ACTIVATION_TRAITS(SELU);
};
/// The options of nn::GELU (torch.nn.GELU: x · Φ(x)).
struct GELUOptions {
  std::string approximate = "none";  ///< or "tanh"
  NABLA_ACTIVATION_TRAITS(GELU);
};
/// The options of nn::SiLU (torch.nn.SiLU: x · sigmoid(x)).
struct SiLUOptions {
  NABLA_ACTIVATION_TRAITS(SiLU);
};
/// The options of nn::Mish (torch.nn.Mish: x · tanh(softplus(x))).
struct MishOptions {
  NABLA_ACTIVATION_TRAITS(Mish);
};
/// The options of nn::Hardswish (torch.nn.Hardswish: x · relu6(x + 3) / 6).
struct HardswishOptions {
  NABLA_ACTIVATION_TRAITS(Hardswish);
};
/// The options of nn::Hardsigmoid (torch.nn.Hardsigmoid: relu6(x + 3) / 6).
struct HardsigmoidOptions {
  NABLA_ACTIVATION_TRAITS(Hardsigmoid);
};
/// The options of nn::ReLU6 (torch.nn.ReLU6: min(max(0, x), 6)).
struct ReLU6Options {
  NABLA_ACTIVATION_TRAITS(ReLU6);
};
/// The options of nn::Hardtanh (torch.nn.Hardtanh: x clamped to [min_val, max_val]).
struct HardtanhOptions {
  double min_val = -1.0;  ///< the lower bound
  double max_val = 1.0;   ///< the upper bound
  NABLA_ACTIVATION_TRAITS(Hardtanh);
};
/// The options of nn::Softplus (torch.nn.Softplus: log(1 + exp(beta · x)) / beta, x itself past threshold).
struct SoftplusOptions {
  double beta = 1.0;        ///< the β of the formula
  double threshold = 20.0;  ///< beta · x above it gives x (numerical stability)
  NABLA_ACTIVATION_TRAITS(Softplus);
};
/// The options of nn::Softsign (torch.nn.Softsign: x / (1 + |x|)).
struct SoftsignOptions {
  NABLA_ACTIVATION_TRAITS(Softsign);
};
/// The options of nn::Sigmoid (torch.nn.Sigmoid: 1 / (1 + e⁻ˣ)).
struct SigmoidOptions {
  NABLA_ACTIVATION_TRAITS(Sigmoid);
};
/// The options of nn::Tanh (torch.nn.Tanh).
struct TanhOptions {
  NABLA_ACTIVATION_TRAITS(Tanh);
};
/// The options of nn::LogSigmoid (torch.nn.LogSigmoid: log(sigmoid(x))).
struct LogSigmoidOptions {
  NABLA_ACTIVATION_TRAITS(LogSigmoid);
};
/// The options of nn::Softmax (torch.nn.Softmax along dim).
struct SoftmaxOptions {
  /// the dim that sums to 1; std::nullopt picks PyTorch's legacy implicit dim (0 for 0-, 1- and 3-D input, else 1)
  std::optional<int64_t> dim{};
  NABLA_ACTIVATION_TRAITS(Softmax);
};
/// The options of nn::LogSoftmax (torch.nn.LogSoftmax along dim).
struct LogSoftmaxOptions {
  std::optional<int64_t> dim{};  ///< the dim normalised (std::nullopt: as Softmax's)
  NABLA_ACTIVATION_TRAITS(LogSoftmax);
};
/// The options of nn::Softmin (torch.nn.Softmin along dim: softmax(-x)).
struct SoftminOptions {
  std::optional<int64_t> dim{};  ///< the dim that sums to 1 (std::nullopt: as Softmax's)
  NABLA_ACTIVATION_TRAITS(Softmin);
};

#undef NABLA_ACTIVATION_TRAITS

using LeakyReLU = Activation<LeakyReLUOptions>;  ///< torch.nn.LeakyReLU: x, or negative_slope · x below 0
using ELU = Activation<ELUOptions>;              ///< torch.nn.ELU: x, or alpha · (eˣ - 1) below 0
using CELU = Activation<CELUOptions>;            ///< torch.nn.CELU: max(0, x) + min(0, alpha · (exp(x / alpha) - 1))
using SELU = Activation<SELUOptions>;            ///< torch.nn.SELU: scale · ELU with the self-normalising constants
using GELU = Activation<GELUOptions>;            ///< torch.nn.GELU: x · Φ(x)
using SiLU = Activation<SiLUOptions>;            ///< torch.nn.SiLU: x · sigmoid(x)
using Mish = Activation<MishOptions>;            ///< torch.nn.Mish: x · tanh(softplus(x))
using Hardswish = Activation<HardswishOptions>;  ///< torch.nn.Hardswish: x · relu6(x + 3) / 6
using Hardsigmoid = Activation<HardsigmoidOptions>;  ///< torch.nn.Hardsigmoid: relu6(x + 3) / 6
using ReLU6 = Activation<ReLU6Options>;              ///< torch.nn.ReLU6: min(max(0, x), 6)
using Hardtanh = Activation<HardtanhOptions>;        ///< torch.nn.Hardtanh: x clamped to [min_val, max_val]
/// torch.nn.Softplus: log(1 + exp(beta · x)) / beta, x itself past threshold
using Softplus = Activation<SoftplusOptions>;
using Softsign = Activation<SoftsignOptions>;      ///< torch.nn.Softsign: x / (1 + |x|)
using Sigmoid = Activation<SigmoidOptions>;        ///< torch.nn.Sigmoid: 1 / (1 + e⁻ˣ)
using Tanh = Activation<TanhOptions>;              ///< torch.nn.Tanh
using LogSigmoid = Activation<LogSigmoidOptions>;  ///< torch.nn.LogSigmoid: log(sigmoid(x))
using Softmax = Activation<SoftmaxOptions>;        ///< torch.nn.Softmax along dim
using LogSoftmax = Activation<LogSoftmaxOptions>;  ///< torch.nn.LogSoftmax along dim
using Softmin = Activation<SoftminOptions>;        ///< torch.nn.Softmin along dim: softmax(-x)

/// The options of nn::PReLU.
struct PReLUOptions {
  int64_t num_parameters = 1;  ///< 1 (one slope shared) or the input's channels (one per channel)
  double init = 0.25;          ///< the slopes' initial value
};

/// x where positive, weight · x elsewhere; weight (num_parameters) learnt, one per channel or one shared.
class PReLU : public Layer<PReLU> {
 public:
  explicit PReLU(const PReLUOptions& options = {});  ///< with these options
  Tensor forward(const Tensor& input);               ///< prelu(input, weight)
  std::string extra_repr() const override;

  PReLUOptions options;  ///< as constructed
  Tensor weight;         ///< the slopes, (num_parameters)
};

/// @}
}  // namespace nabla::nn
