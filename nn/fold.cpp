#include "nabla/nn/fold.hpp"

namespace nabla::nn {
namespace {

// As PyTorch prints the argument: a number as given, a list as a tuple.
std::string sizes_str(const Sizes& sizes) {
  if (sizes.scalar) return std::to_string(sizes.values[0]);
  std::string s = "(";
  for (size_t i = 0; i < sizes.values.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes.values[i]);
  return s + (sizes.values.size() == 1 ? ",)" : ")");
}

std::string blocks_str(const Sizes& kernel, const Sizes& dilation, const Sizes& padding, const Sizes& stride) {
  return "kernel_size=" + sizes_str(kernel) + ", dilation=" + sizes_str(dilation) + ", padding=" + sizes_str(padding) +
         ", stride=" + sizes_str(stride);
}

}  // namespace

Unfold::Unfold(const UnfoldOptions& opts) : options(opts) { validate(options); }
Tensor Unfold::forward(const Tensor& input) { return unfold(input, options); }
std::string Unfold::extra_repr() const {
  return blocks_str(options.kernel_size, options.dilation, options.padding, options.stride);
}

Fold::Fold(const FoldOptions& opts) : options(opts) { validate(options); }
Tensor Fold::forward(const Tensor& input) { return fold(input, options); }
std::string Fold::extra_repr() const {
  return "output_size=" + sizes_str(options.output_size) + ", " +
         blocks_str(options.kernel_size, options.dilation, options.padding, options.stride);
}

}  // namespace nabla::nn
