#pragma once
/// @file
/// Padding layers over F::pad: ZeroPad1d/2d/3d, ConstantPad1d/2d/3d, ReflectionPad1d/2d/3d,
/// ReplicationPad1d/2d/3d and CircularPad1d/2d/3d (PyTorch 2.1's names; 1.13 has circular only in F::pad).
/// padding: one number for every side, or (left, right[, top, bottom[, front, back]]) as PyTorch's.
/// @ingroup layers_pool
#include "nabla/nn/module.hpp"

namespace nabla::nn {
/// @addtogroup layers_pool
/// @{

/// The padding modules' modes (F::pad's "constant", "reflect", "replicate", "circular").
enum class PadMode { Zero, Constant, Reflection, Replication, Circular };

/// The options of the padding modules.
struct PadOptions {
  /// one number for every side, or 2·D numbers (left, right, top, bottom, front, back) (required)
  Sizes padding = kRequired;
  double value = 0.0;  ///< ConstantPad's fill; the other modes ignore it
};

/// torch.nn.{Zero,Constant,Reflection,Replication,Circular}Pad{1,2,3}d: pads the last D dims.
template <size_t D, PadMode Mode>
class PadNd : public Layer<PadNd<D, Mode>> {
 public:
  explicit PadNd(const PadOptions& options);  ///< checks the options once
  Tensor forward(const Tensor& input);        ///< input (N, C, *D dims) or (C, *D dims), padded
  std::string name() const override;
  std::string extra_repr() const override;

  PadOptions options;  ///< as constructed

 private:
  std::vector<int64_t> pads_;  ///< 2·D numbers, last dim first, as F::pad takes them
};

using ZeroPad1d = PadNd<1, PadMode::Zero>;                ///< torch.nn.ZeroPad1d
using ZeroPad2d = PadNd<2, PadMode::Zero>;                ///< torch.nn.ZeroPad2d
using ZeroPad3d = PadNd<3, PadMode::Zero>;                ///< torch.nn.ZeroPad3d
using ConstantPad1d = PadNd<1, PadMode::Constant>;        ///< torch.nn.ConstantPad1d
using ConstantPad2d = PadNd<2, PadMode::Constant>;        ///< torch.nn.ConstantPad2d
using ConstantPad3d = PadNd<3, PadMode::Constant>;        ///< torch.nn.ConstantPad3d
using ReflectionPad1d = PadNd<1, PadMode::Reflection>;    ///< torch.nn.ReflectionPad1d
using ReflectionPad2d = PadNd<2, PadMode::Reflection>;    ///< torch.nn.ReflectionPad2d
using ReflectionPad3d = PadNd<3, PadMode::Reflection>;    ///< torch.nn.ReflectionPad3d
using ReplicationPad1d = PadNd<1, PadMode::Replication>;  ///< torch.nn.ReplicationPad1d
using ReplicationPad2d = PadNd<2, PadMode::Replication>;  ///< torch.nn.ReplicationPad2d
using ReplicationPad3d = PadNd<3, PadMode::Replication>;  ///< torch.nn.ReplicationPad3d
using CircularPad1d = PadNd<1, PadMode::Circular>;        ///< torch.nn.CircularPad1d (PyTorch 2.1's)
using CircularPad2d = PadNd<2, PadMode::Circular>;        ///< torch.nn.CircularPad2d
using CircularPad3d = PadNd<3, PadMode::Circular>;        ///< torch.nn.CircularPad3d

/// @}
}  // namespace nabla::nn
