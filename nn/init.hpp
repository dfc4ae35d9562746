#pragma once
/// @file
/// nn::init: PyTorch's parameter initialisers, with its formulas and its random stream (the same
/// manual_seed gives the same values as torch.nn.init).
/// @ingroup init
#include <utility>

#include "nabla/core/tensor.hpp"

namespace nabla::nn::init {
/// @addtogroup init
/// @{

/// Which fan the kaiming initialisations scale by (PyTorch's mode="fan_in" / "fan_out").
enum class FanMode { fan_in, fan_out };
/// The nonlinearities calculate_gain knows (PyTorch's names).
enum class Nonlinearity {
  linear,
  conv1d,
  conv2d,
  conv3d,
  conv_transpose1d,
  conv_transpose2d,
  conv_transpose3d,
  sigmoid,
  tanh,
  relu,
  leaky_relu,
  selu
};

/// The recommended gain for a nonlinearity; `param` is leaky_relu's negative slope.
double calculate_gain(Nonlinearity nonlinearity, double param = 0.01);
/// (fan_in, fan_out) of a weight of shape (out, in, *kernel): (in·∏kernel, out·∏kernel).
std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor);

/// Each fills `tensor` in place (outside autograd) and returns it.
Tensor uniform_(Tensor tensor, double a = 0.0, double b = 1.0);
Tensor normal_(Tensor tensor, double mean = 0.0, double std = 1.0);  ///< N(mean, std²)
Tensor constant_(Tensor tensor, double value);                       ///< every element `value`
Tensor zeros_(Tensor tensor);                                        ///< zeros
Tensor ones_(Tensor tensor);                                         ///< ones
Tensor xavier_uniform_(Tensor tensor, double gain = 1.0);  ///< U(-a, a), a = gain·√(6 / (fan_in + fan_out)) (Glorot)
Tensor xavier_normal_(Tensor tensor, double gain = 1.0);   ///< N(0, std²), std = gain·√(2 / (fan_in + fan_out))
/// U(-bound, bound), bound = gain·√(3 / fan) (He; a: the leaky ReLU's slope).
Tensor kaiming_uniform_(Tensor tensor, double a = 0.0, FanMode mode = FanMode::fan_in,
                        Nonlinearity nonlinearity = Nonlinearity::leaky_relu);
/// N(0, std²), std = gain / √fan (He).
Tensor kaiming_normal_(Tensor tensor, double a = 0.0, FanMode mode = FanMode::fan_in,
                       Nonlinearity nonlinearity = Nonlinearity::leaky_relu);

/// @}
}  // namespace nabla::nn::init
