#pragma once
/// @file
/// MaxPool1d/2d/3d, AvgPool1d/2d/3d, AdaptiveAvgPool1d/2d/3d, AdaptiveMaxPool1d/2d/3d: one N-d
/// template each over the functional ops, with PyTorch's options and repr.
#include "nabla/nn/module.hpp"
#include "nabla/ops/pooling.hpp"

namespace nabla::nn {

template <size_t D>
class MaxPoolNd : public Layer<MaxPoolNd<D>> {
 public:
  explicit MaxPoolNd(const MaxPoolOptions<D>& options);
  Tensor forward(const Tensor& input);
  std::string name() const override { return "MaxPool" + std::to_string(D) + "d"; }
  std::string extra_repr() const override;

  MaxPoolOptions<D> options;

 private:
  PoolParams params_;
};

template <size_t D>
class AvgPoolNd : public Layer<AvgPoolNd<D>> {
 public:
  explicit AvgPoolNd(const AvgPoolOptions<D>& options);
  Tensor forward(const Tensor& input);
  std::string name() const override { return "AvgPool" + std::to_string(D) + "d"; }
  std::string extra_repr() const override;

  AvgPoolOptions<D> options;

 private:
  PoolParams params_;
};

template <size_t D>
struct AdaptivePoolOptions {
  Dims<D> output_size = kRequired;
};

template <size_t D, bool Max>
class AdaptivePoolNd : public Layer<AdaptivePoolNd<D, Max>> {
 public:
  explicit AdaptivePoolNd(const AdaptivePoolOptions<D>& options);
  Tensor forward(const Tensor& input);
  std::string name() const override {
    return std::string("Adaptive") + (Max ? "Max" : "Avg") + "Pool" + std::to_string(D) + "d";
  }
  std::string extra_repr() const override;

  AdaptivePoolOptions<D> options;

 private:
  Shape output_size_;
};

using MaxPool1d = MaxPoolNd<1>;
using MaxPool2d = MaxPoolNd<2>;
using MaxPool3d = MaxPoolNd<3>;
using AvgPool1d = AvgPoolNd<1>;
using AvgPool2d = AvgPoolNd<2>;
using AvgPool3d = AvgPoolNd<3>;
using AdaptiveAvgPool1d = AdaptivePoolNd<1, false>;
using AdaptiveAvgPool2d = AdaptivePoolNd<2, false>;
using AdaptiveAvgPool3d = AdaptivePoolNd<3, false>;
using AdaptiveMaxPool1d = AdaptivePoolNd<1, true>;
using AdaptiveMaxPool2d = AdaptivePoolNd<2, true>;
using AdaptiveMaxPool3d = AdaptivePoolNd<3, true>;

}  // namespace nabla::nn
