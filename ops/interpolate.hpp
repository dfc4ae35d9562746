#pragma once
/// @file
/// interpolate: torch.nn.functional.interpolate for 'nearest' and 'linear'/'bilinear'/'trilinear', 1-3 spatial
/// dims, with PyTorch's output sizes and source coordinates (including its scale_factor rule).
/// @ingroup functional
#include <optional>
#include <string>
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla {
/// @addtogroup functional
/// @{

/// The options of F.interpolate (nn::Upsample).
struct InterpolateOptions {
  std::vector<int64_t> size{};          ///< the output's spatial size: one number for every dim, or one per dim
  std::vector<double> scale_factor{};   ///< or the scale: one, or one per dim (exactly one of size, scale_factor)
  std::string mode = "nearest";         ///< "nearest", "linear" (3-D input), "bilinear" (4-D), "trilinear" (5-D)
  std::optional<bool> align_corners{};  ///< linear modes only; false by default
  bool recompute_scale_factor = false;  ///< true: coordinates from the computed size, not from scale_factor
};

/// input (N, C, *spatial).
Tensor interpolate(const Tensor& input, const InterpolateOptions& options);

/// @}
}  // namespace nabla
