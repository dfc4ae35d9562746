#include "nabla/nn/activation.hpp"

#include <sstream>

#include "nabla/core/error.hpp"
#include "nabla/ops/dropout.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/shape_ops.hpp"

namespace nabla::nn {

Tensor ReLU::forward(const Tensor& input) { return relu(input); }

Tensor Flatten::forward(const Tensor& input) { return flatten(input, options.start_dim, options.end_dim); }

std::string Flatten::extra_repr() const {
  return "start_dim=" + std::to_string(options.start_dim) + ", end_dim=" + std::to_string(options.end_dim);
}

Dropout::Dropout(const DropoutOptions& opts) : options(opts) {
  NABLA_CHECK(options.p >= 0.0 && options.p <= 1.0, "Dropout: dropout probability has to be between 0 and 1, but got ",
              options.p);
}

Tensor Dropout::forward(const Tensor& input) { return dropout(input, options.p, is_training()); }

std::string Dropout::extra_repr() const {
  std::ostringstream s;
  s << "p=" << options.p << ", inplace=False";
  return s.str();
}

}  // namespace nabla::nn
