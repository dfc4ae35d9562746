#pragma once
/// @file
/// Loss layers, as torch.nn has them: each holds its options (PyTorch's, in its order) and calls the
/// functional loss of ops/loss.hpp; class weights are buffers (in the state_dict, not parameters).
#include "nabla/nn/module.hpp"
#include "nabla/ops/loss.hpp"

namespace nabla::nn {

struct L1LossOptions {
  Reduction reduction = Reduction::mean;
};
using MSELossOptions = L1LossOptions;
struct SmoothL1LossOptions {
  Reduction reduction = Reduction::mean;
  double beta = 1.0;
};
struct HuberLossOptions {
  Reduction reduction = Reduction::mean;
  double delta = 1.0;
};

template <class Self, class Options>
class LossBase : public Layer<Self> {
 public:
  explicit LossBase(const Options& options = {}) : options(options) {
    if constexpr (requires { options.weight; }) this->register_buffer("weight", options.weight);
    if constexpr (requires { options.pos_weight; }) this->register_buffer("pos_weight", options.pos_weight);
  }
  Options options;
};

#define NABLA_LOSS(Name, Options)                                    \
  class Name : public LossBase<Name, Options> {                      \
   public:                                                           \
    using LossBase::LossBase;                                        \
    Tensor forward(const Tensor& input, const Tensor& target) const; \
  }

NABLA_LOSS(L1Loss, L1LossOptions);
NABLA_LOSS(MSELoss, MSELossOptions);
NABLA_LOSS(SmoothL1Loss, SmoothL1LossOptions);
NABLA_LOSS(HuberLoss, HuberLossOptions);
NABLA_LOSS(NLLLoss, NLLLossOptions);
NABLA_LOSS(CrossEntropyLoss, CrossEntropyLossOptions);
NABLA_LOSS(BCELoss, BCELossOptions);
NABLA_LOSS(BCEWithLogitsLoss, BCEWithLogitsLossOptions);
NABLA_LOSS(KLDivLoss, KLDivLossOptions);

#undef NABLA_LOSS

}  // namespace nabla::nn
