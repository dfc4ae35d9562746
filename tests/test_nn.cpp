// nn::Module and the layers: registration, names, printing, modes, init, state dicts.
#include "helpers.hpp"

#include <cmath>

using namespace nabla;
namespace F = nabla::nn::functional;

namespace {
struct Block : nn::Layer<Block> {
  nn::Linear fc{{.in_features = 4, .out_features = 3}};
  nn::Dropout drop{{.p = 0.25}};
  Block() {
    register_module("fc", fc);
    register_module("drop", drop);
    register_buffer("running", zeros({3}));
  }
  Tensor forward(const Tensor& x) { return drop(fc(x)); }
};

struct Net : nn::Layer<Net> {
  nn::Sequential features{nn::Linear({.in_features = 2, .out_features = 4}), nn::ReLU()};
  Block head;
  Net() {
    register_module("features", features);
    register_module("head", head);
  }
  Tensor forward(const Tensor& x) { return head(features(x)); }
};
}  // namespace

TEST_CASE("the issue's example runs") {
  manual_seed(0);
  auto x = randn({4, 3}).requires_grad_();
  auto lin = nn::Linear({.in_features = 3, .out_features = 2});
  auto loss = F::cross_entropy(lin(x), from_vector(std::vector<int64_t>{0, 1, 1, 0}, {4}));
  loss.backward();
  CHECK(x.grad().shape() == Shape{4, 3});
  CHECK(lin.weight.grad().shape() == Shape{2, 3});
  CHECK(lin.bias.grad().shape() == Shape{2});
  auto opt = optim::Adam(lin.parameters(), {.lr = 1e-3});
  const auto before = lin.weight.to_vector<float>();
  opt.step();
  opt.zero_grad();
  CHECK(lin.weight.to_vector<float>() != before);
  CHECK_FALSE(lin.weight.grad().defined());
}

TEST_CASE("named_parameters uses PyTorch's dotted names, in registration order") {
  Net net;
  CHECK(net.named_parameters().keys() ==
        std::vector<std::string>{"features.0.weight", "features.0.bias", "head.fc.weight", "head.fc.bias"});
  CHECK(net.parameters().size() == 4);
  CHECK(net.named_buffers().keys() == std::vector<std::string>{"head.running"});
  // PyTorch's order: a module's own parameters, then its buffers, then its children's entries.
  CHECK(net.state_dict().keys() == std::vector<std::string>{"features.0.weight", "features.0.bias", "head.running",
                                                            "head.fc.weight", "head.fc.bias"});
  CHECK(net.children().size() == 2);
  CHECK(net.features.at<nn::Linear>(0).weight.is_same(net.named_parameters()["features.0.weight"]));
}

TEST_CASE("registered members and the registry are the same tensors") {
  Net net;
  NoGradGuard no_grad;
  net.head.fc.weight.fill_(0.5);
  CHECK(net.named_parameters()["head.fc.weight"].to_vector<float>() == std::vector<float>(12, 0.5f));
}

TEST_CASE("modules print their tree like PyTorch") {
  Net net;
  CHECK(to_string(net) ==
        "Net(\n"
        "  (features): Sequential(\n"
        "    (0): Linear(in_features=2, out_features=4, bias=True)\n"
        "    (1): ReLU()\n"
        "  )\n"
        "  (head): Block(\n"
        "    (fc): Linear(in_features=4, out_features=3, bias=True)\n"
        "    (drop): Dropout(p=0.25, inplace=False)\n"
        "  )\n"
        ")");
  CHECK(to_string(nn::Embedding({.num_embeddings = 10, .embedding_dim = 3, .padding_idx = 0})) ==
        "Embedding(10, 3, padding_idx=0)");
  CHECK(to_string(nn::Flatten()) == "Flatten(start_dim=1, end_dim=-1)");
  CHECK(to_string(nn::Identity()) == "Identity()");
  CHECK(to_string(nn::Linear({.in_features = 1, .out_features = 2, .bias = false})) ==
        "Linear(in_features=1, out_features=2, bias=False)");
}

TEST_CASE("train and eval reach every submodule; dropout is active only in training") {
  Net net;
  net.eval();
  CHECK_FALSE(net.head.drop.is_training());
  const Tensor x = randn({5, 2});
  CHECK(net(x).to_vector<float>() == net(x).to_vector<float>());
  net.train();
  CHECK(net.head.drop.is_training());
}

TEST_CASE("zero_grad and apply visit all parameters") {
  Net net;
  net(randn({3, 2})).sum().backward();
  for (const auto& p : net.parameters()) CHECK(p.grad().defined());
  net.zero_grad();
  for (const auto& p : net.parameters()) CHECK_FALSE(p.grad().defined());
  int visited = 0;
  net.apply([&](nn::Module&) { ++visited; });
  CHECK(visited == 7);  // Net, Sequential, Linear, ReLU, Block, Linear, Dropout
}

TEST_CASE("Linear and Embedding initialise exactly as PyTorch") {
  manual_seed(1);
  nn::Linear linear({.in_features = 5, .out_features = 3});
  test::check_close(linear.weight, test::fixture("init_linear_weight"), 0, 0);
  test::check_close(linear.bias, test::fixture("init_linear_bias"), 0, 0);
  nn::Embedding embedding({.num_embeddings = 10, .embedding_dim = 4, .padding_idx = 0});
  test::check_close(embedding.weight, test::fixture("init_embedding_weight"), 1e-6, 1e-5);
}

TEST_CASE("init functions follow PyTorch's formulas") {
  const Tensor w = empty({64, 32, 3, 3});
  CHECK(nn::init::calculate_fan_in_and_fan_out(w) == std::pair<int64_t, int64_t>{288, 576});
  CHECK(nn::init::calculate_gain(nn::init::Nonlinearity::leaky_relu, std::sqrt(5.0)) ==
        doctest::Approx(std::sqrt(2.0 / 6)));
  CHECK(nn::init::calculate_gain(nn::init::Nonlinearity::tanh) == doctest::Approx(5.0 / 3));
  manual_seed(2);
  const auto check_bound = [](const Tensor& t, double bound) {
    const auto v = t.to_vector<float>();
    CHECK(*std::max_element(v.begin(), v.end()) <= bound);
    CHECK(*std::min_element(v.begin(), v.end()) >= -bound);
    CHECK(*std::max_element(v.begin(), v.end()) > 0.9 * bound);  // the range is actually used
  };
  check_bound(nn::init::kaiming_uniform_(empty({64, 32, 3, 3}), 0.0), std::sqrt(6.0 / 288));
  check_bound(nn::init::xavier_uniform_(empty({64, 32, 3, 3})), std::sqrt(6.0 / (288 + 576)));
  check_bound(
      nn::init::kaiming_uniform_(empty({400, 100}), 0.0, nn::init::FanMode::fan_out, nn::init::Nonlinearity::relu),
      std::sqrt(6.0 / 400));
  const auto std_of = [](const Tensor& t) {
    const auto v = t.to_vector<float>();
    double s = 0;
    for (float e : v) s += e * e;
    return std::sqrt(s / v.size());
  };
  CHECK(std_of(nn::init::kaiming_normal_(empty({256, 512}))) == doctest::Approx(std::sqrt(2.0 / 512)).epsilon(0.03));
  CHECK(std_of(nn::init::xavier_normal_(empty({256, 512}))) == doctest::Approx(std::sqrt(2.0 / 768)).epsilon(0.03));
  CHECK(std_of(nn::init::normal_(empty({256, 512}), 0.0, 0.5)) == doctest::Approx(0.5).epsilon(0.03));
  CHECK(nn::init::constant_(empty({3}), 2.5).to_vector<float>() == std::vector<float>(3, 2.5f));
  CHECK(nn::init::ones_(empty({2})).to_vector<float>() == std::vector<float>(2, 1.f));
  CHECK_THROWS_WITH_AS(nn::init::xavier_uniform_(empty({3})), doctest::Contains("fewer than 2 dimensions"), Error);
}

TEST_CASE("load_state_dict copies values and reports every bad key") {
  Net a, b;
  b.load_state_dict(a.state_dict());
  CHECK(b.head.fc.weight.to_vector<float>() == a.head.fc.weight.to_vector<float>());
  StateDict bad = a.state_dict();
  bad.set("head.fc.weight", zeros({2, 2}));
  bad.insert("extra", zeros({1}));
  StateDict partial;
  for (const auto& [k, v] : bad)
    if (k != "features.0.bias") partial.insert(k, v);
  CHECK_THROWS_WITH_AS(b.load_state_dict(partial),
                       doctest::Contains("Missing key(s) in state_dict: \"features.0.bias\"."), Error);
  CHECK_THROWS_WITH_AS(b.load_state_dict(partial), doctest::Contains("Unexpected key(s) in state_dict: \"extra\"."),
                       Error);
  CHECK_THROWS_WITH_AS(b.load_state_dict(partial),
                       doctest::Contains("size mismatch for head.fc.weight: copying a param with shape [2, 2] from "
                                         "checkpoint, the shape in current model is [3, 4]."),
                       Error);
}

TEST_CASE("layers reject bad input with the layer's name and the shapes") {
  nn::Linear lin({.in_features = 3, .out_features = 2});
  CHECK_THROWS_WITH_AS(lin(ones({4, 5})), doctest::Contains("Linear(3->2): expected input of shape (*, 3), got [4, 5]"),
                       Error);
  CHECK_THROWS_WITH_AS(nn::Dropout({.p = 1.5}), doctest::Contains("between 0 and 1, but got 1.5"), Error);
  CHECK_THROWS_WITH_AS(nn::Embedding({.num_embeddings = 3, .embedding_dim = 2, .padding_idx = 3}),
                       doctest::Contains("padding_idx must be within num_embeddings"), Error);
  CHECK_THROWS_WITH_AS(optim::SGD(lin.parameters(), {}), doctest::Contains("SGD: lr is required"), Error);
  CHECK_THROWS_WITH_AS(optim::Adam(lin.parameters(), {.betas = {1.5, 0.9}}),
                       doctest::Contains("Invalid beta parameter at index 0"), Error);
  CHECK_THROWS_WITH_AS(optim::Adam({ones({2})}), doctest::Contains("can't optimize"), Error);
}

TEST_CASE("dropout zeroes about p of the elements, scales the rest, and is reproducible") {
  manual_seed(5);
  const Tensor x = ones({100000});
  const auto y = dropout(x, 0.3).to_vector<float>();
  const auto zeros_count = std::count(y.begin(), y.end(), 0.f);
  CHECK(zeros_count / 100000.0 == doctest::Approx(0.3).epsilon(0.02));
  CHECK(std::all_of(y.begin(), y.end(), [](float v) { return v == 0.f || std::fabs(v - 1 / 0.7) < 1e-6; }));
  manual_seed(5);
  CHECK(dropout(x, 0.3).to_vector<float>() == y);
  CHECK(dropout(x, 0.3, false).is_same(x));
  manual_seed(6);
  const Tensor r = randn({4, 5});
  test::gradcheck([](const auto& in) { manual_seed(7); return dropout(in[0], 0.5); }, {r});
}

TEST_CASE("embedding picks rows and accumulates gradients, skipping padding_idx") {
  const Tensor weight = arange(8, kFloat32).reshape({4, 2});
  const Tensor idx = from_vector(std::vector<int64_t>{1, 3, 1, 0}, {2, 2});
  const Tensor y = embedding(idx, weight);
  CHECK(y.shape() == Shape{2, 2, 2});
  CHECK(y.to_vector<float>() == std::vector<float>{2, 3, 6, 7, 2, 3, 0, 1});
  Tensor w = weight.clone().requires_grad_();
  embedding(idx, w, 0).sum().backward();
  CHECK(w.grad().to_vector<float>() == std::vector<float>{0, 0, 2, 2, 0, 0, 1, 1});
  test::gradcheck([idx](const auto& in) { return embedding(idx, in[0]); }, {randn({4, 3})});
  CHECK_THROWS_WITH_AS(embedding(from_vector(std::vector<int64_t>{4}, {1}), weight),
                       doctest::Contains("index 4 is out of range for a table of 4 embeddings"), Error);
}
