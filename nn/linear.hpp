#pragma once
/// @file
/// nn::Linear and nn::Identity.
/// @ingroup layers_linear
#include "nabla/nn/module.hpp"

namespace nabla::nn {
/// @addtogroup layers_linear
/// @{

/// The options of nn::Linear, in PyTorch's order.
struct LinearOptions {
  int64_t in_features = kRequired;   ///< the input's last dim (required)
  int64_t out_features = kRequired;  ///< the output's last dim (required)
  bool bias = true;                  ///< a learnable bias (out_features)
};

/// y = x Wᵀ + b. weight: (out_features, in_features), bias: (out_features); PyTorch's init.
class Linear : public Layer<Linear> {
 public:
  /// Builds the layer with PyTorch's init (kaiming_uniform_(a=√5) weight, uniform bias).
  explicit Linear(const LinearOptions& options);
  /// input (*, in_features) → (*, out_features); a mismatch is a nabla::Error naming both
  Tensor forward(const Tensor& input);
  void reset_parameters();  ///< re-initialises as the constructor does
  std::string extra_repr() const override;

  LinearOptions options;  ///< as constructed
  Tensor weight;          ///< (out_features, in_features)
  Tensor bias;            ///< (out_features), or undefined without bias
};

/// torch.nn.Identity: returns its input.
class Identity : public Layer<Identity> {
 public:
  Tensor forward(const Tensor& input) { return input; }  ///< input itself
};

/// @}
}  // namespace nabla::nn
