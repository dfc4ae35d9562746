#pragma once
/// @file
/// softmax and log_softmax over one dim, on oneDNN.
/// @ingroup functional
#include "nabla/core/tensor.hpp"

namespace nabla {
/// @addtogroup functional
/// @{

/// torch.softmax along dim (rows sum to 1; NaN propagates as in PyTorch).
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);  ///< log(softmax(x)), computed stably

/// @}
}  // namespace nabla
