#pragma once
/// @file
/// Loss layers, as torch.nn has them: each holds its options (PyTorch's, in its order) and calls the
/// functional loss of ops/loss.hpp; class weights are buffers (in the state_dict, not parameters).
/// @ingroup losses
#include "nabla/nn/module.hpp"
#include "nabla/ops/loss.hpp"

namespace nabla::nn {
/// @addtogroup losses
/// @{

/// The options of nn::L1Loss and nn::MSELoss.
struct L1LossOptions {
  Reduction reduction = Reduction::mean;  ///< none (one loss per element), mean or sum
};
using MSELossOptions = L1LossOptions;  ///< the options of nn::MSELoss
/// The options of nn::SmoothL1Loss.
struct SmoothL1LossOptions {
  Reduction reduction = Reduction::mean;  ///< none, mean or sum
  double beta = 1.0;                      ///< where the loss turns from squared to absolute (0: L1)
};
/// The options of nn::HuberLoss.
struct HuberLossOptions {
  Reduction reduction = Reduction::mean;  ///< none, mean or sum
  double delta = 1.0;                     ///< where the loss turns from squared to linear
};

/// What every loss module shares: its options, and the weight tensors among them registered as buffers (so they
/// are in the state_dict, as PyTorch's).
template <class Self, class Options>
class LossBase : public Layer<Self> {
 public:
  /// Keeps the options; registers a weight or pos_weight option as a buffer.
  explicit LossBase(const Options& options = {}) : options(options) {
    if constexpr (requires { options.weight; }) this->register_buffer("weight", options.weight);
    if constexpr (requires { options.pos_weight; }) this->register_buffer("pos_weight", options.pos_weight);
  }
  Options options;  ///< as constructed
};

/// A loss module: Name(options), whose forward(input, target) is the F:: function of the same loss with its options.
#define NABLA_LOSS(Name, Options)                                    \
  class Name : public LossBase<Name, Options> {                      \
   public:                                                           \
    using LossBase::LossBase;                                        \
    /** the loss of input against target */                          \
    Tensor forward(const Tensor& input, const Tensor& target) const; \
  }

/// torch.nn.L1Loss: the mean (or sum, or each) |input - target|; any shapes that broadcast.
NABLA_LOSS(L1Loss, L1LossOptions);
/// torch.nn.MSELoss: the mean (or sum, or each) squared error.
NABLA_LOSS(MSELoss, MSELossOptions);
/// torch.nn.SmoothL1Loss: squared below beta, absolute above (F::smooth_l1_loss).
NABLA_LOSS(SmoothL1Loss, SmoothL1LossOptions);
/// torch.nn.HuberLoss: squared below delta, linear above (F::huber_loss).
NABLA_LOSS(HuberLoss, HuberLossOptions);
/// torch.nn.NLLLoss: input log-probabilities (N, C) or (N, C, d1, ...), target class indices (N) or (N, d1, ...).
NABLA_LOSS(NLLLoss, NLLLossOptions);
/// torch.nn.CrossEntropyLoss: log_softmax then NLLLoss on logits (N, C); targets as class indices or probabilities.
NABLA_LOSS(CrossEntropyLoss, CrossEntropyLossOptions);
/// torch.nn.BCELoss: input probabilities, target of the same shape.
NABLA_LOSS(BCELoss, BCELossOptions);
/// torch.nn.BCEWithLogitsLoss: sigmoid and BCELoss in one, stable for large logits.
NABLA_LOSS(BCEWithLogitsLoss, BCEWithLogitsLossOptions);
/// torch.nn.KLDivLoss: input log-probabilities, target probabilities (log_target: log-probabilities).
NABLA_LOSS(KLDivLoss, KLDivLossOptions);

#undef NABLA_LOSS

/// @}
}  // namespace nabla::nn
