#pragma once
/// @file
/// MaxPool1d/2d/3d, AvgPool1d/2d/3d, AdaptiveAvgPool1d/2d/3d, AdaptiveMaxPool1d/2d/3d: one N-d
/// template each over the functional ops, with PyTorch's options and repr.
/// @ingroup layers_pool
#include "nabla/nn/module.hpp"
#include "nabla/ops/pooling.hpp"

namespace nabla::nn {
/// @addtogroup layers_pool
/// @{

/// torch.nn.MaxPool1d/2d/3d.
template <size_t D>
class MaxPoolNd : public Layer<MaxPoolNd<D>> {
 public:
  explicit MaxPoolNd(const MaxPoolOptions<D>& options);  ///< checks the options once
  Tensor forward(const Tensor& input);  ///< input (N, C, *D dims) or (C, *D dims); the maximum of each window
  std::string name() const override { return "MaxPool" + std::to_string(D) + "d"; }
  std::string extra_repr() const override;

  MaxPoolOptions<D> options;  ///< as constructed

 private:
  PoolParams params_;
};

/// torch.nn.AvgPool1d/2d/3d.
template <size_t D>
class AvgPoolNd : public Layer<AvgPoolNd<D>> {
 public:
  explicit AvgPoolNd(const AvgPoolOptions<D>& options);  ///< checks the options once
  Tensor forward(const Tensor& input);  ///< input (N, C, *D dims) or (C, *D dims); the mean of each window
  std::string name() const override { return "AvgPool" + std::to_string(D) + "d"; }
  std::string extra_repr() const override;

  AvgPoolOptions<D> options;  ///< as constructed

 private:
  PoolParams params_;
};

/// The options of the adaptive pooling modules.
template <size_t D>
struct AdaptivePoolOptions {
  Dims<D> output_size = kRequired;  ///< the output's spatial size, one number or one per dim (required)
};

/// torch.nn.AdaptiveAvgPool1d/2d/3d and AdaptiveMaxPool1d/2d/3d: windows chosen to give output_size.
template <size_t D, bool Max>
class AdaptivePoolNd : public Layer<AdaptivePoolNd<D, Max>> {
 public:
  explicit AdaptivePoolNd(const AdaptivePoolOptions<D>& options);  ///< checks the options once
  Tensor forward(const Tensor& input);  ///< input (N, C, *D dims) or (C, *D dims) → (N, C, *output_size)
  std::string name() const override {
    return std::string("Adaptive") + (Max ? "Max" : "Avg") + "Pool" + std::to_string(D) + "d";
  }
  std::string extra_repr() const override;

  AdaptivePoolOptions<D> options;  ///< as constructed

 private:
  Shape output_size_;
};

using MaxPool1d = MaxPoolNd<1>;                      ///< torch.nn.MaxPool1d
using MaxPool2d = MaxPoolNd<2>;                      ///< torch.nn.MaxPool2d
using MaxPool3d = MaxPoolNd<3>;                      ///< torch.nn.MaxPool3d
using AvgPool1d = AvgPoolNd<1>;                      ///< torch.nn.AvgPool1d
using AvgPool2d = AvgPoolNd<2>;                      ///< torch.nn.AvgPool2d
using AvgPool3d = AvgPoolNd<3>;                      ///< torch.nn.AvgPool3d
using AdaptiveAvgPool1d = AdaptivePoolNd<1, false>;  ///< torch.nn.AdaptiveAvgPool1d
using AdaptiveAvgPool2d = AdaptivePoolNd<2, false>;  ///< torch.nn.AdaptiveAvgPool2d
using AdaptiveAvgPool3d = AdaptivePoolNd<3, false>;  ///< torch.nn.AdaptiveAvgPool3d
using AdaptiveMaxPool1d = AdaptivePoolNd<1, true>;   ///< torch.nn.AdaptiveMaxPool1d (values only)
using AdaptiveMaxPool2d = AdaptivePoolNd<2, true>;   ///< torch.nn.AdaptiveMaxPool2d (values only)
using AdaptiveMaxPool3d = AdaptivePoolNd<3, true>;   ///< torch.nn.AdaptiveMaxPool3d (values only)

/// @}
}  // namespace nabla::nn
