#pragma once
/// @file
/// Convolutions and transposed convolutions in 1-D, 2-D and 3-D, on oneDNN, with PyTorch's contract:
/// the same arguments, defaults, output shapes, errors and numbers as torch.nn.functional.conv*d.
///
/// @code
///   auto y = F::conv2d(x, w, b, {.stride = 2, .padding = "same"});
///   auto z = F::conv_transpose1d(x, w, {}, {.stride = 2, .output_padding = 1});
/// @endcode
///
/// Inputs are batched (N, C, *spatial) or unbatched (C, *spatial); weights are PyTorch's:
/// (out, in/groups, *kernel) for conv, (in, out/groups, *kernel) for conv_transpose.
/// @ingroup functional
#include <initializer_list>
#include <string>
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla {
/// @addtogroup functional
/// @{

/// One integer per spatial dim, written as a single number (used for every dim) or a braced list:
/// `.kernel_size = 3`, `.kernel_size = {3, 5}`. The length is checked where the value is used.
template <size_t D>
struct Dims {
  template <std::integral I>
  Dims(I value) : values(D, static_cast<int64_t>(value)) {}     ///< one value for every dim
  Dims(std::initializer_list<int64_t> list) : values(list) {}   ///< one value per dim, e.g. {3, 5}
  Dims(std::vector<int64_t> list) : values(std::move(list)) {}  ///< one value per dim
  std::vector<int64_t> values;                                  ///< the values, as given (D of them when valid)
};

/// Conv padding: numbers as Dims, or "valid" (none) or "same" (output size = input size, stride 1).
template <size_t D>
struct Padding {
  template <std::integral I>
  Padding(I value) : values(D, static_cast<int64_t>(value)) {}     ///< one value for every dim
  Padding(std::initializer_list<int64_t> list) : values(list) {}   ///< one value per dim
  Padding(std::vector<int64_t> list) : values(std::move(list)) {}  ///< one value per dim
  Padding(const char* mode) : mode(mode) {}                        ///< "valid" or "same"
  Padding(std::string mode) : mode(std::move(mode)) {}             ///< "valid" or "same"
  std::vector<int64_t> values;                                     ///< the numbers (empty when a mode is given)
  std::string mode;                                                ///< "" when numeric
};

/// The options of F::conv1d/2d/3d, in PyTorch's order (the weight and bias are arguments).
template <size_t D>
struct ConvFuncOptions {
  Dims<D> stride = 1;      ///< the step of the kernel over the input
  Padding<D> padding = 0;  ///< zeros added on both sides of every spatial dim, or "valid" / "same"
  Dims<D> dilation = 1;    ///< the spacing between kernel elements (à trous)
  int64_t groups = 1;      ///< channel groups: input and output channels split into `groups` independent convolutions
};

/// Note PyTorch's order: output_padding and groups come before dilation.
/// padding also takes "valid" (0) and "same" (output = input · stride), which PyTorch lacks
/// (pytorch#80301): see conv_shape::transposed_same_padding.
template <size_t D>
struct ConvTransposeFuncOptions {
  Dims<D> stride = 1;      ///< the step of the (transposed) kernel over the output
  Padding<D> padding = 0;  ///< dilation · (kernel_size - 1) - padding zeros on both sides of the input, as PyTorch
  /// extra size added to one side of the output (resolves the shape ambiguity of stride > 1)
  Dims<D> output_padding = 0;
  int64_t groups = 1;    ///< channel groups, as for conv
  Dims<D> dilation = 1;  ///< the spacing between kernel elements
};

/// F.conv1d: input (N, C_in, L) or unbatched (C_in, L); weight (C_out, C_in / groups, k); bias (C_out) or undefined.
/// Shape, group and size errors are nabla::Error naming the op and the shapes (the 29-row catalogue of
/// ARCHITECTURE.md).
Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias = {},
              const ConvFuncOptions<1>& options = {});
/// F.conv2d: input (N, C_in, H, W) or (C_in, H, W); weight (C_out, C_in / groups, kH, kW); bias (C_out) or undefined.
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = {},
              const ConvFuncOptions<2>& options = {});
/// F.conv3d: input (N, C_in, D, H, W) or (C_in, D, H, W); weight (C_out, C_in / groups, kD, kH, kW).
Tensor conv3d(const Tensor& input, const Tensor& weight, const Tensor& bias = {},
              const ConvFuncOptions<3>& options = {});
/// F.conv_transpose1d: input (N, C_in, L); weight (C_in, C_out / groups, k), as PyTorch's (the gradient of conv1d).
Tensor conv_transpose1d(const Tensor& input, const Tensor& weight, const Tensor& bias = {},
                        const ConvTransposeFuncOptions<1>& options = {});
/// F.conv_transpose2d: input (N, C_in, H, W); weight (C_in, C_out / groups, kH, kW).
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias = {},
                        const ConvTransposeFuncOptions<2>& options = {});
/// F.conv_transpose3d: input (N, C_in, D, H, W); weight (C_in, C_out / groups, kD, kH, kW).
Tensor conv_transpose3d(const Tensor& input, const Tensor& weight, const Tensor& bias = {},
                        const ConvTransposeFuncOptions<3>& options = {});

// ---- The rank-independent form every entry point above and every conv module goes through.

/// A convolution's settings, one value per spatial dim, whatever the rank: what the modules and functions pass on.
struct ConvParams {
  Shape stride;              ///< one value per spatial dim
  Shape dilation;            ///< one value per spatial dim
  Shape padding;             ///< numeric padding per dim (each side); zeros when padding_mode is set
  std::string padding_mode;  ///< "", "valid" or "same"
  Shape output_padding;      ///< transposed only
  int64_t groups = 1;        ///< channel groups
  bool transposed = false;   ///< a transposed convolution
  bool winograd = false;     ///< opt-in, conv only: see ConvOptions::winograd
  /// Conv only: relu(conv(x)) with the ReLU as the primitive's post-op (one pass over the output, not two),
  /// recorded as ConvolutionBackward0 then ReluBackward0. nn::Sequential sets it for a Conv followed by a ReLU.
  bool relu = false;
};

/// Checks what can be checked without an input (PyTorch's constructor checks plus the ones it
/// forgets: non-positive kernel, stride, dilation; negative padding; strings on transposed convs).
/// `who` names the caller in messages, e.g. "Conv2d(3->16, k=5)" or "conv2d".
void validate_conv_params(const ConvParams& params, const Shape& kernel, const std::string& who);

/// The int8 convolution (PyTorch's quantized::conv2d; what quantization::convert's conv layers run): a uint8 input
/// quantized per tensor, an int8 weight quantized per output channel (or per tensor) with zero points 0, a float32
/// bias; the result uint8, quantized with output_scale and output_zero_point, with the ReLU fused when params.relu.
/// oneDNN's u8·s8 kernels (VNNI) with the requantization as per-channel output scales; the result stays in the
/// primitive's layout for the next int8 op. Inference only: no gradient.
Tensor quantized_convolution(const Tensor& input, const Tensor& weight, const Tensor& bias, const ConvParams& params,
                             int64_t dims, double output_scale, int64_t output_zero_point, const std::string& who);

/// The options in the rank-independent form, each Dims expanded to one value per spatial dim (with
/// PyTorch's message for a wrong length). The functional ops and the modules both go through these.
template <size_t D>
ConvParams to_params(const ConvFuncOptions<D>& options, const std::string& who);
/// the same for transposed convolutions
template <size_t D>
ConvParams to_params(const ConvTransposeFuncOptions<D>& options, const std::string& who);

/// input, weight, bias as in conv*d/conv_transpose*d; `dims` is the number of spatial dims.
Tensor convolution(const Tensor& input, const Tensor& weight, const Tensor& bias, const ConvParams& params,
                   int64_t dims, const std::string& who);
/// convolution() for params validated once already (a conv module's, in its constructor): checks only the tensors.
Tensor convolution_with_checked_params(const Tensor& input, const Tensor& weight, const Tensor& bias,
                                       const ConvParams& params, int64_t dims, const std::string& who);

/// Expands Dims to one value per spatial dim, with PyTorch's message for a wrong length.
std::vector<int64_t> expand_dims(const std::vector<int64_t>& values, int64_t dims, const char* name,
                                 const std::string& who);

namespace conv_shape {
/// Per spatial dim. Conv: floor((in + pad_l + pad_r - dilation*(k-1) - 1) / stride) + 1.
int64_t output_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad_l, int64_t pad_r, int64_t dilation);
/// Transposed: (in-1)*stride - 2*padding + dilation*(k-1) + output_padding + 1.
int64_t transposed_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t padding, int64_t dilation,
                               int64_t output_padding);
/// 'same' padding: total dilation*(k-1), left floor(total/2), the rest on the right.
std::pair<int64_t, int64_t> same_padding(int64_t kernel, int64_t dilation);
/// Transposed 'same' (TensorFlow's conv2d_transpose 'SAME': output = input · stride): what to crop
/// from each end of the full output (in-1)·stride + dilation·(k-1) + 1. The total to crop is
/// dilation·(k-1) + 1 - stride, split floor/ceil with the extra cropped on the right (the adjoint of
/// a 'same' conv, whose extra padding is on the right). When it is negative (stride larger than the
/// dilated kernel) nothing is cropped on the left and the output is extended on the right by
/// -total positions that no kernel tap reaches (they hold the bias).
std::pair<int64_t, int64_t> transposed_same_padding(int64_t kernel, int64_t stride, int64_t dilation);
}  // namespace conv_shape

/// @}
}  // namespace nabla
