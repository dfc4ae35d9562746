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
  auto optimizer = make_optimizer(model);
  const Tensor x = test::fixture("mlp_x"), y = test::fixture("mlp_y");
  const auto expected = test::fixture("mlp_losses_" + name).to_vector<float>();
  for (int step = 0; step < 20; ++step) {
    if (step == 10)
      for (size_t g = 0; g < optimizer.num_groups(); ++g) optimizer.set_lr(g, optimizer.lr(g) * 0.5);
    optimizer.zero_grad();
    const Tensor loss = cross_entropy(model(x), y);
    loss.backward();
    optimizer.step();
    CHECK(loss.item<float>() == doctest::Approx(expected[step]).epsilon(1e-4));
  }
}

}  // namespace

// Weights in the first group, biases in the second (the usual "no decay on biases" recipe).
template <class Options>
std::vector<optim::ParamGroup<Options>> weights_and_biases(const Mlp& m, const Options& bias_options) {
  std::vector<Tensor> weights, biases;
  for (const auto& [name, p] : m.named_parameters()) (name.ends_with("weight") ? weights : biases).push_back(p);
  return {{.params = weights}, {.params = biases, .options = bias_options}};
}

TEST_CASE("SGD, Adam, AdamW, RMSprop and Adagrad follow PyTorch's losses for 20 steps") {
  check_against_pytorch("sgd", [](Mlp& m) {
    return optim::SGD(m.parameters(), {.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .weight_decay = 1e-3});
  });
  check_against_pytorch("sgd_nesterov", [](Mlp& m) {
    return optim::SGD(m.parameters(), {.lr = 0.05, .momentum = 0.9, .nesterov = true});
  });
  check_against_pytorch("adam", [](Mlp& m) { return optim::Adam(m.parameters(), {.lr = 1e-2, .weight_decay = 1e-3}); });
  check_against_pytorch("adam_amsgrad",
                        [](Mlp& m) { return optim::Adam(m.parameters(), {.lr = 1e-2, .amsgrad = true}); });
  check_against_pytorch("adamw", [](Mlp& m) { return optim::AdamW(m.parameters(), {.lr = 1e-2}); });
  check_against_pytorch("rmsprop",
                        [](Mlp& m) { return optim::RMSprop(m.parameters(), {.lr = 1e-2, .weight_decay = 1e-3}); });
  check_against_pytorch("rmsprop_centered", [](Mlp& m) {
    return optim::RMSprop(m.parameters(), {.lr = 5e-3, .momentum = 0.9, .centered = true});
  });
  check_against_pytorch("adagrad", [](Mlp& m) {
    return optim::Adagrad(m.parameters(),
                          {.lr = 0.1, .lr_decay = 0.01, .weight_decay = 1e-3, .initial_accumulator_value = 0.1});
  });
}

TEST_CASE("parameter groups: each group's own learning rate and weight decay, as PyTorch's param_groups") {
  check_against_pytorch("sgd_groups", [](Mlp& m) {
    return optim::SGD(weights_and_biases(m, optim::SGDOptions{.lr = 0.05, .momentum = 0.9}),
                      {.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-2});
  });
  check_against_pytorch("adamw_groups", [](Mlp& m) {
    return optim::AdamW(weights_and_biases(m, optim::AdamWOptions{.lr = 1e-2, .weight_decay = 0}),
                        {.lr = 5e-3, .weight_decay = 0.1});
  });
  Mlp m;
  optim::SGD sgd(weights_and_biases(m, optim::SGDOptions{.lr = 0.05}), {.lr = 0.1});
  CHECK(sgd.num_groups() == 2);
  CHECK(sgd.lr(1) == 0.05);
  CHECK(sgd.state_dict().contains("param_groups.1.lr"));
  CHECK_THROWS_WITH_AS(optim::SGD({{.params = m.parameters()}, {.params = m.parameters()}}, {.lr = 0.1}),
                       doctest::Contains("some parameters appear in more than one parameter group"), Error);
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
