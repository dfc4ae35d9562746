// Losses: nll_loss has its own forward and backward; cross_entropy and mse_loss are compositions.
#include "nabla/ops/loss.hpp"

#include <cmath>

#include "nabla/autograd/node.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/ops/elementwise.hpp"
#include "ops/kernels.h"
#include "nabla/ops/reduction.hpp"
#include "nabla/ops/softmax.hpp"

namespace nabla {
namespace {

// The shape nll_loss expects of the target for this input: the input's without the class dim.
Shape target_shape(const Tensor& input) {
  Shape shape = input.shape();
  shape.erase(shape.begin() + (input.dim() == 1 ? 0 : 1));
  return shape;
}

}  // namespace

Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossOptions& options) {
  kernels::check_float(input, "nll_loss");
  NABLA_CHECK(input.dim() >= 1, "nll_loss: expected input of shape (N, C), (C) or (N, C, d1, ...), got a 0-d tensor");
  NABLA_CHECK(target.defined() && target.dtype() == kInt64, "nll_loss: expected an int64 target of class indices, got ",
              target.defined() ? dtype_name(target.dtype()) : "an undefined tensor");
  NABLA_CHECK(target.shape() == target_shape(input), "nll_loss: expected target of shape ",
              shape_str(target_shape(input)), " for input of shape ", shape_str(input.shape()), ", got ",
              shape_str(target.shape()));
  const int64_t classes = input.size(input.dim() == 1 ? 0 : 1);
  NABLA_CHECK(!options.weight.defined() || options.weight.shape() == Shape{classes}, "nll_loss: weight tensor should be "
              "defined either for all ", classes, " classes or no classes but got weight tensor of shape: ",
              shape_str(options.weight.shape()));
  const int64_t inner = input.dim() <= 2 ? 1 : numel(Shape(input.shape().begin() + 2, input.shape().end()));
  const std::vector<int64_t> labels = target.to_vector<int64_t>();
  const std::vector<float> class_weight =
      options.weight.defined() ? options.weight.to_vector<float>() : std::vector<float>(classes, 1.f);
  std::vector<float> sample_weight(labels.size());  // the weight of each target, 0 if ignored
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] == options.ignore_index) continue;
    NABLA_CHECK(labels[i] >= 0 && labels[i] < classes, "nll_loss: Target ", labels[i], " is out of bounds (",
                classes, " classes)");
    sample_weight[i] = class_weight[labels[i]];
  }
  const Tensor x = input.detach().contiguous();
  const float* px = x.data_ptr<float>();
  const auto at = [inner, classes](int64_t i, int64_t label) {  // the input element sample i's label picks
    return (i / inner * classes + label) * inner + i % inner;
  };
  Tensor losses = empty(target.shape());
  float* pl = losses.data_ptr<float>();
  double total = 0.0, total_weight = 0.0;
  for (size_t i = 0; i < labels.size(); ++i) {
    pl[i] = sample_weight[i] == 0.f ? 0.f : -sample_weight[i] * px[at(static_cast<int64_t>(i), labels[i])];
    total += pl[i];
    total_weight += sample_weight[i];
  }
  const Reduction reduction = options.reduction;
  Tensor y = reduction == Reduction::none ? losses
           : reduction == Reduction::sum  ? scalar_tensor(total)
                                          : scalar_tensor(total / total_weight);  // all ignored → nan, as PyTorch
  return autograd::record("NllLossBackward0", y, {input, options.weight},
                          [=, input_shape = input.shape()](const Tensor& g, const autograd::Needs&) {
    Tensor gx = zeros(input_shape);
    float* pg = gx.data_ptr<float>();
    const std::vector<float> gy = g.to_vector<float>();
    for (size_t i = 0; i < labels.size(); ++i) {
      const float upstream = reduction == Reduction::none ? gy[i]
                           : reduction == Reduction::sum  ? gy[0]
                                                          : static_cast<float>(gy[0] / total_weight);
      if (sample_weight[i] != 0.f) pg[at(static_cast<int64_t>(i), labels[i])] = -sample_weight[i] * upstream;
    }
    return autograd::Grads{gx, Tensor()};
  });
}

Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyLossOptions& options) {
  kernels::check_float(input, "cross_entropy");
  NABLA_CHECK(input.dim() >= 1, "cross_entropy: expected input of shape (N, C), (C) or (N, C, d1, ...), got a 0-d tensor");
  return nll_loss(log_softmax(input, input.dim() == 1 ? 0 : 1), target, options);
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  kernels::check_float(input, "mse_loss");
  kernels::check_float(target, "mse_loss");
  NABLA_CHECK(input.shape() == target.shape(), "mse_loss: target size ", shape_str(target.shape()),
              " is different to the input size ", shape_str(input.shape()), "; reshape one of them to match");
  const Tensor diff = input - target;
  const Tensor squared = diff * diff;
  return reduction == Reduction::none ? squared : reduction == Reduction::sum ? sum(squared) : mean(squared);
}

}  // namespace nabla
