#pragma once
// Post-training quantization's calibration, as the examples run it: the first `count` training samples through a
// model that quantization::prepare has prepared, in batches, without gradients.
#include <nabla/nabla.hpp>

#include <algorithm>

namespace examples {

template <class Model>
void calibrate(Model& model, const nabla::Tensor& samples, int64_t count, int64_t batch_size) {
  nabla::NoGradGuard no_grad;
  const int64_t n = std::min(count, samples.size(0));
  for (int64_t i = 0; i < n; i += batch_size) model(samples.narrow(0, i, std::min(batch_size, n - i)));
}

}  // namespace examples
