#include "nabla/nn/loss.hpp"

namespace nabla::nn {

Tensor L1Loss::forward(const Tensor& input, const Tensor& target) const {
  return l1_loss(input, target, options.reduction);
}
Tensor MSELoss::forward(const Tensor& input, const Tensor& target) const {
  return mse_loss(input, target, options.reduction);
}
Tensor SmoothL1Loss::forward(const Tensor& input, const Tensor& target) const {
  return smooth_l1_loss(input, target, options.reduction, options.beta);
}
Tensor HuberLoss::forward(const Tensor& input, const Tensor& target) const {
  return huber_loss(input, target, options.reduction, options.delta);
}
Tensor NLLLoss::forward(const Tensor& input, const Tensor& target) const { return nll_loss(input, target, options); }
Tensor CrossEntropyLoss::forward(const Tensor& input, const Tensor& target) const {
  return cross_entropy(input, target, options);
}
Tensor BCELoss::forward(const Tensor& input, const Tensor& target) const {
  return binary_cross_entropy(input, target, options);
}
Tensor BCEWithLogitsLoss::forward(const Tensor& input, const Tensor& target) const {
  return binary_cross_entropy_with_logits(input, target, options);
}
Tensor KLDivLoss::forward(const Tensor& input, const Tensor& target) const { return kl_div(input, target, options); }

}  // namespace nabla::nn
