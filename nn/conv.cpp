#include "nabla/nn/conv.hpp"

#include "nabla/nn/quantization.hpp"

#include <cmath>

#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/nn/init.hpp"
#include "nabla/ops/pad.hpp"
#include "nn/conv_repr.h"

namespace nabla::nn {
namespace detail {

std::string tuple_str(const std::vector<int64_t>& values) {
  std::string s = "(";
  for (size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + std::to_string(values[i]);
  return s + (values.size() == 1 ? ",)" : ")");
}

std::string describe(const std::string& name, const std::string& in, int64_t out, const std::vector<int64_t>& kernel) {
  const auto size = [](int64_t v) { return v == kRequired ? std::string("?") : std::to_string(v); };  // not given
  const bool square = std::all_of(kernel.begin(), kernel.end(), [&](int64_t k) { return k == kernel[0]; });
  return name + "(" + (in == std::to_string(kRequired) ? "?" : in) + "->" + size(out) +
         ", k=" + (square ? size(kernel[0]) : tuple_str(kernel)) + ")";
}

namespace {
bool all_equal(const std::vector<int64_t>& values, int64_t v) {
  return std::all_of(values.begin(), values.end(), [v](int64_t x) { return x == v; });
}
}  // namespace

std::string conv_repr(const std::string& in, int64_t out, const ConvParams& p, const std::vector<int64_t>& kernel,
                      bool bias, const std::string& padding_mode) {
  std::string s =
      in + ", " + std::to_string(out) + ", kernel_size=" + tuple_str(kernel) + ", stride=" + tuple_str(p.stride);
  if (!p.padding_mode.empty()) s += ", padding=" + p.padding_mode;
  else if (!all_equal(p.padding, 0)) s += ", padding=" + tuple_str(p.padding);
  if (!all_equal(p.dilation, 1)) s += ", dilation=" + tuple_str(p.dilation);
  if (p.transposed && !all_equal(p.output_padding, 0)) s += ", output_padding=" + tuple_str(p.output_padding);
  if (p.groups != 1) s += ", groups=" + std::to_string(p.groups);
  if (!bias) s += ", bias=False";
  if (padding_mode != "zeros") s += ", padding_mode=" + padding_mode;
  return s;
}

}  // namespace detail

namespace {

using detail::conv_repr;
using detail::describe;

void check_channels(const std::string& who, int64_t in, int64_t out, int64_t groups) {
  check_required(who, "in_channels", in);
  check_required(who, "out_channels", out);
  NABLA_CHECK(in >= 0 && out >= 0, who, ": in_channels and out_channels must be non-negative");
  NABLA_CHECK(groups > 0, who, ": groups must be a positive integer, got groups=", groups);
  NABLA_CHECK(in % groups == 0, who, ": in_channels must be divisible by groups (in_channels=", in, ", groups=", groups,
              ")");
  NABLA_CHECK(out % groups == 0, who, ": out_channels must be divisible by groups (out_channels=", out, ", groups=",
              groups, ")");
}

void reset_conv_parameters(Tensor& weight, Tensor& bias) {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    // fan_in = in_channels / groups · ∏ kernel, without the fan_out (out_channels · ∏ kernel) that may overflow
    const int64_t fan_in = numel(Shape(weight.shape().begin() + 1, weight.shape().end()));
    const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    init::uniform_(bias, -bound, bound);
  }
}

Shape weight_shape(int64_t first, int64_t second, const std::vector<int64_t>& kernel) {
  Shape shape{first, second};
  shape.insert(shape.end(), kernel.begin(), kernel.end());
  return shape;
}

void check_rank(const std::string& who, const Tensor& input, int64_t dims, const char* op) {
  NABLA_CHECK(input.defined() && (input.dim() == dims + 1 || input.dim() == dims + 2), who, ": Expected ", dims + 1,
              "D (unbatched) or ", dims + 2, "D (batched) input to ", op, dims, "d, but got input of size: ",
              input.defined() ? shape_str(input.shape()) : "(undefined)");
}

}  // namespace

// ---- ConvNd

template <size_t D>
ConvParams ConvNd<D>::checked_params(const ConvOptions<D>& options, const std::string& who) {
  check_channels(who, options.in_channels, options.out_channels, options.groups);
  const std::string& mode = options.padding_mode;
  NABLA_CHECK(mode == "zeros" || mode == "reflect" || mode == "replicate" || mode == "circular", who,
              ": padding_mode must be one of {'zeros', 'reflect', 'replicate', 'circular'}, but got padding_mode='",
              mode, "'");
  ConvParams params = to_params(ConvFuncOptions<D>{.stride = options.stride, .padding = options.padding,
                                                    .dilation = options.dilation, .groups = options.groups},
                                who);
  params.winograd = options.winograd;
  validate_conv_params(params, expand_dims(options.kernel_size.values, D, "kernel_size", who), who);
  return params;
}

template <size_t D>
ConvNd<D>::ConvNd(const ConvOptions<D>& opts) : options(opts) {
  const auto kernel = expand_dims(options.kernel_size.values, D, "kernel_size", name());
  who_ = describe(name(), std::to_string(options.in_channels), options.out_channels, kernel);
  params_ = checked_params(options, who_);
  if (options.padding_mode != "zeros") {  // an explicit pad (differentiable), then a conv without padding
    for (int64_t d = D - 1; d >= 0; --d) {  // pad() lists the last dim first
      const auto [l, r] = params_.padding_mode == "same"    ? conv_shape::same_padding(kernel[d], params_.dilation[d])
                          : params_.padding_mode == "valid" ? std::pair<int64_t, int64_t>{0, 0}
                                                            : std::pair{params_.padding[d], params_.padding[d]};
      mode_pads_.insert(mode_pads_.end(), {l, r});
    }
  }
  weight = this->register_parameter(
      "weight", empty(weight_shape(options.out_channels, options.in_channels / options.groups, kernel)));
  if (options.bias) bias = this->register_parameter("bias", empty({options.out_channels}));
  reset_parameters();
}

template <size_t D>
void ConvNd<D>::reset_parameters() {
  reset_conv_parameters(weight, bias);
}

template <size_t D>
Tensor ConvNd<D>::forward(const Tensor& input) {
  return run(input, false);
}

template <size_t D>
Tensor ConvNd<D>::forward_relu(const Tensor& input) {
  return run(input, true);
}

template <size_t D>
Tensor ConvNd<D>::run(const Tensor& input, bool relu) {
  const auto& quantized = this->quantization_state();
  if (!quantized)
    return float_run(input.defined() && input.is_quantized() ? input.dequantize() : input, weight, bias, relu);
  relu = relu || quantized->relu();
  if (!quantized->converted())
    return quantized->observe(input, [&](const Tensor& x) {
      return float_run(x, quantized->float_weight(weight), quantized->bias(bias), relu);
    });
  ConvParams params = params_;
  params.relu = relu;
  return quantized_convolution(quantized->input(input), quantized->weight(), quantized->bias(bias), params, D,
                               quantized->output_scale(), quantized->output_zero_point(), who_);
}

template <size_t D>
Tensor ConvNd<D>::float_run(const Tensor& input, const Tensor& w, const Tensor& b, bool relu) {
  ConvParams params = params_;
  params.relu = relu;
  if (mode_pads_.empty()) return convolution_with_checked_params(input, w, b, params, D, who_);
  check_rank(who_, input, D, "conv");  // before the pad, so a rank error is reported as one
  params.padding_mode.clear();
  params.padding.assign(D, 0);
  return convolution_with_checked_params(pad(input, mode_pads_, options.padding_mode), w, b, params, D, who_);
}

template <size_t D>
std::string ConvNd<D>::extra_repr() const {
  return conv_repr(std::to_string(options.in_channels), options.out_channels, params_,
                   Shape(weight.shape().begin() + 2, weight.shape().end()), bias.defined(), options.padding_mode);
}

// ---- ConvTransposeNd

template <size_t D>
ConvParams ConvTransposeNd<D>::checked_params(const ConvTransposeOptions<D>& options, const std::string& who) {
  check_channels(who, options.in_channels, options.out_channels, options.groups);
  NABLA_CHECK(options.padding_mode == "zeros", who, ": Only \"zeros\" padding mode is supported for ConvTranspose",
              D, "d, got padding_mode='", options.padding_mode, "'");
  ConvParams params = to_params(ConvTransposeFuncOptions<D>{.stride = options.stride, .padding = options.padding,
                                                             .output_padding = options.output_padding,
                                                             .groups = options.groups, .dilation = options.dilation},
                                who);
  validate_conv_params(params, expand_dims(options.kernel_size.values, D, "kernel_size", who), who);
  return params;
}

template <size_t D>
ConvTransposeNd<D>::ConvTransposeNd(const ConvTransposeOptions<D>& opts) : options(opts) {
  const auto kernel = expand_dims(options.kernel_size.values, D, "kernel_size", name());
  who_ = describe(name(), std::to_string(options.in_channels), options.out_channels, kernel);
  params_ = checked_params(options, who_);
  weight = this->register_parameter(
      "weight", empty(weight_shape(options.in_channels, options.out_channels / options.groups, kernel)));
  if (options.bias) bias = this->register_parameter("bias", empty({options.out_channels}));
  reset_parameters();
}

template <size_t D>
void ConvTransposeNd<D>::reset_parameters() {
  reset_conv_parameters(weight, bias);  // fan_in from weight.size(1): out/groups · ∏kernel
}

template <size_t D>
Tensor ConvTransposeNd<D>::forward(const Tensor& input, const std::vector<int64_t>& output_size) {
  if (output_size.empty()) return convolution_with_checked_params(input, weight, bias, params_, D, who_);
  check_rank(who_, input, D, "conv_transpose");
  NABLA_CHECK(params_.padding_mode != "same", who_, ": output_size can't be given with padding='same', which fixes "
              "the output size at input * stride");
  // torch.nn.modules.conv._ConvTransposeNd._output_padding: the spatial sizes, or the whole shape.
  const int64_t full = input.dim();
  NABLA_CHECK(static_cast<int64_t>(output_size.size()) == static_cast<int64_t>(D) ||
                  static_cast<int64_t>(output_size.size()) == full,
              who_, ": ConvTranspose", D, "D: for ", full, "D input, output_size must have ", D, " or ", full,
              " elements (got ", output_size.size(), ")");
  const std::vector<int64_t> spatial(output_size.end() - D, output_size.end());
  Shape min_sizes, max_sizes;
  ConvParams params = params_;
  for (size_t d = 0; d < D; ++d) {
    const int64_t in = input.size(full - D + d), k = weight.size(2 + d);
    const int64_t min_size = conv_shape::transposed_output_size(in, k, params_.stride[d], params_.padding[d],
                                                                params_.dilation[d], 0);
    min_sizes.push_back(min_size);
    max_sizes.push_back(checked_add(min_size, params_.stride[d] - 1, who_));
  }
  for (size_t d = 0; d < D; ++d) {
    NABLA_CHECK(spatial[d] >= min_sizes[d] && spatial[d] <= max_sizes[d], who_, ": requested an output size of ",
                shape_str(spatial), ", but valid sizes range from ", shape_str(min_sizes), " to ", shape_str(max_sizes),
                " (for an input of ", shape_str(Shape(input.shape().end() - D, input.shape().end())), ")");
    params.output_padding[d] = spatial[d] - min_sizes[d];  // in [0, stride) once checked
  }
  return convolution_with_checked_params(input, weight, bias, params, D, who_);
}

template <size_t D>
std::string ConvTransposeNd<D>::extra_repr() const {
  return conv_repr(std::to_string(options.in_channels), options.out_channels, params_,
                   Shape(weight.shape().begin() + 2, weight.shape().end()), bias.defined(), options.padding_mode);
}

template class ConvNd<1>;
template class ConvNd<2>;
template class ConvNd<3>;
template class ConvTransposeNd<1>;
template class ConvTransposeNd<2>;
template class ConvTransposeNd<3>;

}  // namespace nabla::nn
