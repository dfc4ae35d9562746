#pragma once
/// @file
/// Activation layers (ReLU, LeakyReLU, GELU, ..., Softmax, PReLU), Flatten, Dropout.
#include <optional>

#include "nabla/nn/module.hpp"

namespace nabla::nn {

class ReLU : public Layer<ReLU> {
 public:
  Tensor forward(const Tensor& input);
};

struct FlattenOptions {
  int64_t start_dim = 1;
  int64_t end_dim = -1;
};

class Flatten : public Layer<Flatten> {
 public:
  explicit Flatten(const FlattenOptions& options = {}) : options(options) {}
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  FlattenOptions options;
};

struct DropoutOptions {
  double p = 0.5;
};

enum class DropoutKind { Elements, Channels1d, Channels2d, Channels3d, Alpha };

/// Active in training mode only (see Module::train/eval). Dropout zeroes elements, Dropout1d/2d/3d whole
/// channels, AlphaDropout keeps a SELU network's mean and variance.
template <DropoutKind Kind>
class DropoutOf : public Layer<DropoutOf<Kind>> {
 public:
  explicit DropoutOf(const DropoutOptions& options = {});
  Tensor forward(const Tensor& input);
  std::string name() const override;
  std::string extra_repr() const override;

  DropoutOptions options;
};

using Dropout = DropoutOf<DropoutKind::Elements>;
using Dropout1d = DropoutOf<DropoutKind::Channels1d>;
using Dropout2d = DropoutOf<DropoutKind::Channels2d>;
using Dropout3d = DropoutOf<DropoutKind::Channels3d>;
using AlphaDropout = DropoutOf<DropoutKind::Alpha>;

}  // namespace nabla::nn

// ---- the other activations: each an options struct (PyTorch's arguments, in its order) that also names the
// layer and says how to apply and print it, and one template, Activation<Options>, that makes it a module.

namespace nabla::nn {

template <class Options>
class Activation : public Layer<Activation<Options>> {
 public:
  explicit Activation(const Options& options = {}) : options(options) {}
  Tensor forward(const Tensor& input) const { return options.apply(input); }
  std::string name() const override { return Options::kName; }
  std::string extra_repr() const override { return options.repr(); }

  Options options;
};

#define NABLA_ACTIVATION_TRAITS(Name)         \
  static constexpr const char* kName = #Name; \
  Tensor apply(const Tensor& input) const;    \
  std::string repr() const

struct LeakyReLUOptions {
  double negative_slope = 0.01;
  NABLA_ACTIVATION_TRAITS(LeakyReLU);
};
struct ELUOptions {
  double alpha = 1.0;
  NABLA_ACTIVATION_TRAITS(ELU);
};
struct CELUOptions {
  double alpha = 1.0;
  NABLA_ACTIVATION_TRAITS(CELU);
};
struct SELUOptions {
  NABLA_ACTIVATION_TRAITS(SELU);
};
struct GELUOptions {
  std::string approximate = "none";  ///< or "tanh"
  NABLA_ACTIVATION_TRAITS(GELU);
};
struct SiLUOptions {
  NABLA_ACTIVATION_TRAITS(SiLU);
};
struct MishOptions {
  NABLA_ACTIVATION_TRAITS(Mish);
};
struct HardswishOptions {
  NABLA_ACTIVATION_TRAITS(Hardswish);
};
struct HardsigmoidOptions {
  NABLA_ACTIVATION_TRAITS(Hardsigmoid);
};
struct ReLU6Options {
  NABLA_ACTIVATION_TRAITS(ReLU6);
};
struct HardtanhOptions {
  double min_val = -1.0;
  double max_val = 1.0;
  NABLA_ACTIVATION_TRAITS(Hardtanh);
};
struct SoftplusOptions {
  double beta = 1.0;
  double threshold = 20.0;
  NABLA_ACTIVATION_TRAITS(Softplus);
};
struct SoftsignOptions {
  NABLA_ACTIVATION_TRAITS(Softsign);
};
struct SigmoidOptions {
  NABLA_ACTIVATION_TRAITS(Sigmoid);
};
struct TanhOptions {
  NABLA_ACTIVATION_TRAITS(Tanh);
};
struct LogSigmoidOptions {
  NABLA_ACTIVATION_TRAITS(LogSigmoid);
};
/// dim: as PyTorch, std::nullopt picks the legacy implicit dim (0 for 0-, 1- and 3-D input, else 1).
struct SoftmaxOptions {
  std::optional<int64_t> dim{};
  NABLA_ACTIVATION_TRAITS(Softmax);
};
struct LogSoftmaxOptions {
  std::optional<int64_t> dim{};
  NABLA_ACTIVATION_TRAITS(LogSoftmax);
};
struct SoftminOptions {
  std::optional<int64_t> dim{};
  NABLA_ACTIVATION_TRAITS(Softmin);
};

#undef NABLA_ACTIVATION_TRAITS

using LeakyReLU = Activation<LeakyReLUOptions>;
using ELU = Activation<ELUOptions>;
using CELU = Activation<CELUOptions>;
using SELU = Activation<SELUOptions>;
using GELU = Activation<GELUOptions>;
using SiLU = Activation<SiLUOptions>;
using Mish = Activation<MishOptions>;
using Hardswish = Activation<HardswishOptions>;
using Hardsigmoid = Activation<HardsigmoidOptions>;
using ReLU6 = Activation<ReLU6Options>;
using Hardtanh = Activation<HardtanhOptions>;
using Softplus = Activation<SoftplusOptions>;
using Softsign = Activation<SoftsignOptions>;
using Sigmoid = Activation<SigmoidOptions>;
using Tanh = Activation<TanhOptions>;
using LogSigmoid = Activation<LogSigmoidOptions>;
using Softmax = Activation<SoftmaxOptions>;
using LogSoftmax = Activation<LogSoftmaxOptions>;
using Softmin = Activation<SoftminOptions>;

struct PReLUOptions {
  int64_t num_parameters = 1;
  double init = 0.25;
};

/// x where positive, weight · x elsewhere; weight (num_parameters) learnt, one per channel or one shared.
class PReLU : public Layer<PReLU> {
 public:
  explicit PReLU(const PReLUOptions& options = {});
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  PReLUOptions options;
  Tensor weight;
};

}  // namespace nabla::nn
