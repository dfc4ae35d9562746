#include "nabla/nn/fusion.hpp"

#include "nabla/autograd/grad_mode.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/core/random.hpp"
#include "nabla/ops/elementwise.hpp"

namespace nabla::nn::utils {

std::pair<Tensor, Tensor> fuse_conv_bn_weights(const Tensor& conv_weight, const Tensor& conv_bias, const NormBase& bn,
                                               const std::string& who) {
  NABLA_CHECK(!bn.is_training(), who, ": Fusion only for eval! Call eval() on the ", bn.name(), " first");
  NABLA_CHECK(bn.options.track_running_stats, who, ": the ", bn.name(),
              " has no running statistics (track_running_stats = false normalises with each batch's own)");
  const int64_t out = conv_weight.size(0);
  NABLA_CHECK(bn.options.num_features == out, who, ": ", bn.name(), " has ", bn.options.num_features,
              " features but the conv has ", out, " output channels");
  return fuse_conv_bn_weights(conv_weight, conv_bias, bn.running_mean, bn.running_var, bn.options.eps, bn.weight,
                              bn.bias);
}

std::pair<Tensor, Tensor> fuse_conv_bn_weights(const Tensor& conv_weight, const Tensor& conv_bias,
                                               const Tensor& running_mean, const Tensor& running_var, double eps,
                                               const Tensor& bn_weight, const Tensor& bn_bias) {
  NoGradGuard no_grad;
  const int64_t out = conv_weight.size(0);
  const Tensor gamma = bn_weight.defined() ? bn_weight : ones({out});
  const Tensor beta = bn_bias.defined() ? bn_bias : zeros({out});
  const Tensor scale = gamma / sqrt(running_var + eps);
  Shape per_channel(static_cast<size_t>(conv_weight.dim()), 1);
  per_channel[0] = out;
  const Tensor bias = conv_bias.defined() ? conv_bias : zeros({out});
  return {conv_weight * scale.reshape(per_channel), (bias - running_mean) * scale + beta};
}

template <size_t D>
ConvNd<D> fuse_conv_bn_eval(const ConvNd<D>& conv, const BatchNormNd<D>& bn) {
  NABLA_CHECK(!conv.is_training(), "fuse_conv_bn_eval: Fusion only for eval! Call eval() on both modules first");
  const auto [weight, bias] = fuse_conv_bn_weights(conv.weight, conv.bias, bn, "fuse_conv_bn_eval");
  ConvOptions<D> options = conv.options;
  options.bias = true;
  const RngState rng = get_rng_state();  // building the conv draws its initial weights: leave the stream as it was
  ConvNd<D> fused(options);
  set_rng_state(rng);
  fused.eval();
  NoGradGuard no_grad;
  fused.weight.copy_(weight);
  fused.bias.copy_(bias);
  return fused;
}

template ConvNd<1> fuse_conv_bn_eval(const ConvNd<1>&, const BatchNormNd<1>&);
template ConvNd<2> fuse_conv_bn_eval(const ConvNd<2>&, const BatchNormNd<2>&);
template ConvNd<3> fuse_conv_bn_eval(const ConvNd<3>&, const BatchNormNd<3>&);

}  // namespace nabla::nn::utils
