#include "nabla/nn/pooling.hpp"

namespace nabla::nn {
namespace {

// PyTorch prints pooling sizes as given: a number when every dim agrees, else a tuple.
std::string value_str(const Shape& values) {
  if (std::all_of(values.begin(), values.end(), [&](int64_t v) { return v == values[0]; }))
    return std::to_string(values[0]);
  std::string s = "(";
  for (size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + std::to_string(values[i]);
  return s + ")";
}

const char* bool_str(bool b) { return b ? "True" : "False"; }

}  // namespace

template <size_t D>
MaxPoolNd<D>::MaxPoolNd(const MaxPoolOptions<D>& opts) : options(opts), params_(to_params(opts, name())) {
  validate_pool_params(params_, name());
}

template <size_t D>
Tensor MaxPoolNd<D>::forward(const Tensor& input) {
  return pool_with_checked_params(input, params_, D, name());
}

template <size_t D>
std::string MaxPoolNd<D>::extra_repr() const {
  return "kernel_size=" + value_str(params_.kernel) + ", stride=" + value_str(params_.stride) +
         ", padding=" + value_str(params_.padding) + ", dilation=" + value_str(params_.dilation) +
         ", ceil_mode=" + bool_str(params_.ceil_mode);
}

template <size_t D>
AvgPoolNd<D>::AvgPoolNd(const AvgPoolOptions<D>& opts) : options(opts), params_(to_params(opts, name())) {
  validate_pool_params(params_, name());
}

template <size_t D>
Tensor AvgPoolNd<D>::forward(const Tensor& input) {
  return pool_with_checked_params(input, params_, D, name());
}

template <size_t D>
std::string AvgPoolNd<D>::extra_repr() const {
  return "kernel_size=" + value_str(params_.kernel) + ", stride=" + value_str(params_.stride) +
         ", padding=" + value_str(params_.padding);
}

template <size_t D, bool Max>
AdaptivePoolNd<D, Max>::AdaptivePoolNd(const AdaptivePoolOptions<D>& opts)
    : options(opts), output_size_(expand_dims(opts.output_size.values, D, "output_size", name())) {
  check_required(name(), "output_size", output_size_);
}

template <size_t D, bool Max>
Tensor AdaptivePoolNd<D, Max>::forward(const Tensor& input) {
  return adaptive_pool(input, output_size_, Max, D, name());
}

template <size_t D, bool Max>
std::string AdaptivePoolNd<D, Max>::extra_repr() const {
  return "output_size=" + value_str(output_size_);
}

template class MaxPoolNd<1>;
template class MaxPoolNd<2>;
template class MaxPoolNd<3>;
template class AvgPoolNd<1>;
template class AvgPoolNd<2>;
template class AvgPoolNd<3>;
template class AdaptivePoolNd<1, false>;
template class AdaptivePoolNd<2, false>;
template class AdaptivePoolNd<3, false>;
template class AdaptivePoolNd<1, true>;
template class AdaptivePoolNd<2, true>;
template class AdaptivePoolNd<3, true>;

}  // namespace nabla::nn
