#include "nabla/nn/activation.hpp"

#include <cmath>
#include <sstream>

#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/ops/activation.hpp"
#include "nabla/ops/dropout.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/shape_ops.hpp"
#include "nabla/ops/softmax.hpp"

namespace nabla::nn {

Tensor ReLU::forward(const Tensor& input) { return relu(input); }

Tensor Flatten::forward(const Tensor& input) { return flatten(input, options.start_dim, options.end_dim); }

std::string Flatten::extra_repr() const {
  return "start_dim=" + std::to_string(options.start_dim) + ", end_dim=" + std::to_string(options.end_dim);
}

template <DropoutKind Kind>
DropoutOf<Kind>::DropoutOf(const DropoutOptions& opts) : options(opts) {
  NABLA_CHECK(options.p >= 0.0 && options.p <= 1.0, name(), ": dropout probability has to be between 0 and 1, but got ",
              options.p);
}

template <DropoutKind Kind>
Tensor DropoutOf<Kind>::forward(const Tensor& input) {
  const bool training = this->is_training();
  switch (Kind) {
    case DropoutKind::Elements: return dropout(input, options.p, training);
    case DropoutKind::Channels1d: return dropout1d(input, options.p, training);
    case DropoutKind::Channels2d: return dropout2d(input, options.p, training);
    case DropoutKind::Channels3d: return dropout3d(input, options.p, training);
    default: return alpha_dropout(input, options.p, training);
  }
}

template <DropoutKind Kind>
std::string DropoutOf<Kind>::name() const {
  static const char* const kNames[] = {"Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout"};
  return kNames[static_cast<int>(Kind)];
}

template <DropoutKind Kind>
std::string DropoutOf<Kind>::extra_repr() const {
  return "p=" + python_float(options.p) + ", inplace=False";
}

template class DropoutOf<DropoutKind::Elements>;
template class DropoutOf<DropoutKind::Channels1d>;
template class DropoutOf<DropoutKind::Channels2d>;
template class DropoutOf<DropoutKind::Channels3d>;
template class DropoutOf<DropoutKind::Alpha>;

}  // namespace nabla::nn

namespace nabla::nn {

namespace {
std::string dim_repr(const std::optional<int64_t>& dim) { return "dim=" + (dim ? std::to_string(*dim) : "None"); }
// torch.nn.functional._get_softmax_dim: the legacy choice when no dim is given.
int64_t dim_or_implicit(const std::optional<int64_t>& dim, const Tensor& input) {
  return dim ? *dim : (input.dim() == 0 || input.dim() == 1 || input.dim() == 3) ? 0 : 1;
}
// Softplus prints its numbers as given; its defaults are Python ints.
std::string number(double v) { return v == std::floor(v) ? std::to_string(static_cast<int64_t>(v)) : python_float(v); }
}  // namespace

Tensor LeakyReLUOptions::apply(const Tensor& x) const { return leaky_relu(x, negative_slope); }
std::string LeakyReLUOptions::repr() const { return "negative_slope=" + python_float(negative_slope); }
Tensor ELUOptions::apply(const Tensor& x) const { return elu(x, alpha); }
std::string ELUOptions::repr() const { return "alpha=" + python_float(alpha); }
Tensor CELUOptions::apply(const Tensor& x) const { return celu(x, alpha); }
std::string CELUOptions::repr() const { return "alpha=" + python_float(alpha); }
Tensor SELUOptions::apply(const Tensor& x) const { return selu(x); }
std::string SELUOptions::repr() const { return ""; }
Tensor GELUOptions::apply(const Tensor& x) const { return gelu(x, approximate); }
std::string GELUOptions::repr() const { return "approximate='" + approximate + "'"; }
Tensor SiLUOptions::apply(const Tensor& x) const { return silu(x); }
std::string SiLUOptions::repr() const { return ""; }
Tensor MishOptions::apply(const Tensor& x) const { return mish(x); }
std::string MishOptions::repr() const { return ""; }
Tensor HardswishOptions::apply(const Tensor& x) const { return hardswish(x); }
std::string HardswishOptions::repr() const { return ""; }
Tensor HardsigmoidOptions::apply(const Tensor& x) const { return hardsigmoid(x); }
std::string HardsigmoidOptions::repr() const { return ""; }
Tensor ReLU6Options::apply(const Tensor& x) const { return relu6(x); }
std::string ReLU6Options::repr() const { return ""; }
Tensor HardtanhOptions::apply(const Tensor& x) const { return hardtanh(x, min_val, max_val); }
std::string HardtanhOptions::repr() const {
  return "min_val=" + python_float(min_val) + ", max_val=" + python_float(max_val);
}
Tensor SoftplusOptions::apply(const Tensor& x) const { return softplus(x, beta, threshold); }
std::string SoftplusOptions::repr() const { return "beta=" + number(beta) + ", threshold=" + number(threshold); }
Tensor SoftsignOptions::apply(const Tensor& x) const { return softsign(x); }
std::string SoftsignOptions::repr() const { return ""; }
Tensor SigmoidOptions::apply(const Tensor& x) const { return sigmoid(x); }
std::string SigmoidOptions::repr() const { return ""; }
Tensor TanhOptions::apply(const Tensor& x) const { return tanh(x); }
std::string TanhOptions::repr() const { return ""; }
Tensor LogSigmoidOptions::apply(const Tensor& x) const { return logsigmoid(x); }
std::string LogSigmoidOptions::repr() const { return ""; }
Tensor SoftmaxOptions::apply(const Tensor& x) const { return softmax(x, dim_or_implicit(dim, x)); }
std::string SoftmaxOptions::repr() const { return dim_repr(dim); }
Tensor LogSoftmaxOptions::apply(const Tensor& x) const { return log_softmax(x, dim_or_implicit(dim, x)); }
std::string LogSoftmaxOptions::repr() const { return dim_repr(dim); }
Tensor SoftminOptions::apply(const Tensor& x) const { return softmin(x, dim_or_implicit(dim, x)); }
std::string SoftminOptions::repr() const { return dim_repr(dim); }

PReLU::PReLU(const PReLUOptions& opts) : options(opts) {
  NABLA_CHECK(options.num_parameters >= 1, "PReLU: num_parameters must be at least 1, got ", options.num_parameters);
  weight = register_parameter("weight", full({options.num_parameters}, options.init));
}

Tensor PReLU::forward(const Tensor& input) { return prelu(input, weight); }

std::string PReLU::extra_repr() const { return "num_parameters=" + std::to_string(options.num_parameters); }

}  // namespace nabla::nn
