// Lazy conv layers: PyTorch's init (tools/make_lazy_fold_fixtures.py), becoming the concrete layer,
// state_dict loading, and the errors PyTorch gives late or not at all.
#include "helpers.hpp"

using namespace nabla;

namespace {

using test::numbers;

template <class Lazy>
void check_lazy_case(test::FixtureCase f) {
  manual_seed(std::stoull(f["seed"]));
  const int64_t out = std::stoll(f["out_channels"]);
  const int64_t groups = f.count("groups") ? std::stoll(f["groups"]) : 1;
  const bool bias = !f.count("bias") || f["bias"] == "1";
  Lazy lazy(typename Lazy::Options{.out_channels = out, .kernel_size = numbers(f["kernel_size"]),
                                   .stride = f.count("stride") ? numbers(f["stride"]) : std::vector<int64_t>{1},
                                   .groups = groups, .bias = bias});
  CHECK(lazy.has_uninitialized_params());
  lazy(ones(numbers(f["input"])));
  CHECK_FALSE(lazy.has_uninitialized_params());
  const std::vector<float> flat = test::fixture_floats("lazy_fold/" + f["name"]);
  const auto& layer = lazy.materialized();
  const int64_t w = layer.weight.numel();
  REQUIRE(static_cast<int64_t>(flat.size()) == w + (bias ? out : 0));
  CHECK(layer.weight.template to_vector<float>() == std::vector<float>(flat.begin(), flat.begin() + w));
  if (bias) CHECK(layer.bias.template to_vector<float>() == std::vector<float>(flat.begin() + w, flat.end()));
}

}  // namespace

TEST_CASE("lazy layers materialise with PyTorch's initial values for the same seed") {
  int count = 0;
  for (const auto& f : test::fixture_cases("lazy_fold/cases.txt", "Lazy")) {
    CAPTURE(f.at("line"));
    ++count;
    const std::string kind = f.at("kind");
    if (kind == "LazyConv1d") check_lazy_case<nn::LazyConv1d>(f);
    else if (kind == "LazyConv2d") check_lazy_case<nn::LazyConv2d>(f);
    else if (kind == "LazyConv3d") check_lazy_case<nn::LazyConv3d>(f);
    else if (kind == "LazyConvTranspose1d") check_lazy_case<nn::LazyConvTranspose1d>(f);
    else if (kind == "LazyConvTranspose2d") check_lazy_case<nn::LazyConvTranspose2d>(f);
    else if (kind == "LazyConvTranspose3d") check_lazy_case<nn::LazyConvTranspose3d>(f);
    else FAIL("unknown kind " << kind);
  }
  CHECK(count == 6);
}

TEST_CASE("a lazy layer draws the same values as the eager layer from the same RNG state") {
  manual_seed(5);
  nn::Conv2d eager({.in_channels = 3, .out_channels = 8, .kernel_size = 3, .padding = 1});
  const Tensor x = randn({2, 3, 6, 6});
  manual_seed(5);
  nn::LazyConv2d lazy({.out_channels = 8, .kernel_size = 3, .padding = 1});
  const Tensor y = lazy(x);
  CHECK(lazy.materialized().weight.to_vector<float>() == eager.weight.to_vector<float>());
  CHECK(lazy.materialized().bias.to_vector<float>() == eager.bias.to_vector<float>());
  CHECK(y.to_vector<float>() == eager(x).to_vector<float>());
}

TEST_CASE("after its first forward a lazy layer prints and saves as the concrete layer") {
  nn::LazyConvTranspose1d lazy({.out_channels = 4, .kernel_size = 3, .stride = 2});
  CHECK(to_string(lazy) == "LazyConvTranspose1d(<uninitialized>, 4, kernel_size=(3,), stride=(2,))");
  CHECK(lazy.parameters().size() == 2);  // allowed, as placeholders
  CHECK_FALSE(lazy.parameters()[0].defined());
  lazy(randn({5, 7}));  // unbatched: in_channels = 5
  CHECK(to_string(lazy) == "ConvTranspose1d(5, 4, kernel_size=(3,), stride=(2,))");
  CHECK(lazy.state_dict().keys() == std::vector<std::string>{"weight", "bias"});
  CHECK(lazy.state_dict()["weight"].shape() == Shape{5, 4, 3});
  CHECK(lazy(randn({1, 5, 7}), {16}).shape() == Shape{1, 4, 16});  // output_size, as the concrete layer
}

TEST_CASE("a lazy layer inside a model materialises through the parent, and trains") {
  manual_seed(6);
  nn::Sequential net(nn::LazyConv1d({.out_channels = 4, .kernel_size = 3}), nn::ReLU(), nn::Flatten());
  CHECK_THROWS_WITH_AS(optim::SGD(net.parameters(), {.lr = 0.1}),
                       doctest::Contains("parameter 0 is uninitialized (a lazy module that has not materialised"),
                       Error);
  const Tensor x = randn({2, 3, 8});
  net(x);
  CHECK(to_string(net) ==
        "Sequential(\n  (0): Conv1d(3, 4, kernel_size=(3,), stride=(1,))\n  (1): ReLU()\n  (2): Flatten(start_dim=1, "
        "end_dim=-1)\n)");
  optim::SGD sgd(net.parameters(), {.lr = 0.1});
  const Tensor before = net.parameters()[0].clone();
  net(x).sum().backward();
  sgd.step();
  CHECK(net.parameters()[0].to_vector<float>() != before.to_vector<float>());
}

TEST_CASE("load_state_dict materialises a lazy layer from the loaded shapes") {
  manual_seed(7);
  nn::Conv2d source({.in_channels = 6, .out_channels = 4, .kernel_size = {3, 2}, .groups = 2});
  nn::LazyConv2d lazy({.out_channels = 4, .kernel_size = {3, 2}, .groups = 2});
  lazy.load_state_dict(source.state_dict());
  CHECK(lazy.materialized().options.in_channels == 6);
  CHECK(lazy.materialized().weight.to_vector<float>() == source.weight.to_vector<float>());
  const Tensor x = randn({1, 6, 5, 5});
  CHECK(lazy(x).to_vector<float>() == source(x).to_vector<float>());

  nn::LazyConvTranspose2d up({.out_channels = 3, .kernel_size = 2});
  nn::ConvTranspose2d up_source({.in_channels = 5, .out_channels = 3, .kernel_size = 2});
  up.load_state_dict(up_source.state_dict());
  CHECK(up.materialized().options.in_channels == 5);

  // As in PyTorch, materialising from a load draws no random numbers.
  nn::LazyConv2d again({.out_channels = 4, .kernel_size = {3, 2}, .groups = 2});
  manual_seed(8);
  const float expected = rand({1}).item<float>();
  manual_seed(8);
  again.load_state_dict(source.state_dict());
  CHECK(rand({1}).item<float>() == expected);
}

TEST_CASE("a partly loaded lazy layer refuses to run instead of using random values") {
  nn::Conv1d source({.in_channels = 2, .out_channels = 3, .kernel_size = 3});
  StateDict weight_only;
  weight_only.insert("weight", source.state_dict()["weight"]);
  nn::LazyConv1d lazy({.out_channels = 3, .kernel_size = 3});
  CHECK_THROWS_WITH_AS(lazy.load_state_dict(weight_only), doctest::Contains("Missing key(s) in state_dict: \"bias\""),
                       Error);
  lazy.load_state_dict(weight_only, /*strict=*/false);
  CHECK(lazy.has_uninitialized_params());
  CHECK_THROWS_WITH_AS(lazy(randn({1, 2, 5})), doctest::Contains("its 'bias' was not in the loaded state_dict"), Error);
  lazy.load_state_dict(source.state_dict());  // completes it
  CHECK_FALSE(lazy.has_uninitialized_params());
  const Tensor x = randn({1, 2, 5});
  CHECK(lazy(x).to_vector<float>() == source(x).to_vector<float>());

  StateDict bias_only;
  bias_only.insert("bias", source.state_dict()["bias"]);
  nn::LazyConv1d unknown({.out_channels = 3, .kernel_size = 3});
  unknown.load_state_dict(bias_only, false);
  CHECK_THROWS_WITH_AS(unknown(x), doctest::Contains("has no 'weight' for this layer"), Error);
}

TEST_CASE("saving an unmaterialised lazy layer is refused with a reason") {
  nn::LazyConv2d lazy({.out_channels = 2, .kernel_size = 1});
  CHECK_THROWS_WITH_AS(save(lazy.state_dict(), "/tmp/nabla_lazy.tmp.safetensors"),
                       doctest::Contains("uninitialized parameter of a lazy module"), Error);
  CHECK_THROWS_WITH_AS(lazy.materialized(), doctest::Contains("has not materialised yet"), Error);
}

TEST_CASE("lazy conv error: out_channels % groups checked at construction, in_channels % groups at the first input") {
  CHECK_THROWS_WITH_AS(nn::LazyConv2d({.out_channels = 5, .kernel_size = 3, .groups = 2}),
                       doctest::Contains("LazyConv2d(?->5, k=3): out_channels must be divisible by groups"), Error);
  CHECK_THROWS_WITH_AS(nn::LazyConv1d({.out_channels = 4, .kernel_size = 3, .groups = 0}),
                       doctest::Contains("groups must be a positive integer"), Error);
  CHECK_THROWS_WITH_AS(nn::LazyConvTranspose2d({.out_channels = 4, .kernel_size = 0}),
                       doctest::Contains("kernel_size must be positive"), Error);
  nn::LazyConv2d lazy({.out_channels = 4, .kernel_size = 3, .groups = 2});
  CHECK_THROWS_WITH_AS(lazy(randn({1, 3, 5, 5})),
                       doctest::Contains("in_channels must be divisible by groups, but the input of shape [1, 3, 5, 5] "
                                         "gives in_channels=3 for groups=2"),
                       Error);
  CHECK_THROWS_WITH_AS(
      lazy(randn({5, 5})),
      doctest::Contains("Expected 3D (unbatched) or 4D (batched) input to LazyConv2d, but got input of size: [5, 5]"),
      Error);
  CHECK(lazy.has_uninitialized_params());  // a failed first forward leaves it lazy
}
