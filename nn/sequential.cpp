#include "nabla/nn/sequential.hpp"

namespace nabla::nn {

Tensor Sequential::forward(const Tensor& input) {
  Tensor x = input;
  for (const auto& step : *steps_) x = step(x);
  return x;
}

}  // namespace nabla::nn
