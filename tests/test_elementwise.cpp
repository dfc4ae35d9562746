// Elementwise ops: forward against plain loops, backward against finite differences.
#include "helpers.hpp"

#include <cmath>

using namespace nabla;
using test::gradcheck;

namespace {
// Applies f to every element with a plain loop: the independent reference.
Tensor reference(const Tensor& x, float (*f)(float)) {
  auto v = x.to_vector<float>();
  for (auto& e : v) e = f(e);
  return from_vector(v, x.shape());
}
}  // namespace

TEST_CASE("unary math matches a plain loop and its gradient checks") {
  manual_seed(10);
  const Tensor x = randn({3, 4});
  const Tensor pos = rand({3, 4}) + 0.5;
  test::check_close(exp(x), reference(x, [](float v) { return std::exp(v); }));
  test::check_close(log(pos), reference(pos, [](float v) { return std::log(v); }));
  test::check_close(sqrt(pos), reference(pos, [](float v) { return std::sqrt(v); }));
  test::check_close(abs(x), reference(x, [](float v) { return std::fabs(v); }));
  test::check_close(relu(x), reference(x, [](float v) { return v > 0 ? v : 0.f; }));
  test::check_close(sigmoid(x), reference(x, [](float v) { return 1 / (1 + std::exp(-v)); }));
  test::check_close(tanh(x), reference(x, [](float v) { return std::tanh(v); }));
  test::check_close(pow(pos, 3.0), reference(pos, [](float v) { return v * v * v; }));
  test::check_close(clamp(x, -0.5, 0.5), reference(x, [](float v) { return std::min(0.5f, std::max(-0.5f, v)); }));
  test::check_close(neg(x), reference(x, [](float v) { return -v; }));

  gradcheck([](const auto& in) { return exp(in[0]); }, {x});
  gradcheck([](const auto& in) { return log(in[0]); }, {pos});
  gradcheck([](const auto& in) { return sqrt(in[0]); }, {pos});
  gradcheck([](const auto& in) { return abs(in[0]); }, {x});
  gradcheck([](const auto& in) { return relu(in[0]); }, {x});
  gradcheck([](const auto& in) { return sigmoid(in[0]); }, {x});
  gradcheck([](const auto& in) { return tanh(in[0]); }, {x});
  gradcheck([](const auto& in) { return pow(in[0], 2.5); }, {pos});
  gradcheck([](const auto& in) { return clamp(in[0], -0.5, std::nullopt); }, {x});
  gradcheck([](const auto& in) { return -in[0]; }, {x});
}

TEST_CASE("binary arithmetic broadcasts like PyTorch, forward and backward") {
  manual_seed(11);
  const Tensor a = randn({2, 3, 4}), b = randn({3, 1}), c = rand({4}) + 1.0;
  const Tensor sum = a + b;
  CHECK(sum.shape() == Shape{2, 3, 4});
  const auto av = a.to_vector<float>(), bv = b.to_vector<float>(), sv = sum.to_vector<float>();
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) CHECK(sv[(i * 3 + j) * 4 + k] == av[(i * 3 + j) * 4 + k] + bv[j]);
  gradcheck([](const auto& in) { return in[0] + in[1]; }, {a, b});
  gradcheck([](const auto& in) { return in[0] - in[1]; }, {a, b});
  gradcheck([](const auto& in) { return in[0] * in[1]; }, {a, b});
  gradcheck([](const auto& in) { return in[0] / in[1]; }, {a, c});
  gradcheck([](const auto& in) { return 2.0 / in[0] + in[0] * 3.0 - 1.0; }, {c});
}

TEST_CASE("ops take non-contiguous views") {
  const Tensor a = arange(6, kFloat32).reshape({2, 3});
  CHECK((a.t() + 1.0).to_vector<float>() == std::vector<float>{1, 4, 2, 5, 3, 6});
}

TEST_CASE("comparisons give bool masks; where and masked_fill select") {
  const Tensor x = from_vector(std::vector<float>{-1, 0, 2}, {3});
  CHECK((x > 0.0).to_vector<bool>() == std::vector<bool>{false, false, true});
  CHECK((x <= 0.0).to_vector<bool>() == std::vector<bool>{true, true, false});
  CHECK((x == x).to_vector<bool>() == std::vector<bool>{true, true, true});
  CHECK((arange(3) != arange(3)).dtype() == kBool);
  CHECK(where(x > 0.0, x, -x).to_vector<float>() == std::vector<float>{1, 0, 2});
  CHECK(masked_fill(x, x < 0.0, 9.0).to_vector<float>() == std::vector<float>{9, 0, 2});
  CHECK(logical_and(x >= 0.0, x < 1.0).to_vector<bool>() == std::vector<bool>{false, true, false});
  const Tensor mask = x > 0.0;
  gradcheck([mask](const auto& in) { return where(mask, in[0], in[1]); }, {randn({3}), randn({2, 3})});
  gradcheck([mask](const auto& in) { return masked_fill(in[0], mask, 1.0); }, {randn({2, 3})});
}

TEST_CASE("elementwise errors name the op and the shapes") {
  CHECK_THROWS_WITH_AS(ones({2, 3}) + ones({4}),
                       doctest::Contains("add: the size of tensor a (3) must match the size of tensor b (4)"), Error);
  CHECK_THROWS_WITH_AS(exp(ones({2}, kInt64)),
                       doctest::Contains("exp: expected a float32 or bfloat16 tensor, got int64"), Error);
  CHECK_THROWS_WITH_AS(where(ones({2}), ones({2}), ones({2})), doctest::Contains("where: expected a bool mask"), Error);
  CHECK_THROWS_WITH_AS(masked_fill(ones({2}), ones({3}) > 0.0, 1.0), doctest::Contains("masked_fill"), Error);
  CHECK_THROWS_WITH_AS(ones({2}) > ones({2}, kInt64), doctest::Contains("same dtype"), Error);
}

TEST_CASE("zero-size tensors pass through elementwise ops") {
  const Tensor e = zeros({0, 3});
  CHECK((e + 1.0).shape() == Shape{0, 3});
  CHECK(relu(e).numel() == 0);
}
