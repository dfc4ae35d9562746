#pragma once
// Parameter-free layers: ReLU, Flatten, Dropout.
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

// Active in training mode only (see Module::train/eval).
class Dropout : public Layer<Dropout> {
 public:
  explicit Dropout(const DropoutOptions& options = {});
  Tensor forward(const Tensor& input);
  std::string extra_repr() const override;

  DropoutOptions options;
};

}  // namespace nabla::nn
