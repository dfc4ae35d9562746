// The NaN/Inf contract (tools/make_special_value_fixtures.py): for NaN, ±inf, ±0 and the kinks, every elementwise
// op, activation, norm, pooling and loss gives PyTorch's output and input gradient: NaN where PyTorch has NaN,
// the same infinities, close finite values.
#include <doctest/doctest.h>

#include <nabla/nabla.hpp>

#include "helpers.hpp"

using namespace nabla;
using namespace nabla::test;
namespace F = nabla::nn::functional;

namespace {

using Unary = std::function<Tensor(const Tensor&)>;
using Binary = std::function<Tensor(const Tensor&, const Tensor&)>;

std::vector<float> values(const std::string& text) {
  std::vector<float> out;
  std::stringstream s(text);
  for (std::string item; std::getline(s, item, ',');)
    out.push_back(std::strtof(item.c_str(), nullptr));  // reads nan, inf and subnormals
  return out;
}

Tensor vec(std::initializer_list<float> v) { return from_vector(std::vector<float>(v), {int64_t(v.size())}); }

std::map<std::string, Unary> unary_ops() {
  const Tensor w = vec({1.5, -0.5, 2, 1}), b = vec({0.1, 0.2, -0.3, 0.4});
  const Tensor mean = vec({0.5, NAN, 0, 1}), var = vec({1, 2, INFINITY, 0.5});
  const auto batch_norm = [w, b](double eps, bool fused) {
    return Unary([=](const Tensor& x) {
      const BatchNormFuncOptions o{.weight = w, .bias = b, .training = true, .eps = eps};
      return fused ? batch_norm_relu(x, {}, {}, o) : F::batch_norm(x, {}, {}, o);
    });
  };
  return {
      {"neg", [](const Tensor& x) { return -x; }},
      {"exp", [](const Tensor& x) { return exp(x); }},
      {"log", [](const Tensor& x) { return log(x); }},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }},
      {"abs", [](const Tensor& x) { return abs(x); }},
      {"pow2", [](const Tensor& x) { return pow(x, 2.0); }},
      {"pow0.5", [](const Tensor& x) { return pow(x, 0.5); }},
      {"pow-1", [](const Tensor& x) { return pow(x, -1.0); }},
      {"rdiv", [](const Tensor& x) { return 1.0 / x; }},
      {"clamp-1,1", [](const Tensor& x) { return clamp(x, -1.0, 1.0); }},
      {"clamp_min0", [](const Tensor& x) { return clamp(x, 0.0, std::nullopt); }},
      {"sigmoid", [](const Tensor& x) { return F::sigmoid(x); }},
      {"tanh", [](const Tensor& x) { return F::tanh(x); }},
      {"relu", [](const Tensor& x) { return F::relu(x); }},
      {"leaky_relu0.01", [](const Tensor& x) { return F::leaky_relu(x, 0.01); }},
      {"leaky_relu0", [](const Tensor& x) { return F::leaky_relu(x, 0.0); }},
      {"leaky_relu-0.5", [](const Tensor& x) { return F::leaky_relu(x, -0.5); }},
      {"elu", [](const Tensor& x) { return F::elu(x); }},
      {"elu0.5", [](const Tensor& x) { return F::elu(x, 0.5); }},
      {"selu", [](const Tensor& x) { return F::selu(x); }},
      {"celu0.5", [](const Tensor& x) { return F::celu(x, 0.5); }},
      {"gelu", [](const Tensor& x) { return F::gelu(x); }},
      {"gelu_tanh", [](const Tensor& x) { return F::gelu(x, "tanh"); }},
      {"silu", [](const Tensor& x) { return F::silu(x); }},
      {"mish", [](const Tensor& x) { return F::mish(x); }},
      {"hardswish", [](const Tensor& x) { return F::hardswish(x); }},
      {"hardsigmoid", [](const Tensor& x) { return F::hardsigmoid(x); }},
      {"hardtanh", [](const Tensor& x) { return F::hardtanh(x); }},
      {"hardtanh-2,3", [](const Tensor& x) { return F::hardtanh(x, -2, 3); }},
      {"relu6", [](const Tensor& x) { return F::relu6(x); }},
      {"softplus", [](const Tensor& x) { return F::softplus(x); }},
      {"softplus2,5", [](const Tensor& x) { return F::softplus(x, 2, 5); }},
      {"softsign", [](const Tensor& x) { return F::softsign(x); }},
      {"logsigmoid", [](const Tensor& x) { return F::logsigmoid(x); }},
      {"prelu0.25", [](const Tensor& x) { return F::prelu(x, vec({0.25})); }},
      {"batch_norm", batch_norm(1e-5, false)},
      {"batch_norm_eps0", batch_norm(0, false)},
      {"batch_norm_eps-2", batch_norm(-2, false)},
      {"batch_norm_relu_eps-2", batch_norm(-2, true)},
      {"batch_norm_relu_eps-2_finite", batch_norm(-2, true)},
      {"batch_norm_relu_eps0", batch_norm(0, true)},
      {"batch_norm_eval",
       [=](const Tensor& x) {
         return F::batch_norm(x, mean, var, {.weight = w, .bias = b, .training = false, .eps = 0});
       }},
      {"instance_norm", [=](const Tensor& x) { return F::instance_norm(x, {.weight = w, .bias = b}); }},
      {"instance_norm_eps0", [=](const Tensor& x) { return F::instance_norm(x, {.weight = w, .bias = b, .eps = 0}); }},
      {"layer_norm",
       [](const Tensor& x) {
         return F::layer_norm(x, {3}, {.weight = vec({1, 2, -1})});
       }},
      {"layer_norm_eps0", [](const Tensor& x) { return F::layer_norm(x, {3}, {.eps = 0}); }},
      {"group_norm2", [=](const Tensor& x) { return F::group_norm(x, 2, {.weight = w, .bias = b}); }},
      {"group_norm4_eps0", [](const Tensor& x) { return F::group_norm(x, 4, {.eps = 0}); }},
      {"softmax", [](const Tensor& x) { return F::softmax(x, 2); }},
      {"log_softmax", [](const Tensor& x) { return F::log_softmax(x, 2); }},
      {"softmin", [](const Tensor& x) { return F::softmin(x, 2); }},
      {"max_pool1d", [](const Tensor& x) { return F::max_pool1d(x, {.kernel_size = 2, .stride = 1}); }},
      {"max_pool1d_neg_inf", [](const Tensor& x) { return F::max_pool1d(x, {.kernel_size = 3, .stride = 1}); }},
      {"avg_pool1d", [](const Tensor& x) { return F::avg_pool1d(x, {.kernel_size = 2, .stride = 1}); }},
      {"adaptive_avg_pool1d", [](const Tensor& x) { return F::adaptive_avg_pool1d(x, 1); }},
      {"adaptive_max_pool1d", [](const Tensor& x) { return F::adaptive_max_pool1d(x, 1); }},
  };
}

std::map<std::string, Binary> loss_ops() {
  std::map<std::string, Binary> ops;
  for (const auto& [name, r] : {std::pair{"none", Reduction::none}, std::pair{"mean", Reduction::mean}}) {
    const std::string s = std::string("_") + name;
    ops["mse_loss" + s] = [r](const Tensor& x, const Tensor& t) { return F::mse_loss(x, t, r); };
    ops["l1_loss" + s] = [r](const Tensor& x, const Tensor& t) { return F::l1_loss(x, t, r); };
    ops["smooth_l1_loss" + s] = [r](const Tensor& x, const Tensor& t) { return F::smooth_l1_loss(x, t, r); };
    ops["smooth_l1_loss_beta0" + s] = [r](const Tensor& x, const Tensor& t) { return F::smooth_l1_loss(x, t, r, 0); };
    ops["huber_loss" + s] = [r](const Tensor& x, const Tensor& t) { return F::huber_loss(x, t, r, 2); };
    ops["binary_cross_entropy" + s] = [r](const Tensor& x, const Tensor& t) {
      return F::binary_cross_entropy(x, t, {.reduction = r});
    };
    ops["binary_cross_entropy_with_logits" + s] = [r](const Tensor& x, const Tensor& t) {
      return F::binary_cross_entropy_with_logits(x, t, {.reduction = r});
    };
    ops["kl_div" + s] = [r](const Tensor& x, const Tensor& t) { return F::kl_div(x, t, {.reduction = r}); };
    ops["kl_div_log_target" + s] = [r](const Tensor& x, const Tensor& t) {
      return F::kl_div(x, t, {.reduction = r, .log_target = true});
    };
    const auto labels = [](const Tensor& t) { return t.to(kInt64); };
    ops["cross_entropy" + s] = [=](const Tensor& x, const Tensor& t) {
      return F::cross_entropy(x, labels(t), {.reduction = r});
    };
    ops["nll_loss" + s] = [=](const Tensor& x, const Tensor& t) { return F::nll_loss(x, labels(t), {.reduction = r}); };
  }
  return ops;
}

// Same NaNs, same signed infinities, finite values within tolerance; names the first element that is not.
void check_same_specials(const Tensor& actual, const std::vector<float>& expected, const char* what) {
  const auto a = actual.to_vector<float>();
  REQUIRE(a.size() == expected.size());
  for (size_t i = 0; i < a.size(); ++i) {
    const float e = expected[i];
    const bool ok = std::isnan(e)   ? std::isnan(a[i])
                    : std::isinf(e) ? a[i] == e
                                    : std::isfinite(a[i]) && std::fabs(a[i] - e) <= 1e-5 + 1e-4 * std::fabs(e);
    if (!ok) {
      FAIL_CHECK(std::string(what) << "[" << i << "]: got " << a[i] << ", PyTorch " << e);
      return;
    }
  }
}

}  // namespace

TEST_CASE("NaN, infinities, zeros and kinks give PyTorch's outputs and gradients") {
  const auto unary = unary_ops();
  const auto binary = loss_ops();
  size_t checked = 0;
  for (auto c : fixture_cases("special_values.txt")) {
    CAPTURE(c["case"]);
    const Shape shape = numbers(c["shape"]);
    const Tensor x = from_vector(values(c["x"]), shape).requires_grad_();
    Tensor y;
    if (c.count("t")) {
      REQUIRE_MESSAGE(binary.count(c["case"]), "no Nabla function for the fixture case " << c["case"]);
      y = binary.at(c["case"])(x, from_vector(values(c["t"]), numbers(c["tshape"])));
    } else {
      REQUIRE_MESSAGE(unary.count(c["case"]), "no Nabla function for the fixture case " << c["case"]);
      y = unary.at(c["case"])(x);
    }
    const auto g = values(c["g"]);
    y.backward(from_vector(g, y.shape()));
    check_same_specials(y, values(c["y"]), "output");
    check_same_specials(x.grad(), values(c["dx"]), "input gradient");
    ++checked;
  }
  CHECK(checked == unary.size() + binary.size());  // every case has its function, every function its case
}
