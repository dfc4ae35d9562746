// The define-by-run graph: recording, backward, accumulation, freeing, and the errors around them.
#include "helpers.hpp"

using namespace nabla;

TEST_CASE("backward computes gradients of a scalar through a graph") {
  Tensor x = from_vector(std::vector<float>{1, 2, 3}, {3}).requires_grad_();
  Tensor y = (x * x + x * 2.0).sum();  // dy/dx = 2x + 2
  CHECK(y.grad_fn() != nullptr);
  CHECK_FALSE(y.is_leaf());
  CHECK(x.is_leaf());
  y.backward();
  CHECK(x.grad().to_vector<float>() == std::vector<float>{4, 6, 8});
}

TEST_CASE("gradients accumulate into leaves across backward calls") {
  Tensor x = ones({2}).requires_grad_();
  (x * 3.0).sum().backward();
  (x * 3.0).sum().backward();
  CHECK(x.grad().to_vector<float>() == std::vector<float>{6, 6});
}

TEST_CASE("a tensor used twice gets both gradients") {
  Tensor x = full({2}, 3.0).requires_grad_();
  Tensor a = x * 2.0, b = x * x;
  (a + b).sum().backward();  // 2 + 2x
  CHECK(x.grad().to_vector<float>() == std::vector<float>{8, 8});
}

TEST_CASE("backward with a given gradient for a non-scalar output") {
  Tensor x = ones({2, 2}).requires_grad_();
  Tensor y = x * 5.0;
  y.backward(from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2}));
  CHECK(x.grad().to_vector<float>() == std::vector<float>{5, 10, 15, 20});
}

TEST_CASE("the graph is freed after backward unless retained") {
  Tensor x = ones({2}).requires_grad_();
  Tensor y = (x.exp() * 2.0).sum();
  y.backward({}, true);
  y.backward();
  CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("backward through the graph a second time"), Error);
}

TEST_CASE("detach and NoGradGuard stop recording") {
  Tensor x = ones({2}).requires_grad_();
  CHECK_FALSE(x.detach().requires_grad());
  {
    NoGradGuard guard;
    CHECK_FALSE((x * 2.0).requires_grad());
  }
  CHECK((x * 2.0).requires_grad());
}

TEST_CASE("only inputs that need gradients get them") {
  Tensor a = ones({2}).requires_grad_(), b = ones({2});
  (a * b).sum().backward();
  CHECK(a.grad().defined());
  CHECK_FALSE(b.grad().defined());
}

TEST_CASE("backward errors are clear") {
  CHECK_THROWS_WITH_AS(ones({2}).sum().backward(), doctest::Contains("does not require grad"), Error);
  Tensor x = ones({2}).requires_grad_();
  CHECK_THROWS_WITH_AS((x * 2.0).backward(), doctest::Contains("only for scalar outputs, but the output has shape [2]"),
                       Error);
  CHECK_THROWS_WITH_AS((x * 2.0).backward(ones({3})),
                       doctest::Contains("gradient has shape [3] but the output has shape [2]"), Error);
  CHECK_THROWS_WITH_AS(ones({2}, kInt64).requires_grad_(), doctest::Contains("only float32"), Error);
  CHECK_THROWS_WITH_AS(x.fill_(1.0), doctest::Contains("in-place operation"), Error);
}

TEST_CASE("a wrong-shaped gradient from an op is reported with the op's name") {
  Tensor x = ones({3}).requires_grad_();
  Tensor y = autograd::record("BadBackward", x * 1.0, {x}, [](const Tensor&, const autograd::Needs&) {
    return autograd::Grads{ones({4})};
  });
  CHECK_THROWS_WITH_AS(y.sum().backward(),
                       doctest::Contains("BadBackward returned a gradient of shape [4] for its input 0 of shape [3]"),
                       Error);
}

TEST_CASE("an op's gradient of another dtype is refused (a user op returning int64)") {
  Tensor x = ones({3}).requires_grad_();
  Tensor y = autograd::record("IntBackward", x * 1.0, {x},
                              [](const Tensor&, const autograd::Needs&) { return autograd::Grads{ones({3}, kInt64)}; });
  CHECK_THROWS_WITH_AS(y.sum().backward(),
                       doctest::Contains("IntBackward returned a int64 gradient for its float32 input 0"), Error);
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("a value saved for backward and written in place before it makes backward raise (PyTorch's check)") {
  const auto inplace_error = doctest::Contains("modified by an inplace operation");
  SUBCASE("a mul operand written under NoGradGuard") {
    Tensor w = full({3}, 2.0).requires_grad_();
    Tensor x = full({3}, 5.0).requires_grad_();
    Tensor y = (w * x).sum();
    {
      NoGradGuard no_grad;
      w.copy_(full({3}, 7.0));
    }
    CHECK_THROWS_WITH_AS(y.backward(),
                         doctest::Contains("input 0 of MulBackward0 ([3]) is at version 1; expected "
                                           "version 0"),
                         Error);
  }
  SUBCASE("an optimizer step between forward and backward (Linear's weight)") {
    manual_seed(0);
    nn::Linear linear({.in_features = 3, .out_features = 2});
    optim::SGD sgd(linear.parameters(), {.lr = 0.1});
    Tensor loss = linear.forward(ones({4, 3})).sum();
    loss.backward({}, true);
    sgd.step();
    CHECK_THROWS_WITH_AS(loss.backward(), inplace_error, Error);
  }
  SUBCASE("the output of exp and of sigmoid, which their backward reads") {
    Tensor x = ones({2}).requires_grad_();
    for (Tensor y : {x.exp(), x.sigmoid()}) {
      Tensor loss = y.sum();
      y.detach().fill_(0.0);
      CHECK_THROWS_WITH_AS(loss.backward(), doctest::Contains("output 0 of"), Error);
    }
  }
  SUBCASE("a leaf written after pow, and a conv's input buffer") {
    Tensor x = full({2}, 3.0).requires_grad_();
    Tensor y = x.pow(2.0).sum();
    x.detach().copy_(ones({2}));
    CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("PowBackward0"), Error);
    Tensor input = randn({1, 1, 5, 5});
    Tensor w = randn({2, 1, 3, 3}).requires_grad_();
    Tensor out = nn::functional::conv2d(input, w).sum();
    input.fill_(1.0);
    CHECK_THROWS_WITH_AS(out.backward(), doctest::Contains("ConvolutionBackward0"), Error);
  }
  SUBCASE("ops whose backward reads no values allow it, as in PyTorch") {
    Tensor a = ones({2}).requires_grad_();
    Tensor b = full({2}, 4.0);
    Tensor y = (a + b).view({2, 1}).sum();
    b.fill_(9.0);
    y.backward();
    CHECK(a.grad().to_vector<float>() == std::vector<float>{1, 1});
  }
}

TEST_CASE("anomaly mode names the op whose gradient is not finite") {
  Tensor x = zeros({2}).requires_grad_();
  {
    autograd::DetectAnomalyGuard anomaly;
    CHECK(autograd::is_anomaly_enabled());
    CHECK_THROWS_WITH_AS(x.sqrt().sum().backward(),
                         doctest::Contains("function 'SqrtBackward0' returned inf values in its 0th output"), Error);
    Tensor y = zeros({2}).requires_grad_();
    CHECK_THROWS_WITH_AS((y.sqrt() * 0.0).sum().backward(), doctest::Contains("'SqrtBackward0' returned nan"),
                         Error);  // 0 / (2 * sqrt(0))
  }
  CHECK_FALSE(autograd::is_anomaly_enabled());
  x.sqrt().sum().backward();  // outside the guard the inf flows to the leaf, as in PyTorch
  CHECK(std::isinf(x.grad().to_vector<float>()[0]));
}

TEST_CASE("gradient hooks: register_hook sees and may replace a gradient; post-accumulate hooks fire once per leaf") {
  Tensor w = from_vector(std::vector<float>{1, 2}, {2}).requires_grad_();
  std::vector<std::string> events;
  auto doubled = w.register_hook([&](const Tensor& g) {
    events.push_back("hook");
    return g * 2.0;
  });
  w.register_post_accumulate_grad_hook(
      [&](const Tensor& leaf) { events.push_back("ready " + std::to_string(leaf.grad().to_vector<float>()[0])); });
  const Tensor y = (w * w).sum() + (w * 3.0).sum();  // two uses of w: one hook call with their sum
  y.backward();
  CHECK(events == std::vector<std::string>{"hook", "ready 10.000000"});  // (2·1 + 3)·2
  doubled.remove();
  events.clear();
  w.set_grad({});
  (w * 3.0).sum().backward();
  CHECK(w.grad().to_vector<float>() == std::vector<float>{3, 3});
  CHECK(events == std::vector<std::string>{"ready 3.000000"});

  Tensor h = w * 2.0;  // a non-leaf's hook sees its gradient
  Tensor seen;
  h.register_hook([&](const Tensor& g) {
    seen = g;
    return Tensor();
  });
  (h * h).sum().backward();
  CHECK(seen.to_vector<float>() == std::vector<float>{4, 8});
  CHECK_THROWS_WITH_AS(h.register_post_accumulate_grad_hook([](const Tensor&) {}),
                       doctest::Contains("cannot be registered on non-leaf tensors"), Error);
}

TEST_CASE("queue_callback runs after the backward has finished, and only inside one") {
  Tensor w = ones({3}).requires_grad_();
  bool grads_done_at_callback = false;
  w.register_post_accumulate_grad_hook([&](const Tensor& leaf) {
    autograd::queue_callback([&, leaf] { grads_done_at_callback = leaf.grad().defined(); });
  });
  (w * 2.0).sum().backward();
  CHECK(grads_done_at_callback);
  CHECK_THROWS_WITH_AS(autograd::queue_callback([] {}), doctest::Contains("only a backward in progress"), Error);
}
