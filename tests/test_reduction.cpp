// Reductions: forward against loops, backward against finite differences.
#include "helpers.hpp"

#include <cmath>

using namespace nabla;
using test::gradcheck;

TEST_CASE("sum and mean over all or some dims, with keepdim") {
  const Tensor x = arange(24, kFloat32).reshape({2, 3, 4});
  CHECK(x.sum().item<float>() == 276.f);
  CHECK(x.mean().item<float>() == doctest::Approx(11.5));
  const Tensor s = x.sum({0, 2});
  CHECK(s.shape() == Shape{3});
  CHECK(s.to_vector<float>() == std::vector<float>{60, 92, 124});
  CHECK(x.sum({-1}, true).shape() == Shape{2, 3, 1});
  CHECK(x.mean({1}).to_vector<float>() == std::vector<float>{4, 5, 6, 7, 16, 17, 18, 19});
  CHECK((arange(5) > 1).sum().item<int64_t>() == 3);
  manual_seed(12);
  const Tensor r = randn({3, 4, 5});
  gradcheck([](const auto& in) { return in[0].sum({1}); }, {r});
  gradcheck([](const auto& in) { return in[0].mean({0, 2}, true); }, {r});
  gradcheck([](const auto& in) { return in[0].sum(); }, {r});
}

TEST_CASE("max, min and argmax over a dim return values and indices") {
  const Tensor x = from_vector(std::vector<float>{1, 5, 3, 7, 2, 9}, {2, 3});
  const auto [values, indices] = x.max(1);
  CHECK(values.to_vector<float>() == std::vector<float>{5, 9});
  CHECK(indices.to_vector<int64_t>() == std::vector<int64_t>{1, 2});
  const auto [mins, where] = x.min(0, true);
  CHECK(mins.shape() == Shape{1, 3});
  CHECK(mins.to_vector<float>() == std::vector<float>{1, 2, 3});
  CHECK(where.to_vector<int64_t>() == std::vector<int64_t>{0, 1, 0});
  CHECK(x.argmax(0).to_vector<int64_t>() == std::vector<int64_t>{1, 0, 1});
  CHECK(x.max().item<float>() == 9.f);
  manual_seed(13);
  const Tensor r = randn({4, 5});
  gradcheck([](const auto& in) { return std::get<0>(in[0].max(1)); }, {r});
  gradcheck([](const auto& in) { return std::get<0>(in[0].min(0)); }, {r});
  gradcheck([](const auto& in) { return in[0].max(); }, {r});
}

TEST_CASE("logsumexp is stable and differentiable") {
  const Tensor x = from_vector(std::vector<float>{1000, 1000, -1000, 0}, {2, 2});
  const auto v = x.logsumexp({1}).to_vector<float>();
  CHECK(v[0] == doctest::Approx(1000 + std::log(2.0)));
  CHECK(v[1] == doctest::Approx(0));
  manual_seed(14);
  gradcheck([](const auto& in) { return in[0].logsumexp({1}); }, {randn({3, 4})});
}

TEST_CASE("reduction errors are clear") {
  CHECK_THROWS_WITH_AS(ones({2, 3}).sum({2}),
                       doctest::Contains("dimension out of range (expected to be in range of [-2, 1], but got 2)"),
                       Error);
  CHECK_THROWS_WITH_AS(ones({2, 3}).sum({1, 1}), doctest::Contains("dim 1 appears multiple times"), Error);
  CHECK_THROWS_WITH_AS(zeros({0, 3}).max(0), doctest::Contains("non-zero size"), Error);
  CHECK_THROWS_WITH_AS(ones({2}, kInt64).mean(), doctest::Contains("mean(): could not infer output dtype"), Error);
}

TEST_CASE("sums over zero-size dims are zero") {
  CHECK(zeros({0, 3}).sum({0}).to_vector<float>() == std::vector<float>{0, 0, 0});
}
