#pragma once
/// @file
/// Losses, with PyTorch's reductions, ignore_index and class weights.
/// @ingroup losses
#include "nabla/core/tensor.hpp"

namespace nabla {
/// @addtogroup losses
/// @{

/// batchmean: kl_div only (the sum divided by the batch size, the true KL divergence).
enum class Reduction { none, mean, sum, batchmean };

/// The options of F.nll_loss (nn::NLLLoss).
struct NLLLossOptions {
  Tensor weight{};                        ///< per-class weights (C), or undefined for all ones
  int64_t ignore_index = -100;            ///< targets equal to it add nothing, to the loss or to the mean's count
  Reduction reduction = Reduction::mean;  ///< none (one loss per element), mean or sum
};

/// The options of F.cross_entropy (nn::CrossEntropyLoss).
struct CrossEntropyLossOptions {
  Tensor weight{};                        ///< per-class weights (C), or undefined for all ones
  int64_t ignore_index = -100;            ///< targets equal to it add nothing (class-index targets only)
  Reduction reduction = Reduction::mean;  ///< none, mean (weighted) or sum
  double label_smoothing = 0.0;           ///< in [0, 1]: the target mixed with the uniform distribution
};

/// input: log-probabilities (N, C), (C) or (N, C, d1, ...); target: class indices (N), () or (N, d1, ...).
Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossOptions& options = {});
/// log_softmax over the class dim, then the loss against class indices (int64 target, as nll_loss) or against
/// class probabilities (float target of the input's shape).
Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyLossOptions& options = {});
/// the mean (or sum, or each) squared difference (F.mse_loss)
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
/// the mean (or sum, or each) absolute difference (F.l1_loss)
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
/// 0.5·d²/beta where |d| < beta, else |d| - 0.5·beta (beta = 0: l1_loss).
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean,
                      double beta = 1.0);
/// 0.5·d² where |d| <= delta, else delta·(|d| - 0.5·delta).
Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean, double delta = 1.0);

/// The options of F.binary_cross_entropy (nn::BCELoss).
struct BCELossOptions {
  Tensor weight{};                        ///< broadcast to the input's shape, or undefined
  Reduction reduction = Reduction::mean;  ///< none, mean or sum
};
/// input: probabilities in [0, 1]; target of the same shape. The logs are clamped at -100, as PyTorch.
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const BCELossOptions& options = {});

/// The options of F.binary_cross_entropy_with_logits (nn::BCEWithLogitsLoss).
struct BCEWithLogitsLossOptions {
  Tensor weight{};                        ///< broadcast to the input's shape, or undefined
  Reduction reduction = Reduction::mean;  ///< none, mean or sum
  Tensor pos_weight{};                    ///< weight of the positive examples, broadcast along the last dim (classes)
};
/// sigmoid and binary_cross_entropy in one, stable for large logits.
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BCEWithLogitsLossOptions& options = {});

/// The options of F.kl_div (nn::KLDivLoss).
struct KLDivLossOptions {
  Reduction reduction = Reduction::mean;  ///< batchmean gives the KL divergence; mean averages over elements
  bool log_target = false;                ///< the target is given as log-probabilities
};
/// input: log-probabilities; target: probabilities (log-probabilities when log_target).
Tensor kl_div(const Tensor& input, const Tensor& target, const KLDivLossOptions& options = {});

/// @}
}  // namespace nabla
