#pragma once
/// @file
/// pad: torch.nn.functional.pad, N-d. `pads` lists (left, right) pairs starting from the LAST dim:
/// {1, 2} pads the last dim by 1 before and 2 after; {1, 1, 2, 2} also pads the dim before it.
/// @ingroup functional
#include <string>
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla {
/// @addtogroup functional
/// @{

/// mode: "constant" (negative pads crop), "reflect" (pads < the dim's size), "replicate", or
/// "circular" (pads <= the dim's size). float32 (differentiable), int64 or bool.
Tensor pad(const Tensor& input, const std::vector<int64_t>& pads, const std::string& mode = "constant",
           double value = 0.0);

/// @}
}  // namespace nabla
