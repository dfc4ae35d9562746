// Optimizers: the same losses as PyTorch's run of the same recipe, step for step.
#include "helpers.hpp"

using namespace nabla;

namespace {

struct Mlp : nn::Layer<Mlp> {
  nn::Sequential net{nn::Linear({.in_features = 10, .out_features = 16}), nn::ReLU(),
                     nn::Linear({.in_features = 16, .out_features = 3})};
  Mlp() {
    register_module("net", net);
    StateDict initial;  // the start tools/make_fixtures.py saved (keys as PyTorch's Sequential's)
    for (const auto* key : {"0.weight", "0.bias", "2.weight", "2.bias"}) {
      std::string file = std::string("mlp_init_") + key;
      std::replace(file.begin(), file.end(), '.', '_');
      initial.insert(std::string("net.") + key, test::fixture(file));
    }
    load_state_dict(initial);
  }
  Tensor forward(const Tensor& x) { return net(x); }
};

template <class Make>
void check_against_pytorch(const std::string& name, Make make_optimizer) {
  CAPTURE(name);
  Mlp model;
  auto optimizer = make_optimizer(model.parameters());
  const Tensor x = test::fixture("mlp_x"), y = test::fixture("mlp_y");
  const auto expected = test::fixture("mlp_losses_" + name).to_vector<float>();
  for (int step = 0; step < 20; ++step) {
    if (step == 10) optimizer.set_lr(optimizer.lr() * 0.5);
    optimizer.zero_grad();
    const Tensor loss = cross_entropy(model(x), y);
    loss.backward();
    optimizer.step();
    CHECK(loss.item<float>() == doctest::Approx(expected[step]).epsilon(1e-4));
  }
}

}  // namespace

TEST_CASE("SGD, Adam and AdamW follow PyTorch's losses for 20 steps") {
  check_against_pytorch("sgd", [](auto p) { return optim::SGD(p, {.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .weight_decay = 1e-3}); });
  check_against_pytorch("sgd_nesterov", [](auto p) { return optim::SGD(p, {.lr = 0.05, .momentum = 0.9, .nesterov = true}); });
  check_against_pytorch("adam", [](auto p) { return optim::Adam(p, {.lr = 1e-2, .weight_decay = 1e-3}); });
  check_against_pytorch("adam_amsgrad", [](auto p) { return optim::Adam(p, {.lr = 1e-2, .amsgrad = true}); });
  check_against_pytorch("adamw", [](auto p) { return optim::AdamW(p, {.lr = 1e-2}); });
}

TEST_CASE("optimizer state round-trips through state_dict") {
  Mlp a, b;
  optim::Adam opt_a(a.parameters(), {.lr = 1e-2}), opt_b(b.parameters(), {.lr = 5.0});
  const Tensor x = test::fixture("mlp_x"), y = test::fixture("mlp_y");
  const auto train_step = [&](Mlp& m, optim::Adam& o) {
    o.zero_grad();
    const Tensor loss = cross_entropy(m(x), y);
    loss.backward();
    o.step();
    return loss.item<float>();
  };
  for (int i = 0; i < 3; ++i) train_step(a, opt_a);
  b.load_state_dict(a.state_dict());
  opt_b.load_state_dict(opt_a.state_dict());
  CHECK(opt_b.lr() == doctest::Approx(1e-2));
  for (int i = 0; i < 3; ++i) CHECK(train_step(a, opt_a) == train_step(b, opt_b));
}
