#pragma once
// The depthwise-separable CNN of ../shared/reference/mobilenet_reference.py (MobileNet v1 style, scaled to
// 28×28 grey images), layer for layer: a stem conv, five depthwise-separable blocks, global average pooling,
// dropout and a linear classifier. Every conv is bias-free and followed by BatchNorm2d and ReLU.
//
//   stem  Conv2d(1, 32, 3, padding=1)                          28×28
//   DS(32 → 64, stride 1), DS(64 → 128, stride 2)              28×28 → 14×14
//   DS(128 → 128, stride 1), DS(128 → 256, stride 2)           14×14 → 7×7
//   DS(256 → 256, stride 1)
//   AdaptiveAvgPool2d(1) → Flatten → Dropout(0.2) → Linear(256, 10)
//   DS(in → out, s) = depthwise Conv2d(in, in, 3, stride=s, padding=1, groups=in) + BN + ReLU,
//                     then pointwise Conv2d(in, out, 1) + BN + ReLU
#include <nabla/nabla.hpp>

#include <string>
#include <vector>

namespace mobilenet {

// One conv of the network, as the table above has it.
struct ConvSpec {
  std::string name;  // "stem", "ds1.depthwise", "ds1.pointwise", ...
  int64_t in_channels, out_channels, kernel_size, stride, groups;
};

// The depthwise-separable blocks: (in, out, stride).
struct BlockSpec {
  int64_t in_channels, out_channels, stride;
};
const std::vector<BlockSpec>& blocks();
// The stem and the blocks' convs, in order.
std::vector<ConvSpec> conv_specs();

// One flat nn::Sequential, indexed as the PyTorch twin's, so the state_dict keys are the same ("0.weight",
// "1.running_mean", ...): each conv at 3·i, its BatchNorm at 3·i + 1, its ReLU at 3·i + 2, then the head.
// Each BatchNorm → ReLU pair runs as one fused oneDNN primitive (nn::Sequential fuses them).
nabla::nn::Sequential make_model();

// The same network for inference: each BatchNorm folded into the conv before it (nn::utils::fuse_conv_bn_eval),
// each ReLU fused into its conv, no dropout. The model must be in eval mode; the result shares its linear layer.
nabla::nn::Sequential fold_batchnorm(nabla::nn::Sequential& model);

// Per layer: output size, parameters and multiply-adds for one 28×28 image, then the totals beside those of the
// same network with a standard 3×3 conv in place of each depthwise-separable block.
struct LayerCost {
  std::string name;
  int64_t channels, height, width;  // the output of one image
  int64_t parameters, mult_adds;    // a conv's count includes its BatchNorm's weight and bias
};
struct Summary {
  std::vector<LayerCost> layers;
  int64_t parameters, mult_adds;                    // this network
  int64_t standard_parameters, standard_mult_adds;  // with standard 3×3 convs instead of the blocks
};
Summary summarize(int64_t image_size = 28);
// The summary as a table with the saving, for printing.
std::string to_string(const Summary& summary);

}  // namespace mobilenet
