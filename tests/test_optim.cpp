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

TEST_CASE("SGD, Adam, AdamW, RMSprop, Adagrad and Adadelta follow PyTorch's losses for 20 steps") {
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
  check_against_pytorch("adadelta",
                        [](Mlp& m) { return optim::Adadelta(m.parameters(), {.lr = 1.0, .weight_decay = 1e-3}); });
}

TEST_CASE("Adadelta refuses PyTorch's invalid options with its messages") {
  Mlp m;
  CHECK_THROWS_WITH_AS(optim::Adadelta(m.parameters(), {.lr = -1.0}), doctest::Contains("Invalid learning rate: -1"),
                       Error);
  CHECK_THROWS_WITH_AS(optim::Adadelta(m.parameters(), {.rho = 1.5}), "Adadelta: Invalid rho value: 1.5", Error);
  CHECK_THROWS_WITH_AS(optim::Adadelta(m.parameters(), {.eps = -1e-6}), doctest::Contains("Invalid epsilon value"),
                       Error);
  CHECK_THROWS_WITH_AS(optim::Adadelta(m.parameters(), {.weight_decay = -0.1}),
                       "Adadelta: Invalid weight_decay value: -0.1", Error);
}

TEST_CASE("parameter groups: each group's own learning rate and weight decay, as PyTorch's param_groups") {
  check_against_pytorch("sgd_groups", [](Mlp& m) {
    return optim::SGD(weights_and_biases(m, optim::SGDOptions{.lr = 0.05, .weight_decay = 0}),
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

TEST_CASE("a group's options fill in only what they set; the group owns its lr") {
  Mlp m;
  // PyTorch: AdamW([{"params": w}, {"params": b, "weight_decay": 0}], lr=5e-3, betas=(0.8, 0.9)).
  optim::AdamW adamw(weights_and_biases(m, optim::AdamWOptions{.weight_decay = 0}), {.lr = 5e-3, .betas = {0.8, 0.9}});
  CHECK(adamw.lr(1) == 5e-3);
  CHECK(adamw.group_options(1).betas->first == 0.8);
  CHECK(adamw.group_options(1).weight_decay == 0.0);
  CHECK(adamw.group_options(0).weight_decay == 1e-2);  // AdamW's own default
  CHECK(*adamw.momentum(1) == 0.8);
  // One home: set_lr writes the group's options, and writing them is what lr() and the next step read.
  adamw.set_lr(1, 2e-3);
  CHECK(adamw.group_options(1).lr == 2e-3);
  adamw.group_options(0).lr = 7e-3;
  CHECK(adamw.lr(0) == 7e-3);
  CHECK(adamw.defaults().lr == 5e-3);
  CHECK_THROWS_WITH_AS(adamw.group_options(2), doctest::Contains("no parameter group 2"), Error);
  CHECK_THROWS_WITH_AS(optim::SGD(m.parameters(), {.momentum = 0.9}), doctest::Contains("lr is required"), Error);
}

TEST_CASE("state_dict keeps each group's lr in double; a float32 lr of an older checkpoint still loads") {
  Mlp m;
  optim::SGD sgd(m.parameters(), {.lr = 0.1 + 1e-12});
  StateDict saved = sgd.state_dict();
  CHECK(saved.find("param_groups.0.lr")->dtype() == kFloat64);
  optim::SGD other(m.parameters(), {.lr = 1.0});
  other.load_state_dict(saved);
  CHECK(other.lr() == 0.1 + 1e-12);
  StateDict old;
  old.insert("param_groups.0.lr", scalar_tensor(0.25));  // float32, as checkpoints stored it before
  other.load_state_dict(old);
  CHECK(other.lr() == 0.25);
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
