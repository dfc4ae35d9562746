// Views and shape ops: values against index arithmetic, backward against finite differences.
#include "helpers.hpp"

using namespace nabla;
using test::gradcheck;

TEST_CASE("views share storage with their input") {
  Tensor x = zeros({2, 3});
  x.reshape({6}).narrow(0, 1, 2).fill_(1.0);
  CHECK(x.to_vector<float>() == std::vector<float>{0, 1, 1, 0, 0, 0});
  x.t().select(0, 2).fill_(5.0);
  CHECK(x.to_vector<float>() == std::vector<float>{0, 1, 5, 0, 0, 5});
}

TEST_CASE("reshape, view and flatten") {
  const Tensor x = arange(24, kFloat32).reshape({2, 3, 4});
  CHECK(x.reshape({-1, 4}).shape() == Shape{6, 4});
  CHECK(x.flatten(1).shape() == Shape{2, 12});
  CHECK(x.flatten().shape() == Shape{24});
  CHECK(x.view({4, 6}).shape() == Shape{4, 6});
  CHECK(x.transpose(0, 2).reshape({-1}).to_vector<float>()[1] == 12.f);
  CHECK_THROWS_WITH_AS(x.reshape({5, -1}), doctest::Contains("shape '[5, -1]' is invalid for input of size 24"), Error);
  CHECK_THROWS_WITH_AS(x.transpose(0, 1).view({24}), doctest::Contains("Use .reshape(...) instead"), Error);
  manual_seed(20);
  gradcheck([](const auto& in) { return in[0].transpose(0, 1).reshape({3, 8}) * 2.0; }, {randn({2, 3, 4})});
}

TEST_CASE("permute, transpose, unsqueeze and squeeze") {
  const Tensor x = arange(6, kFloat32).reshape({1, 2, 3});
  CHECK(x.permute({2, 0, 1}).shape() == Shape{3, 1, 2});
  CHECK(x.permute({2, 0, 1}).contiguous().to_vector<float>() == std::vector<float>{0, 3, 1, 4, 2, 5});
  CHECK(x.squeeze().shape() == Shape{2, 3});
  CHECK(x.squeeze(0).unsqueeze(-1).shape() == Shape{2, 3, 1});
  CHECK(x.squeeze(1).shape() == Shape{1, 2, 3});
  CHECK_THROWS_WITH_AS(x.permute({0, 0, 1}), doctest::Contains("repeated dim"), Error);
  manual_seed(21);
  gradcheck([](const auto& in) { return in[0].permute({2, 0, 1}).unsqueeze(1); }, {randn({2, 3, 4})});
}

TEST_CASE("narrow, slice, select and their gradients") {
  const Tensor x = arange(10, kFloat32);
  CHECK(x.narrow(0, 2, 3).to_vector<float>() == std::vector<float>{2, 3, 4});
  CHECK(x.slice(0, 1, 8, 3).to_vector<float>() == std::vector<float>{1, 4, 7});
  CHECK(x.slice(0, -3, 100).to_vector<float>() == std::vector<float>{7, 8, 9});
  CHECK(x.select(0, -1).item<float>() == 9.f);
  CHECK_THROWS_WITH_AS(x.narrow(0, 8, 5), doctest::Contains("exceeds dimension size (10)"), Error);
  CHECK_THROWS_WITH_AS(x.select(0, 10), doctest::Contains("index 10 out of range"), Error);
  manual_seed(22);
  const Tensor r = randn({4, 5});
  gradcheck([](const auto& in) { return in[0].narrow(1, 1, 3); }, {r});
  gradcheck([](const auto& in) { return in[0].slice(0, 0, 4, 2); }, {r});
  gradcheck([](const auto& in) { return in[0].select(1, 2); }, {r});
}

TEST_CASE("expand broadcasts without copying and sums back in backward") {
  const Tensor x = from_vector(std::vector<float>{1, 2}, {2, 1});
  const Tensor e = x.expand({3, 2, 4});
  CHECK(e.shape() == Shape{3, 2, 4});
  CHECK(e.strides() == Shape{0, 1, 0});
  CHECK(e.contiguous().to_vector<float>()[4] == 2.f);
  CHECK_THROWS_WITH_AS(x.expand({3, 3}),
                       doctest::Contains("must match the existing size (2) at non-singleton dimension 0"), Error);
  manual_seed(23);
  gradcheck([](const auto& in) { return in[0].expand({3, 2, 4}); }, {randn({2, 1})});
}

TEST_CASE("index_select picks rows and accumulates repeated ones in backward") {
  const Tensor x = arange(6, kFloat32).reshape({3, 2});
  const Tensor idx = from_vector(std::vector<int64_t>{2, 0, 2}, {3});
  CHECK(x.index_select(0, idx).to_vector<float>() == std::vector<float>{4, 5, 0, 1, 4, 5});
  CHECK(x.index_select(1, from_vector(std::vector<int64_t>{1}, {1})).to_vector<float>() == std::vector<float>{1, 3, 5});
  CHECK_THROWS_WITH_AS(x.index_select(0, from_vector(std::vector<int64_t>{3}, {1})),
                       doctest::Contains("index 3 is out of bounds for dimension 0 with size 3"), Error);
  manual_seed(24);
  gradcheck([idx](const auto& in) { return in[0].index_select(0, idx); }, {randn({3, 2})});
}

TEST_CASE("cat and stack join tensors, and split the gradient back") {
  const Tensor a = ones({2, 2}), b = zeros({2, 1});
  const Tensor c = cat({a, b}, 1);
  CHECK(c.shape() == Shape{2, 3});
  CHECK(c.to_vector<float>() == std::vector<float>{1, 1, 0, 1, 1, 0});
  CHECK(stack({a, a}, 0).shape() == Shape{2, 2, 2});
  CHECK(stack({a, a}, -1).shape() == Shape{2, 2, 2});
  CHECK_THROWS_WITH_AS(cat({a, zeros({3, 1})}, 1),
                       doctest::Contains("Sizes of tensors must match except in dimension 1"), Error);
  manual_seed(25);
  gradcheck([](const auto& in) { return cat({in[0], in[1]}, 0); }, {randn({2, 3}), randn({1, 3})});
  gradcheck([](const auto& in) { return stack({in[0], in[1]}, 1); }, {randn({2, 3}), randn({2, 3})});
}
