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
  CHECK_THROWS_WITH_AS((x * 2.0).backward(), doctest::Contains("only for scalar outputs, but the output has shape [2]"), Error);
  CHECK_THROWS_WITH_AS((x * 2.0).backward(ones({3})), doctest::Contains("gradient has shape [3] but the output has shape [2]"), Error);
  CHECK_THROWS_WITH_AS(ones({2}, kInt64).requires_grad_(), doctest::Contains("only float32"), Error);
  CHECK_THROWS_WITH_AS(x.fill_(1.0), doctest::Contains("in-place operation"), Error);
}

TEST_CASE("a wrong-shaped gradient from an op is reported with the op's name") {
  Tensor x = ones({3}).requires_grad_();
  Tensor y = autograd::record("BadBackward", x * 1.0, {x}, [](const Tensor&, const autograd::Needs&) {
    return autograd::Grads{ones({4})};
  });
  CHECK_THROWS_WITH_AS(y.sum().backward(), doctest::Contains("BadBackward returned a gradient of shape [4] for its input 0 of shape [3]"), Error);
}
