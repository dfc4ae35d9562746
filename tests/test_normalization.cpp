// Normalization layers against PyTorch (tools/make_layer_fixtures.py): outputs, input/weight/bias gradients and
// running statistics over 5 training steps, then eval; finite-difference checks; PyTorch's errors.
#include <doctest/doctest.h>

#include <nabla/nabla.hpp>

#include "helpers.hpp"

using namespace nabla;
using namespace nabla::test;
namespace F = nabla::nn::functional;

namespace {

TestLayer make_norm(FixtureCase& c) {
  const auto field = [&](const char* key, double fallback) { return c.count(key) ? std::stod(c[key]) : fallback; };
  const auto flag = [&](const char* key, bool fallback) { return c.count(key) ? c[key] == "1" : fallback; };
  const int dims = std::stoi(c["dims"]);
  const double eps = field("eps", 1e-5);
  if (c["kind"] == "batch_norm" || c["kind"] == "instance_norm") {
    const bool batch = c["kind"] == "batch_norm";
    const std::optional<double> momentum =
        c.count("momentum") && c["momentum"] == "None" ? std::nullopt : std::optional(field("momentum", 0.1));
    const nn::BatchNormOptions o{.num_features = std::stoll(c["num_features"]),
                                 .eps = eps,
                                 .momentum = momentum,
                                 .affine = flag("affine", batch),
                                 .track_running_stats = flag("track_running_stats", batch)};
    const nn::InstanceNormOptions io{.num_features = o.num_features,
                                     .eps = eps,
                                     .momentum = momentum,
                                     .affine = o.affine,
                                     .track_running_stats = o.track_running_stats};
    switch (dims + (batch ? 0 : 3)) {
      case 1: return test_layer<nn::BatchNorm1d>(o);
      case 2: return test_layer<nn::BatchNorm2d>(o);
      case 3: return test_layer<nn::BatchNorm3d>(o);
      case 4: return test_layer<nn::InstanceNorm1d>(io);
      case 5: return test_layer<nn::InstanceNorm2d>(io);
      default: return test_layer<nn::InstanceNorm3d>(io);
    }
  }
  if (c["kind"] == "layer_norm")
    return test_layer<nn::LayerNorm>(nn::LayerNormOptions{.normalized_shape = numbers(c["normalized_shape"]),
                                                          .eps = eps,
                                                          .elementwise_affine = flag("elementwise_affine", true)});
  return test_layer<nn::GroupNorm>(nn::GroupNormOptions{.num_groups = std::stoll(c["num_groups"]),
                                                        .num_channels = std::stoll(c["num_channels"]),
                                                        .eps = eps,
                                                        .affine = flag("affine", true)});
}

}  // namespace

TEST_CASE("normalization layers match PyTorch: outputs, gradients, running statistics and eval") {
  const auto cases = fixture_cases("layers/cases.txt", "");
  int checked = 0;
  for (auto c : cases) {
    if (c["id"].rfind("norm_", 0) != 0) continue;
    CAPTURE(c["line"]);
    const Shape shape = numbers(c["shape"]);
    TestLayer b = make_norm(c);
    auto params = b.module->named_parameters();
    if (const Tensor* w = params.find("weight")) {
      NoGradGuard no_grad;
      Tensor(*w).copy_(layer_golden(c, "w", w->shape()));
      Tensor(*params.find("bias")).copy_(layer_golden(c, "b", w->shape()));
    }
    const int steps = std::stoi(c["steps"]);
    for (int step = 0; step < steps; ++step) {
      b.module->zero_grad();
      check_layer_step(c, b.forward, shape, shape, std::to_string(step), 1e-4, 1e-4);
    }
    if (const Tensor* w = params.find("weight")) {
      check_close(w->grad(), layer_golden(c, "dw", w->shape()), 2e-4, 1e-3);
      check_close(params.find("bias")->grad(), layer_golden(c, "db", w->shape()), 2e-4, 1e-3);
    }
    for (const auto& [name, buffer] : b.module->named_buffers())
      check_close(buffer.to(kFloat32), layer_golden(c, name, buffer.shape()), 1e-5, 1e-4);
    if (steps > 1) {
      b.module->eval();
      check_layer_step(c, b.forward, shape, shape, "e", 1e-4, 1e-4);
    }
    ++checked;
  }
  CHECK(checked == 17);
}

TEST_CASE("normalization backward agrees with finite differences") {
  manual_seed(3);
  const Tensor x = randn({3, 4, 5}) * 2, w = randn({4}), b = randn({4});
  gradcheck(
      [](const std::vector<Tensor>& in) {
        return F::batch_norm(in[0], {}, {}, {in[1], in[2], true});
      },
      {x, w, b});
  const Tensor rm = randn({4}), rv = rand({4}) + 0.5;
  gradcheck(
      [&](const std::vector<Tensor>& in) {
        return F::batch_norm(in[0], rm, rv, {in[1], in[2], false});
      },
      {x, w, b});
  gradcheck(
      [](const std::vector<Tensor>& in) {
        return F::layer_norm(in[0], {4, 5}, {in[1], in[2]});
      },
      {x, randn({4, 5}), randn({4, 5})});
  gradcheck([](const std::vector<Tensor>& in) { return F::group_norm(in[0], 2, {in[1], in[2]}); }, {x, w, b});
}

TEST_CASE("BatchNorm keeps the layout of a conv's output and gives the same numbers as on plain input") {
  manual_seed(4);
  nn::Conv2d conv({.in_channels = 3, .out_channels = 16, .kernel_size = 3});
  nn::BatchNorm2d bn({.num_features = 16});
  const Tensor y = conv(randn({4, 3, 10, 10}));
  const Tensor a = bn(y), b = bn(y.contiguous().clone());
  check_close(a, b);
}

TEST_CASE("normalization layers print and save as PyTorch's") {
  CHECK(nn::to_string(nn::BatchNorm2d({.num_features = 3, .momentum = std::nullopt})) ==
        "BatchNorm2d(3, eps=1e-05, momentum=None, affine=True, track_running_stats=True)");
  CHECK(nn::to_string(nn::InstanceNorm1d({.num_features = 3, .affine = true})) ==
        "InstanceNorm1d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=False)");
  CHECK(nn::to_string(nn::LayerNorm({.normalized_shape = {3, 4}})) ==
        "LayerNorm((3, 4), eps=1e-05, elementwise_affine=True)");
  CHECK(nn::to_string(nn::LayerNorm({.normalized_shape = 768, .eps = 1e-3})) ==
        "LayerNorm((768,), eps=0.001, elementwise_affine=True)");
  CHECK(nn::to_string(nn::GroupNorm({.num_groups = 2, .num_channels = 6})) ==
        "GroupNorm(2, 6, eps=1e-05, affine=True)");
  nn::BatchNorm1d bn({.num_features = 5});
  CHECK(bn.state_dict().keys() ==
        std::vector<std::string>{"weight", "bias", "running_mean", "running_var", "num_batches_tracked"});
  CHECK(bn.parameters().size() == 2);  // buffers are not parameters: optimizers never see them
  CHECK(bn.num_batches_tracked.dtype() == kInt64);
}

TEST_CASE("normalization layers raise PyTorch's errors") {
  CHECK_THROWS_WITH_AS(nn::BatchNorm2d({}), doctest::Contains("num_features is required"), Error);
  CHECK_THROWS_WITH_AS(nn::BatchNorm1d({.num_features = 3})(randn({1, 3})),
                       "Expected more than 1 value per channel when training, got input size [1, 3]", Error);
  CHECK_THROWS_WITH_AS(nn::BatchNorm2d({.num_features = 3})(randn({2, 3, 4})),
                       "BatchNorm2d: expected 4D input (got 3D input)", Error);
  CHECK_THROWS_WITH_AS(nn::BatchNorm1d({.num_features = 3})(randn({2, 3, 4, 5})),
                       "BatchNorm1d: expected 2D or 3D input (got 4D input)", Error);
  CHECK_THROWS_WITH_AS(nn::BatchNorm1d({.num_features = 3})(randn({2, 4})),
                       doctest::Contains("running_mean should contain 4 elements not 3"), Error);
  CHECK_THROWS_WITH_AS(F::batch_norm(randn({2, 3}), {}, {}), doctest::Contains("running_mean must be defined"), Error);
  CHECK_THROWS_WITH_AS(nn::LayerNorm({.normalized_shape = {3, 4}})(randn({2, 4, 3})),
                       doctest::Contains("Given normalized_shape=[3, 4], expected input with shape [*, 3, 4], but "
                                         "got input of size[2, 4, 3]"),
                       Error);
  CHECK_THROWS_WITH_AS(nn::GroupNorm({.num_groups = 4, .num_channels = 6}),
                       doctest::Contains("num_channels must be divisible by num_groups"), Error);
  CHECK_THROWS_WITH_AS(nn::GroupNorm({.num_groups = 2, .num_channels = 6})(randn({2, 4, 3})),
                       doctest::Contains("Expected weight to be a vector of size equal to the number of channels"),
                       Error);
  CHECK_THROWS_WITH_AS(nn::InstanceNorm1d({.num_features = 3})(randn({2, 3, 1})),
                       doctest::Contains("Expected more than 1 spatial element when training"), Error);
}

TEST_CASE("normalization of empty and NaN input behaves as PyTorch") {
  nn::BatchNorm2d bn({.num_features = 3});
  CHECK(bn(randn({0, 3, 4, 4})).shape() == Shape{0, 3, 4, 4});
  CHECK(bn.num_batches_tracked.item<int64_t>() == 1);
  Tensor x = randn({4, 3, 2, 2});
  x.data_ptr<float>()[0] = NAN;  // channel 0 of sample 0
  const auto y = nn::BatchNorm2d({.num_features = 3})(x).to_vector<float>();
  CHECK(std::isnan(y[0]));
  CHECK(std::isnan(y[5 * 0 + 3]));  // the whole channel 0 shares the NaN mean
  CHECK(std::isfinite(y[4]));       // channel 1
}

TEST_CASE("Conv -> BatchNorm -> ReLU in a Sequential runs oneDNN's fused norm + ReLU with the unfused numbers") {
  manual_seed(5);
  nn::Conv2d conv({.in_channels = 3, .out_channels = 16, .kernel_size = 3});
  nn::BatchNorm2d bn_fused({.num_features = 16}), bn_plain({.num_features = 16});
  nn::Sequential fused(conv, bn_fused, nn::ReLU());
  const Tensor x = randn({4, 3, 9, 9});
  Tensor a = x.clone().requires_grad_(), b = x.clone().requires_grad_();
  const Tensor ya = fused(a), yb = nn::functional::relu(bn_plain(conv(b)));
  CHECK(ya.grad_fn()->name == "ReluBackward0");
  check_close(ya, yb);
  const Tensor g = randn(ya.shape());
  ya.backward(g);
  const Tensor conv_grad = conv.weight.grad().clone();
  conv.weight.set_grad({});
  yb.backward(g);
  check_close(a.grad(), b.grad(), 1e-5, 1e-4);
  check_close(conv_grad, conv.weight.grad(), 1e-4, 1e-4);
  check_close(bn_fused.weight.grad(), bn_plain.weight.grad(), 1e-4, 1e-4);
  check_close(bn_fused.running_var, bn_plain.running_var);
  // NaN in the input: unfused, so the NaN stays NaN as in PyTorch (the fused ReLU would make it 0).
  Tensor n = randn({4, 16, 3, 3});
  n.data_ptr<float>()[0] = NAN;
  CHECK(std::isnan(bn_fused.forward_relu(n).to_vector<float>()[0]));
  // The fusion is decided on every operand before running: a NaN weight makes its channel NaN, not 0.
  {
    NoGradGuard no_grad;
    bn_fused.weight.data_ptr<float>()[1] = NAN;
  }
  const auto y = bn_fused.forward_relu(randn({4, 16, 3, 3})).to_vector<float>();
  CHECK(std::isnan(y[9]));  // sample 0, channel 1
  CHECK(!std::isnan(y[0]));
}

TEST_CASE("SyncBatchNorm in a world of one is BatchNorm: values, gradients, running stats, repr, errors") {
  manual_seed(3);
  const Tensor x = randn({4, 3, 5}) * 2 + 1;
  nn::SyncBatchNorm sync({.num_features = 3});
  nn::BatchNorm1d plain({.num_features = 3});
  Tensor a = x.detach().requires_grad_(), b = x.detach().requires_grad_();
  const Tensor ya = sync(a), yb = plain(b);
  (ya * ya).sum().backward();
  (yb * yb).sum().backward();
  check_close(ya, yb);
  check_close(a.grad(), b.grad(), 1e-4);
  check_close(sync.running_var, plain.running_var, 1e-6);
  CHECK(nn::to_string(sync) == "SyncBatchNorm(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
  CHECK_FALSE(distributed::is_initialized());  // not part of a job: no MPI started for it
  sync.eval();
  plain.eval();
  check_close(sync(x), plain(x), 1e-6);
  sync.train();
  CHECK_THROWS_WITH_AS(sync(randn({3})), doctest::Contains("SyncBatchNorm: expected at least 2D input (got 1D"), Error);
  CHECK_THROWS_WITH_AS(sync(randn({1, 3})), doctest::Contains("Expected more than 1 value per channel"), Error);
  nn::Sequential model(nn::Conv2d({.in_channels = 1, .out_channels = 2, .kernel_size = 1}),
                       nn::BatchNorm2d({.num_features = 2}), nn::InstanceNorm2d({.num_features = 2}));
  nn::convert_sync_batchnorm(model);
  const std::string repr = nn::to_string(model);
  CHECK(repr.find("(1): SyncBatchNorm(2,") != std::string::npos);
  CHECK(repr.find("(2): InstanceNorm2d(2,") != std::string::npos);
}
