#include "nabla/nn/fusion.hpp"

#include "nabla/autograd/grad_mode.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/core/random.hpp"
#include "nabla/ops/elementwise.hpp"

namespace nabla::nn::utils {

template <size_t D>
ConvNd<D> fuse_conv_bn_eval(const ConvNd<D>& conv, const BatchNormNd<D>& bn) {
  NABLA_CHECK(!conv.is_training() && !bn.is_training(),
              "fuse_conv_bn_eval: Fusion only for eval! Call eval() on "
              "both modules first");
  NABLA_CHECK(bn.options.track_running_stats,
              "fuse_conv_bn_eval: the BatchNorm has no running statistics "
              "(track_running_stats = false normalises with each batch's own)");
  NABLA_CHECK(bn.options.num_features == conv.options.out_channels, "fuse_conv_bn_eval: ", bn.name(), " has ",
              bn.options.num_features, " features but the conv has ", conv.options.out_channels, " output channels");
  ConvOptions<D> options = conv.options;
  options.bias = true;
  const RngState rng = get_rng_state();  // building the conv draws its initial weights: leave the stream as it was
  ConvNd<D> fused(options);
  set_rng_state(rng);
  fused.eval();
  NoGradGuard no_grad;
  const int64_t out = conv.options.out_channels;
  const Tensor gamma = bn.weight.defined() ? bn.weight : ones({out});
  const Tensor beta = bn.bias.defined() ? bn.bias : zeros({out});
  const Tensor scale = gamma / sqrt(bn.running_var + bn.options.eps);
  Shape per_channel(static_cast<size_t>(conv.weight.dim()), 1);
  per_channel[0] = out;
  fused.weight.copy_(conv.weight * scale.reshape(per_channel));
  const Tensor bias = conv.bias.defined() ? conv.bias : zeros({out});
  fused.bias.copy_((bias - bn.running_mean) * scale + beta);
  return fused;
}

template ConvNd<1> fuse_conv_bn_eval(const ConvNd<1>&, const BatchNormNd<1>&);
template ConvNd<2> fuse_conv_bn_eval(const ConvNd<2>&, const BatchNormNd<2>&);
template ConvNd<3> fuse_conv_bn_eval(const ConvNd<3>&, const BatchNormNd<3>&);

}  // namespace nabla::nn::utils
