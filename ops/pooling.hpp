#pragma once
/// @file
/// Pooling in 1-D, 2-D and 3-D, with torch.nn.functional's arguments and output sizes:
/// max_pool*d and avg_pool*d on oneDNN (the forward's workspace kept for the backward),
/// adaptive_avg_pool*d and adaptive_max_pool*d as direct loops.
/// @ingroup functional
#include <vector>

#include "nabla/core/tensor.hpp"
#include "nabla/ops/conv.hpp"

namespace nabla {
/// @addtogroup functional
/// @{

/// The options of F.max_pool1d/2d/3d (nn::MaxPool*), in PyTorch's order.
template <size_t D>
struct MaxPoolOptions {
  Dims<D> kernel_size = kRequired;          ///< the window's size
  Dims<D> stride = std::vector<int64_t>{};  ///< empty: kernel_size, as in PyTorch
  Dims<D> padding = 0;                      ///< implicit -inf padding on both sides (at most half the kernel)
  Dims<D> dilation = 1;                     ///< the spacing between window elements
  bool ceil_mode = false;                   ///< ceil instead of floor when computing the output size
};

/// The options of F.avg_pool1d/2d/3d (nn::AvgPool*), in PyTorch's order.
template <size_t D>
struct AvgPoolOptions {
  Dims<D> kernel_size = kRequired;          ///< the window's size
  Dims<D> stride = std::vector<int64_t>{};  ///< empty: kernel_size
  Dims<D> padding = 0;                      ///< implicit zero padding on both sides (at most half the kernel)
  bool ceil_mode = false;                   ///< ceil instead of floor when computing the output size
  bool count_include_pad = true;            ///< the zero padding counts in the average's divisor
};

/// F.max_pool1d: input (N, C, L) or (C, L); the maximum of each window (NaN wins).
Tensor max_pool1d(const Tensor& input, const MaxPoolOptions<1>& options);
/// F.max_pool2d: input (N, C, H, W) or (C, H, W)
Tensor max_pool2d(const Tensor& input, const MaxPoolOptions<2>& options);
/// F.max_pool3d: input (N, C, D, H, W) or (C, D, H, W)
Tensor max_pool3d(const Tensor& input, const MaxPoolOptions<3>& options);
/// F.avg_pool1d: input (N, C, L) or (C, L); the mean of each window
Tensor avg_pool1d(const Tensor& input, const AvgPoolOptions<1>& options);
/// F.avg_pool2d: input (N, C, H, W) or (C, H, W)
Tensor avg_pool2d(const Tensor& input, const AvgPoolOptions<2>& options);
/// F.avg_pool3d: input (N, C, D, H, W) or (C, D, H, W)
Tensor avg_pool3d(const Tensor& input, const AvgPoolOptions<3>& options);
/// output_size: one size per spatial dim (or one for all).
Tensor adaptive_avg_pool1d(const Tensor& input, const Dims<1>& output_size);
/// F.adaptive_avg_pool2d: (N, C, H, W) → (N, C, *output_size)
Tensor adaptive_avg_pool2d(const Tensor& input, const Dims<2>& output_size);
Tensor adaptive_avg_pool3d(const Tensor& input, const Dims<3>& output_size);  ///< F.adaptive_avg_pool3d
Tensor adaptive_max_pool1d(const Tensor& input, const Dims<1>& output_size);  ///< F.adaptive_max_pool1d (values only)
Tensor adaptive_max_pool2d(const Tensor& input, const Dims<2>& output_size);  ///< F.adaptive_max_pool2d (values only)
Tensor adaptive_max_pool3d(const Tensor& input, const Dims<3>& output_size);  ///< F.adaptive_max_pool3d (values only)

// ---- the rank-independent forms the functions above and the pooling modules use

/// A pooling's settings, one value per spatial dim, whatever the rank.
struct PoolParams {
  bool max = true;                ///< else average
  Shape kernel;                   ///< the window's size, per spatial dim
  Shape stride;                   ///< per spatial dim
  Shape padding;                  ///< per spatial dim, each side
  Shape dilation;                 ///< per spatial dim
  bool ceil_mode = false;         ///< ceil instead of floor for the output size
  bool count_include_pad = true;  ///< average pooling counts the padding
};

/// The options in the rank-independent form (stride defaulting to kernel_size); functional ops and
/// modules both go through these.
template <size_t D>
PoolParams to_params(const MaxPoolOptions<D>& options, const std::string& who);
template <size_t D>
PoolParams to_params(const AvgPoolOptions<D>& options, const std::string& who);  ///< the same for average pooling

/// PyTorch's construction-time checks; `who` names the caller, e.g. "MaxPool2d" or "max_pool2d".
void validate_pool_params(const PoolParams& params, const std::string& who);
/// Pools `input` with `params` over `dims` spatial dims, validating them first (`who` names the caller).
Tensor pool(const Tensor& input, const PoolParams& params, int64_t dims, const std::string& who);
/// pool() for params validated once already (a pooling module's, in its constructor): checks only the input.
Tensor pool_with_checked_params(const Tensor& input, const PoolParams& params, int64_t dims, const std::string& who);
/// Adaptive pooling over `dims` spatial dims to output_size (max: the maximum, else the mean).
Tensor adaptive_pool(const Tensor& input, const Shape& output_size, bool max, int64_t dims, const std::string& who);

namespace pool_shape {
/// floor (or ceil) of (in + 2·pad - dilation·(k-1) - 1) / stride + 1, where a last window that would
/// start in the right padding is dropped, as in PyTorch.
int64_t output_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation, bool ceil_mode);
}  // namespace pool_shape

/// @}
}  // namespace nabla
