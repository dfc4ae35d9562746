#pragma once
// Private: how the conv layers name themselves in messages and print their options, shared by the
// eager layers (nn/conv.cpp) and the lazy ones (nn/lazy_conv.cpp).
#include <string>
#include <vector>

#include "nabla/ops/conv.hpp"

namespace nabla::nn::detail {

// (3, 3) or (3,): how PyTorch prints a tuple.
std::string tuple_str(const std::vector<int64_t>& values);

// "Conv2d(3->16, k=5)": the layer as error messages name it; `in` is "?" for a lazy layer.
std::string describe(const std::string& name, const std::string& in, int64_t out, const std::vector<int64_t>& kernel);

// torch.nn.modules.conv._ConvNd.extra_repr: only what differs from the defaults.
std::string conv_repr(const std::string& in, int64_t out, const ConvParams& params, const std::vector<int64_t>& kernel,
                      bool bias, const std::string& padding_mode);

}  // namespace nabla::nn::detail
