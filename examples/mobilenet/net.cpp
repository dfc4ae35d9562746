#include "mobilenet/net.hpp"

#include <cstdio>
#include <sstream>

using namespace nabla;

namespace mobilenet {

const std::vector<BlockSpec>& blocks() {
  static const std::vector<BlockSpec> table{{32, 64, 1}, {64, 128, 2}, {128, 128, 1}, {128, 256, 2}, {256, 256, 1}};
  return table;
}

std::vector<ConvSpec> conv_specs() {
  std::vector<ConvSpec> specs{{"stem", 1, 32, 3, 1, 1}};
  for (size_t i = 0; i < blocks().size(); ++i) {
    const auto& [in, out, stride] = blocks()[i];
    const std::string block = "ds" + std::to_string(i + 1);
    specs.push_back({block + ".depthwise", in, in, 3, stride, in});
    specs.push_back({block + ".pointwise", in, out, 1, 1, 1});
  }
  return specs;
}

namespace {

nn::Conv2d make_conv(const ConvSpec& spec, bool bias) {
  return nn::Conv2d({.in_channels = spec.in_channels,
                     .out_channels = spec.out_channels,
                     .kernel_size = spec.kernel_size,
                     .stride = spec.stride,
                     .padding = spec.kernel_size / 2,
                     .groups = spec.groups,
                     .bias = bias});
}

// Where the head starts in the flat Sequential: after a (conv, BatchNorm, ReLU) triple per conv.
size_t head_index() { return 3 * conv_specs().size(); }

}  // namespace

nn::Sequential make_model() {
  nn::Sequential model;
  for (const ConvSpec& spec : conv_specs()) {
    model.push_back(make_conv(spec, false));
    model.push_back(nn::BatchNorm2d({.num_features = spec.out_channels}));
    model.push_back(nn::ReLU());
  }
  model.push_back(nn::AdaptiveAvgPool2d({.output_size = 1}));
  model.push_back(nn::Flatten());
  model.push_back(nn::Dropout({.p = 0.2}));
  model.push_back(nn::Linear({.in_features = blocks().back().out_channels, .out_features = 10}));
  return model;
}

nn::Sequential fold_batchnorm(nn::Sequential& model) {
  nn::Sequential folded;
  for (size_t i = 0; i < head_index(); i += 3) {
    folded.push_back(nn::utils::fuse_conv_bn_eval(model.at<nn::Conv2d>(i), model.at<nn::BatchNorm2d>(i + 1)));
    folded.push_back(nn::ReLU());  // runs as the folded conv's post-op
  }
  folded.push_back(nn::AdaptiveAvgPool2d({.output_size = 1}));
  folded.push_back(nn::Flatten());
  folded.push_back(model.at<nn::Linear>(head_index() + 3));
  folded.eval();
  return folded;
}

Summary summarize(int64_t image_size) {
  Summary summary{};
  int64_t size = image_size;
  const auto add = [&summary](LayerCost cost) {
    summary.parameters += cost.parameters;
    summary.mult_adds += cost.mult_adds;
    summary.layers.push_back(std::move(cost));
  };
  const auto conv_cost = [](const std::string& name, int64_t in, int64_t out, int64_t kernel, int64_t groups,
                            int64_t output_size) {
    const int64_t weights = out * (in / groups) * kernel * kernel;
    return LayerCost{name, out, output_size, output_size, weights + 2 * out, weights * output_size * output_size};
  };
  for (const ConvSpec& spec : conv_specs()) {
    size = (size - 1) / spec.stride + 1;  // kernel k, padding k/2 (k odd): ⌈size / stride⌉
    add(conv_cost(spec.name, spec.in_channels, spec.out_channels, spec.kernel_size, spec.groups, size));
  }
  const int64_t features = blocks().back().out_channels;
  add({"avgpool", features, 1, 1, 0, 0});
  add({"linear", 10, 1, 1, features * 10 + 10, features * 10});

  // The same network with each block one standard 3×3 conv (+ BatchNorm): the stem and head as above.
  const LayerCost& stem = summary.layers.front();
  summary.standard_parameters = stem.parameters + summary.layers.back().parameters;
  summary.standard_mult_adds = stem.mult_adds + summary.layers.back().mult_adds;
  size = image_size;
  for (const auto& [in, out, stride] : blocks()) {
    size = (size - 1) / stride + 1;
    const LayerCost dense = conv_cost("", in, out, 3, 1, size);
    summary.standard_parameters += dense.parameters;
    summary.standard_mult_adds += dense.mult_adds;
  }
  return summary;
}

std::string to_string(const Summary& summary) {
  std::ostringstream out;
  char line[160];
  std::snprintf(line, sizeof line, "%-16s %-12s %12s %16s\n", "layer", "output", "parameters", "mult-adds");
  out << line;
  for (const LayerCost& layer : summary.layers) {
    const std::string shape =
        std::to_string(layer.channels) + "x" + std::to_string(layer.height) + "x" + std::to_string(layer.width);
    std::snprintf(line, sizeof line, "%-16s %-12s %12lld %16lld\n", layer.name.c_str(), shape.c_str(),
                  static_cast<long long>(layer.parameters), static_cast<long long>(layer.mult_adds));
    out << line;
  }
  std::snprintf(line, sizeof line, "%-29s %12lld %16lld\n", "total (per 28x28 image)",
                static_cast<long long>(summary.parameters), static_cast<long long>(summary.mult_adds));
  out << line;
  std::snprintf(line, sizeof line, "%-29s %12lld %16lld\n", "with standard 3x3 convs",
                static_cast<long long>(summary.standard_parameters),
                static_cast<long long>(summary.standard_mult_adds));
  out << line;
  std::snprintf(line, sizeof line, "depthwise-separable blocks: %.1fx fewer parameters, %.1fx fewer multiply-adds\n",
                static_cast<double>(summary.standard_parameters) / static_cast<double>(summary.parameters),
                static_cast<double>(summary.standard_mult_adds) / static_cast<double>(summary.mult_adds));
  out << line;
  return out.str();
}

}  // namespace mobilenet
