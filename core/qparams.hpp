#pragma once
/// @file
/// What makes a uint8/int8 tensor a quantized one (torch.quint8, torch.qint8): each stored integer q stands for the
/// real value (q - zero_point) · scale, with one scale and zero point for the whole tensor (torch.per_tensor_affine)
/// or one per slice along `axis` (torch.per_channel_affine, for weights).
/// @ingroup tensors
#include <cstdint>
#include <vector>

namespace nabla {
/// @addtogroup tensors
/// @{

/// The schemes a quantized tensor has, and the symmetric ones an observer may choose its parameters by (the tensor
/// it quantizes is then affine with a fixed zero point), as torch.qscheme.
enum class QScheme : uint8_t { PerTensorAffine, PerChannelAffine, PerTensorSymmetric, PerChannelSymmetric };
const char* qscheme_name(QScheme scheme);  ///< "per_tensor_affine", ...

/// A quantized tensor's parameters: scheme, scales, zero points, axis.
struct QParams {
  QScheme scheme = QScheme::PerTensorAffine;  ///< affine or symmetric, per tensor or per channel
  std::vector<double> scales;                 ///< one, or one per channel
  std::vector<int64_t> zero_points;           ///< as many as scales
  int64_t axis = 0;                           ///< per channel: the channels' dim
};

/// @}
}  // namespace nabla
