// The loss layers against PyTorch (tools/make_layer_fixtures.py, loss*): the loss and its input gradient for
// every reduction, class weights, pos_weight, label smoothing and probability targets; PyTorch's errors.
#include <doctest/doctest.h>

#include <nabla/nabla.hpp>

#include "helpers.hpp"

using namespace nabla;
using namespace nabla::test;
namespace F = nabla::nn::functional;

namespace {

Reduction reduction_of(FixtureCase& c) {
  const std::string r = c.count("reduction") ? c["reduction"] : "mean";
  return r == "none"        ? Reduction::none
         : r == "sum"       ? Reduction::sum
         : r == "batchmean" ? Reduction::batchmean
                            : Reduction::mean;
}

// The loss of the case's kind, through its nn layer.
Tensor loss_of(FixtureCase& c, const Tensor& x, const Tensor& t) {
  const auto field = [&](const char* key, double fallback) { return c.count(key) ? std::stod(c[key]) : fallback; };
  const auto tensor = [&](const char* key) { return c.count(key) ? layer_golden(c, key, numbers(c[key])) : Tensor(); };
  const std::string& kind = c["kind"];
  const Reduction r = reduction_of(c);
  if (kind == "l1_loss") return nn::L1Loss({r})(x, t);
  if (kind == "mse_loss") return nn::MSELoss({r})(x, t);
  if (kind == "smooth_l1_loss") return nn::SmoothL1Loss({r, field("beta", 1)})(x, t);
  if (kind == "huber_loss") return nn::HuberLoss({r, field("delta", 1)})(x, t);
  if (kind == "binary_cross_entropy") return nn::BCELoss({.weight = tensor("weight"), .reduction = r})(x, t);
  if (kind == "binary_cross_entropy_with_logits")
    return nn::BCEWithLogitsLoss({.weight = tensor("weight"), .reduction = r, .pos_weight = tensor("pos_weight")})(x,
                                                                                                                   t);
  if (kind == "kl_div") return nn::KLDivLoss({.reduction = r, .log_target = c["log_target"] == "1"})(x, t);
  REQUIRE(kind == "cross_entropy");
  return nn::CrossEntropyLoss({.weight = tensor("weight"),
                               .ignore_index = static_cast<int64_t>(field("ignore_index", -100)),
                               .reduction = r,
                               .label_smoothing = field("label_smoothing", 0)})(x, t);
}

}  // namespace

TEST_CASE("loss layers match PyTorch: the loss and its input gradient") {
  int checked = 0;
  for (auto c : fixture_cases("layers/cases.txt")) {
    if (c["id"].rfind("loss_", 0) != 0) continue;
    CAPTURE(c["line"]);
    const Shape shape = numbers(c["shape"]);
    const Shape out = c["out"] == "scalar" ? Shape{} : numbers(c["out"]);
    Shape target_shape = shape;
    if (c["target"] == "index") target_shape.erase(target_shape.begin() + 1);
    Tensor target = layer_golden(c, "t", target_shape);
    if (c["target"] == "index") target = target.to(kInt64);
    check_layer_step(
        c, [&](const Tensor& x) { return loss_of(c, x, target); }, shape, out);
    ++checked;
  }
  CHECK(checked == 23);
}

TEST_CASE("losses agree with finite differences") {
  manual_seed(11);
  const Tensor t = randn({3, 4});
  gradcheck([&](const std::vector<Tensor>& in) { return F::smooth_l1_loss(in[0], t, Reduction::sum, 0.7); },
            {randn({3, 4})});
  gradcheck([&](const std::vector<Tensor>& in) { return F::huber_loss(in[0], t, Reduction::mean, 0.5); },
            {randn({3, 4})});
  const Tensor bits = gt(rand({3, 4}), scalar_tensor(0.5)).to(kFloat32);
  gradcheck([&](const std::vector<Tensor>& in) { return F::binary_cross_entropy(in[0], bits); },
            {rand({3, 4}) * 0.8 + 0.1}, {.eps = 1e-3});
  gradcheck(
      [&](const std::vector<Tensor>& in) {
        return F::binary_cross_entropy_with_logits(in[0], bits, {.pos_weight = full({4}, 2.0)});
      },
      {randn({3, 4})});
  const Tensor p = F::softmax(randn({3, 4}), 1);
  gradcheck(
      [&](const std::vector<Tensor>& in) { return F::kl_div(F::log_softmax(in[0], 1), p, {Reduction::batchmean}); },
      {randn({3, 4})});
  const Tensor labels = from_vector(std::vector<int64_t>{0, 3, 1}, {3});
  gradcheck([&](const std::vector<Tensor>& in) { return F::cross_entropy(in[0], labels, {.label_smoothing = 0.2}); },
            {randn({3, 4})});
}

TEST_CASE("losses raise PyTorch's errors") {
  CHECK_THROWS_WITH_AS(F::binary_cross_entropy(full({2}, 1.5), zeros({2})),
                       doctest::Contains("all elements of input should be between 0 and 1"), Error);
  CHECK_THROWS_WITH_AS(F::l1_loss(randn({2, 3}), randn({3, 2})),
                       doctest::Contains("target size [3, 2] is different to the input size [2, 3]"), Error);
  CHECK_THROWS_WITH_AS(
      F::cross_entropy(randn({2, 3}), from_vector(std::vector<int64_t>{0, 1}, {2}), {.label_smoothing = 1.5}),
      doctest::Contains("label_smoothing must be between 0.0 and 1.0"), Error);
  CHECK_THROWS_WITH_AS(F::mse_loss(randn({2}), randn({2}), Reduction::batchmean),
                       doctest::Contains("batchmean is for kl_div only"), Error);
  CHECK_THROWS_WITH_AS(F::smooth_l1_loss(randn({2}), randn({2}), Reduction::mean, -1),
                       doctest::Contains("does not support negative values for beta"), Error);
}

TEST_CASE("loss layers print as PyTorch's and keep class weights as buffers") {
  CHECK(nn::to_string(nn::CrossEntropyLoss()) == "CrossEntropyLoss()");
  CHECK(nn::to_string(nn::BCEWithLogitsLoss()) == "BCEWithLogitsLoss()");
  nn::BCEWithLogitsLoss loss({.weight = ones({3}), .pos_weight = full({3}, 2.0)});
  CHECK(loss.state_dict().keys() == std::vector<std::string>{"weight", "pos_weight"});
  CHECK(loss.parameters().empty());
}
