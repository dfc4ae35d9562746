#pragma once
// Private: the backward of a convolution whose output gradient is mostly zeros, as it is under a
// max pool over time or space (a text CNN's conv sees one nonzero per filter and text). Each nonzero
// adds one weighted kernel window, so the work scales with the nonzeros, not the output size.
#include <optional>

#include "nabla/core/tensor.hpp"

namespace nabla::detail {

struct ConvWindow {
  int64_t groups;
  Shape stride, dilation, pad_l;  // per spatial dim
};

struct ConvGrads {
  Tensor input, weight, bias;
};

// x (N, C, *in) in any dense dim order, w (O, C/groups, *k) and gy (N, O, *out) contiguous, for a
// non-transposed conv. The input gradient comes back channels-last (a permuted view). Returns
// nothing when more than 1/32 of gy is nonzero: the dense oneDNN backward is faster then (measured
// on the text CNN: a nonzero costs ~120 ns here, an element of oneDNN's dense backward ~6 ns, so
// they break even near 1/20; the MNIST CNN's conv2, after a 2x2 max pool and a ReLU, stays dense).
std::optional<ConvGrads> sparse_conv_backward(const Tensor& x, const Tensor& w, const Tensor& gy,
                                              const ConvWindow& window, bool need_input, bool need_weight,
                                              bool need_bias);

}  // namespace nabla::detail
