// linear and matmul on oneDNN, softmax/log_softmax and the losses, against PyTorch fixtures.
#include "helpers.hpp"

using namespace nabla;
using test::check_close;
using test::fixture;
using test::gradcheck;

TEST_CASE("linear matches PyTorch forward and backward") {
  Tensor x = fixture("linear_x").requires_grad_(), w = fixture("linear_w").requires_grad_(),
         b = fixture("linear_b").requires_grad_();
  const Tensor y = linear(x, w, b);
  check_close(y, fixture("linear_y"));
  y.backward(fixture("linear_g"));
  check_close(x.grad(), fixture("linear_dx"));
  check_close(w.grad(), fixture("linear_dw"));
  check_close(b.grad(), fixture("linear_db"));
}

TEST_CASE("linear and matmul gradients check, with batch dims and without bias") {
  manual_seed(30);
  gradcheck([](const auto& in) { return linear(in[0], in[1], in[2]); }, {randn({2, 3, 5}), randn({4, 5}), randn({4})});
  gradcheck([](const auto& in) { return linear(in[0], in[1]); }, {randn({3, 5}), randn({4, 5})});
  gradcheck([](const auto& in) { return matmul(in[0], in[1]); }, {randn({3, 5}), randn({5, 2})});
  gradcheck([](const auto& in) { return matmul(in[0], in[1]); }, {randn({2, 3, 5}), randn({1, 5, 2})});
  gradcheck([](const auto& in) { return matmul(in[0], in[1]); }, {randn({5}), randn({5, 2})});
  gradcheck([](const auto& in) { return matmul(in[0], in[1]); }, {randn({4, 5}), randn({5})});
}

TEST_CASE("linear on a few rows (oneDNN's inner product) and on many (matmul) give x·wᵀ + b and its gradients") {
  manual_seed(32);
  for (int64_t rows : {1, 4, 5, 17}) {
    CAPTURE(rows);
    Tensor x = randn({rows, 300}).requires_grad_(), w = randn({7, 300}).requires_grad_(),
           b = randn({7}).requires_grad_();
    const Tensor g = randn({rows, 7});
    const auto run = [&](const Tensor& y) {
      for (Tensor* t : {&x, &w, &b}) t->set_grad({});
      y.backward(g);
      return std::vector<Tensor>{y.detach(), x.grad(), w.grad(), b.grad()};
    };
    const auto expected = run(matmul(x, w.t()) + b), actual = run(linear(x, w, b));
    for (size_t i = 0; i < expected.size(); ++i) check_close(actual[i], expected[i], 1e-4, 1e-4);
  }
}

TEST_CASE("matmul matches a naive loop, including transposed views") {
  manual_seed(31);
  const Tensor a = randn({3, 4}), b = randn({2, 4});
  const Tensor c = matmul(a, b.t());
  const auto av = a.to_vector<float>(), bv = b.to_vector<float>(), cv = c.to_vector<float>();
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 2; ++j) {
      double s = 0;
      for (int k = 0; k < 4; ++k) s += av[i * 4 + k] * bv[j * 4 + k];
      CHECK(cv[i * 2 + j] == doctest::Approx(s).epsilon(1e-5));
    }
  CHECK(matmul(randn({4}), randn({4})).dim() == 0);
  CHECK(matmul(zeros({3, 0}), zeros({0, 2})).to_vector<float>() == std::vector<float>(6, 0.f));
}

TEST_CASE("a repeated matmul of the same shapes builds no new primitive") {
  const Tensor a = ones({7, 3}), b = ones({3, 5});
  matmul(a, b);
  const uint64_t before = primitives_created();
  matmul(a, b);
  matmul(a * 2.0, b);
  CHECK(primitives_created() == before);
}

TEST_CASE("linear errors name the shapes") {
  CHECK_THROWS_WITH_AS(linear(ones({2, 3}), ones({4, 5})),
                       doctest::Contains("expected input of shape (*, 5) for weight of shape [4, 5], got [2, 3]"),
                       Error);
  CHECK_THROWS_WITH_AS(linear(ones({2, 5}), ones({4, 5}), ones({3})),
                       doctest::Contains("expected bias of shape [4], got [3]"), Error);
  CHECK_THROWS_WITH_AS(mm(ones({2, 3}), ones({2, 3})),
                       doctest::Contains("mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)"), Error);
  CHECK_THROWS_WITH_AS(matmul(ones({2, 3}), ones({4})), doctest::Contains("cannot be multiplied"), Error);
}

TEST_CASE("softmax and log_softmax match PyTorch") {
  const Tensor g = fixture("softmax_g");
  for (const auto& [name, fn] : std::vector<std::pair<std::string, std::function<Tensor(const Tensor&)>>>{
           {"softmax", [](const Tensor& t) { return softmax(t, 1); }},
           {"log_softmax", [](const Tensor& t) { return log_softmax(t, 1); }},
           {"softmax_dim0", [](const Tensor& t) { return softmax(t, 0); }}}) {
    CAPTURE(name);
    Tensor x = fixture("softmax_x").requires_grad_();
    const Tensor y = fn(x);
    check_close(y, fixture(name + "_y"));
    y.backward(g);
    check_close(x.grad(), fixture(name + "_dx"));
  }
  manual_seed(32);
  gradcheck([](const auto& in) { return log_softmax(in[0], -1); }, {randn({2, 3, 4})});
  gradcheck([](const auto& in) { return softmax(in[0], 1); }, {randn({2, 3, 4})});
}

TEST_CASE("cross_entropy matches PyTorch for every reduction, ignore_index and class weights") {
  const Tensor target = fixture("ce_target");
  const std::vector<std::pair<std::string, CrossEntropyLossOptions>> cases{
      {"ce_mean", {}},
      {"ce_sum", {.reduction = Reduction::sum}},
      {"ce_ignore", {.ignore_index = 1}},
      {"ce_weighted", {.weight = fixture("ce_weight")}}};
  for (const auto& [name, options] : cases) {
    CAPTURE(name);
    Tensor x = fixture("softmax_x").requires_grad_();
    const Tensor loss = cross_entropy(x, target, options);
    check_close(loss, fixture(name + "_loss"));
    loss.backward();
    check_close(x.grad(), fixture(name + "_dx"));
  }
  Tensor x = fixture("softmax_x").requires_grad_();
  const Tensor losses = cross_entropy(x, target, {.reduction = Reduction::none});
  check_close(losses, fixture("ce_none_loss"));
  losses.backward(arange(4, kFloat32));
  check_close(x.grad(), fixture("ce_none_dx"));
}

TEST_CASE("losses check their gradients and reject bad targets") {
  manual_seed(33);
  const Tensor target = from_vector(std::vector<int64_t>{0, 2, 1}, {3});
  gradcheck([target](const auto& in) { return cross_entropy(in[0], target); }, {randn({3, 4})});
  const Tensor spatial_target = randint(0, 3, {2, 5});
  gradcheck(
      [spatial_target](const auto& in) {
        return nll_loss(log_softmax(in[0], 1), spatial_target, {.reduction = Reduction::sum});
      },
      {randn({2, 3, 5})});
  gradcheck([](const auto& in) { return mse_loss(in[0], in[1]); }, {randn({3, 2}), randn({3, 2})});
  CHECK(mse_loss(ones({2}), zeros({2}), Reduction::sum).item<float>() == 2.f);
  CHECK_THROWS_WITH_AS(cross_entropy(ones({3, 4}), from_vector(std::vector<int64_t>{0, 4, 1}, {3})),
                       doctest::Contains("Target 4 is out of bounds"), Error);
  CHECK_THROWS_WITH_AS(cross_entropy(ones({3, 4}), ones({4}, kInt64)),
                       doctest::Contains("expected target of shape [3] for input of shape [3, 4], got [4]"), Error);
  CHECK_THROWS_WITH_AS(cross_entropy(ones({3, 4}), ones({3})), doctest::Contains("int64 target"), Error);
  CHECK_THROWS_WITH_AS(mse_loss(ones({3}), ones({2})),
                       doctest::Contains("target size [2] is different to the input size [3]"), Error);
  // Unbatched input (C) with a 0-d target.
  CHECK(cross_entropy(zeros({4}), scalar_tensor(1, kInt64)).item<float>() == doctest::Approx(std::log(4.0)));
}
