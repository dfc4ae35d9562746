#pragma once
// The examples' --int8: post-training quantization of a trained model, its accuracy and speed beside float32's.
#include <nabla/nabla.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

namespace examples {

// Calibration: the first `count` samples through a prepared model, in batches, without gradients.
template <class Model>
void calibrate(Model& model, const nabla::Tensor& samples, int64_t count, int64_t batch_size) {
  nabla::NoGradGuard no_grad;
  const int64_t n = std::min(count, samples.size(0));
  for (int64_t i = 0; i < n; i += batch_size) model(samples.narrow(0, i, std::min(batch_size, n - i)));
}

// Evaluates the float32 model (evaluate() returns the test accuracy in percent, over `count` samples), quantizes
// it to int8 (prepare, calibrate(), convert), evaluates it again, and prints both accuracies and speeds. The int8
// pass is timed after a first one that builds its primitives (for every batch shape), as float32's were built.
template <class Evaluate, class Calibrate>
void report_int8(nabla::nn::Module& model, Evaluate&& evaluate, Calibrate&& calibrate, int64_t count,
                 const char* unit) {
  const auto timed = [&] {
    const auto start = std::chrono::steady_clock::now();
    const double accuracy = evaluate();
    return std::pair{accuracy, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
  };
  const auto [f32, f32_seconds] = timed();
  model.eval();
  nabla::quantization::prepare(model);
  calibrate();
  nabla::quantization::convert(model);
  evaluate();
  const auto [q, q_seconds] = timed();
  const auto n = static_cast<double>(count);
  if (nabla::distributed::rank() == 0)  // under mpirun, every rank evaluates its share; rank 0 reports
    std::printf("int8: test accuracy %.2f%% (float32 %.2f%%), evaluation %.0f %s/s (float32 %.0f %s/s, %.2fx)\n", q,
                f32, n / q_seconds, unit, n / f32_seconds, unit, f32_seconds / q_seconds);
}

}  // namespace examples
