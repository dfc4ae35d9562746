#pragma once
/// @file
/// Padding layers over F::pad: ZeroPad1d/2d/3d, ConstantPad1d/2d/3d, ReflectionPad1d/2d/3d,
/// ReplicationPad1d/2d/3d and CircularPad1d/2d/3d (PyTorch 2.1's names; 1.13 has circular only in F::pad).
/// padding: one number for every side, or (left, right[, top, bottom[, front, back]]) as PyTorch's.
#include "nabla/nn/module.hpp"

namespace nabla::nn {

enum class PadMode { Zero, Constant, Reflection, Replication, Circular };

struct PadOptions {
  Sizes padding = kRequired;
  double value = 0.0;  ///< ConstantPad's fill; the other modes ignore it
};

template <size_t D, PadMode Mode>
class PadNd : public Layer<PadNd<D, Mode>> {
 public:
  explicit PadNd(const PadOptions& options);
  Tensor forward(const Tensor& input);
  std::string name() const override;
  std::string extra_repr() const override;

  PadOptions options;

 private:
  std::vector<int64_t> pads_;  ///< 2·D numbers, last dim first, as F::pad takes them
};

using ZeroPad1d = PadNd<1, PadMode::Zero>;
using ZeroPad2d = PadNd<2, PadMode::Zero>;
using ZeroPad3d = PadNd<3, PadMode::Zero>;
using ConstantPad1d = PadNd<1, PadMode::Constant>;
using ConstantPad2d = PadNd<2, PadMode::Constant>;
using ConstantPad3d = PadNd<3, PadMode::Constant>;
using ReflectionPad1d = PadNd<1, PadMode::Reflection>;
using ReflectionPad2d = PadNd<2, PadMode::Reflection>;
using ReflectionPad3d = PadNd<3, PadMode::Reflection>;
using ReplicationPad1d = PadNd<1, PadMode::Replication>;
using ReplicationPad2d = PadNd<2, PadMode::Replication>;
using ReplicationPad3d = PadNd<3, PadMode::Replication>;
using CircularPad1d = PadNd<1, PadMode::Circular>;
using CircularPad2d = PadNd<2, PadMode::Circular>;
using CircularPad3d = PadNd<3, PadMode::Circular>;

}  // namespace nabla::nn
