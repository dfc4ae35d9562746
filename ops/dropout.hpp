#pragma once
/// @file
/// Dropout: zeroes each element (or whole channel) with probability p during training and scales the rest by
/// 1/(1-p); alpha dropout for SELU networks.
/// @ingroup functional
#include "nabla/core/tensor.hpp"

namespace nabla {
/// @addtogroup functional
/// @{

/// F.dropout: each element zeroed with probability p and the rest scaled by 1/(1-p) while training; the identity
/// otherwise.
Tensor dropout(const Tensor& x, double p = 0.5, bool training = true);

/// Whole channels: each (sample, channel) of an (N, C, *spatial) input, or channel of a (C, *spatial) one, is
/// zeroed with probability p (the rest scaled by 1/(1-p)); `dims` spatial dims (1, 2 or 3).
Tensor feature_dropout(const Tensor& x, int64_t dims, double p = 0.5, bool training = true);
/// F.dropout1d: feature_dropout over 1 spatial dim
inline Tensor dropout1d(const Tensor& x, double p = 0.5, bool training = true) {
  return feature_dropout(x, 1, p, training);
}
/// F.dropout2d: feature_dropout over 2 spatial dims
inline Tensor dropout2d(const Tensor& x, double p = 0.5, bool training = true) {
  return feature_dropout(x, 2, p, training);
}
/// F.dropout3d: feature_dropout over 3 spatial dims
inline Tensor dropout3d(const Tensor& x, double p = 0.5, bool training = true) {
  return feature_dropout(x, 3, p, training);
}
/// For SELU networks: dropped elements are set to SELU's negative saturation and the result rescaled so that
/// mean and variance are kept.
Tensor alpha_dropout(const Tensor& x, double p = 0.5, bool training = true);

/// @}
}  // namespace nabla
