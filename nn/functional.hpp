#pragma once
/// @file
/// nabla::nn::functional (usually `namespace F = nabla::nn::functional;`): the stateless ops the
/// layers are built on, under the names torch.nn.functional uses.
/// @ingroup functional
#include "nabla/ops/activation.hpp"
#include "nabla/ops/conv.hpp"
#include "nabla/ops/dropout.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/embedding.hpp"
#include "nabla/ops/fold.hpp"
#include "nabla/ops/interpolate.hpp"
#include "nabla/ops/linear.hpp"
#include "nabla/ops/loss.hpp"
#include "nabla/ops/normalization.hpp"
#include "nabla/ops/sync_batch_norm.hpp"
#include "nabla/ops/pad.hpp"
#include "nabla/ops/pooling.hpp"
#include "nabla/ops/shape_ops.hpp"
#include "nabla/ops/softmax.hpp"

namespace nabla::nn::functional {
/// @addtogroup functional
/// @{

using nabla::adaptive_avg_pool1d;
using nabla::adaptive_avg_pool2d;
using nabla::adaptive_avg_pool3d;
using nabla::adaptive_max_pool1d;
using nabla::adaptive_max_pool2d;
using nabla::adaptive_max_pool3d;
using nabla::alpha_dropout;
using nabla::avg_pool1d;
using nabla::avg_pool2d;
using nabla::avg_pool3d;
using nabla::batch_norm;
using nabla::binary_cross_entropy;
using nabla::binary_cross_entropy_with_logits;
using nabla::celu;
using nabla::conv1d;
using nabla::conv2d;
using nabla::conv3d;
using nabla::conv_transpose1d;
using nabla::conv_transpose2d;
using nabla::conv_transpose3d;
using nabla::cross_entropy;
using nabla::dropout;
using nabla::dropout1d;
using nabla::dropout2d;
using nabla::dropout3d;
using nabla::elu;
using nabla::embedding;
using nabla::feature_dropout;
using nabla::fold;
using nabla::gelu;
using nabla::group_norm;
using nabla::hardsigmoid;
using nabla::hardswish;
using nabla::hardtanh;
using nabla::huber_loss;
using nabla::instance_norm;
using nabla::interpolate;
using nabla::kl_div;
using nabla::l1_loss;
using nabla::layer_norm;
using nabla::leaky_relu;
using nabla::linear;
using nabla::log_softmax;
using nabla::logsigmoid;
using nabla::max_pool1d;
using nabla::max_pool2d;
using nabla::max_pool3d;
using nabla::mish;
using nabla::mse_loss;
using nabla::nll_loss;
using nabla::pad;
using nabla::pixel_shuffle;
using nabla::pixel_unshuffle;
using nabla::prelu;
using nabla::relu;
using nabla::relu6;
using nabla::selu;
using nabla::sigmoid;
using nabla::silu;
using nabla::smooth_l1_loss;
using nabla::softmax;
using nabla::softmin;
using nabla::softplus;
using nabla::softsign;
using nabla::sync_batch_norm;
using nabla::tanh;
using nabla::unfold;

/// @}
}  // namespace nabla::nn::functional
