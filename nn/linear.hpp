#pragma once
/// @file
/// nn::Linear and nn::Identity.
#include "nabla/nn/module.hpp"

namespace nabla::nn {

struct LinearOptions {
  int64_t in_features = kRequired;
  int64_t out_features = kRequired;
  bool bias = true;
};

/// y = x Wᵀ + b. weight: (out_features, in_features), bias: (out_features); PyTorch's init.
class Linear : public Layer<Linear> {
 public:
  explicit Linear(const LinearOptions& options);
  Tensor forward(const Tensor& input);
  void reset_parameters();
  std::string extra_repr() const override;

  LinearOptions options;
  Tensor weight;
  Tensor bias;
};

class Identity : public Layer<Identity> {
 public:
  Tensor forward(const Tensor& input) { return input; }
};

}  // namespace nabla::nn
