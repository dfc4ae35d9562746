#pragma once
// The pytorch/examples MNIST network, layer for layer (conv 1→32 k3, conv 32→64 k3, ReLU, max-pool 2,
// dropout 0.25, flatten, linear 9216→128, ReLU, dropout 0.5, linear 128→10, log-softmax).
#include <nabla/nabla.hpp>

namespace F = nabla::nn::functional;

// winograd: run conv2 with oneDNN's Winograd algorithm (faster, less exact; conv1, with a single
// input channel, is much slower with it, so it stays direct).
struct Net : nabla::nn::Layer<Net> {
  explicit Net(bool winograd = false)
      : conv2{{.in_channels = 32, .out_channels = 64, .kernel_size = 3, .stride = 1, .winograd = winograd}} {
    register_module("conv1", conv1);
    register_module("conv2", conv2);
    register_module("dropout1", dropout1);
    register_module("dropout2", dropout2);
    register_module("fc1", fc1);
    register_module("fc2", fc2);
  }

  nabla::nn::Conv2d conv1{{.in_channels = 1, .out_channels = 32, .kernel_size = 3, .stride = 1}};
  nabla::nn::Conv2d conv2;
  nabla::nn::Dropout dropout1{{.p = 0.25}};
  nabla::nn::Dropout dropout2{{.p = 0.5}};
  nabla::nn::Linear fc1{{.in_features = 9216, .out_features = 128}};
  nabla::nn::Linear fc2{{.in_features = 128, .out_features = 10}};

  nabla::Tensor forward(nabla::Tensor x) {
    x = conv1.forward_relu(x);  // F::relu(conv1(x)), the ReLU fused into the conv primitive: one pass less
    x = conv2.forward_relu(x);
    x = F::max_pool2d(x, {.kernel_size = 2});
    x = dropout1(x);
    x = x.flatten(1);
    x = F::relu(fc1(x));
    x = dropout2(x);
    x = fc2(x);
    return F::log_softmax(x, 1);
  }
};

