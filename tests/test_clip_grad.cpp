// nn::utils::clip_grad_norm_ and clip_grad_value_ against PyTorch 1.13 (the values below are what
// torch.nn.utils gives for the same gradients; the script is in the comment of each case).
#include <cmath>
#include <limits>

#include "helpers.hpp"

using namespace nabla;

namespace {
// Three parameters: grads [[0.5, -1, 2], [3, -0.25, 1.5]] and [-4, 0.75, 0, 2.5]; the third has none.
std::vector<Tensor> parameters() {
  Tensor a = zeros({2, 3}).requires_grad_(), b = zeros({4}).requires_grad_(), c = zeros({1}).requires_grad_();
  a.set_grad(from_vector(std::vector<float>{0.5f, -1, 2, 3, -0.25f, 1.5f}, {2, 3}));
  b.set_grad(from_vector(std::vector<float>{-4, 0.75f, 0, 2.5f}, {4}));
  return {a, b, c};
}

void check_close(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-6));
}
}  // namespace

TEST_CASE("clip_grad_norm_ scales like PyTorch for norm types 2, 1, 3 and inf") {
  // ps = [a, b, c] as above; n = clip_grad_norm_(ps, 1.5, norm_type); print(n, a.grad, b.grad)
  struct Case {
    double norm_type, total;
    std::vector<float> a, b;
  };
  const Case cases[] = {
      {2.0, 6.27495002746582, {0.11952284f, -0.23904568f, 0.47809136f, 0.71713704f, -0.05976142f, 0.35856852f},
       {-0.95618272f, 0.17928426f, 0.f, 0.59761417f}},
      {1.0, 15.5, {0.04838710f, -0.09677419f, 0.19354838f, 0.29032257f, -0.02419355f, 0.14516129f},
       {-0.38709676f, 0.07258064f, 0.f, 0.24193548f}},
      {3.0, 4.926423072814941, {0.15224025f, -0.30448049f, 0.60896099f, 0.91344148f, -0.07612012f, 0.45672074f},
       {-1.21792197f, 0.22836037f, 0.f, 0.76120126f}},
      {std::numeric_limits<double>::infinity(), 4.0,
       {0.18749996f, -0.37499991f, 0.74999982f, 1.12499976f, -0.09374998f, 0.56249988f},
       {-1.49999964f, 0.28124994f, 0.f, 0.93749976f}},
  };
  for (const Case& c : cases) {
    INFO("norm_type " << c.norm_type);
    const auto ps = parameters();
    CHECK(nn::utils::clip_grad_norm_(ps, 1.5, c.norm_type) == doctest::Approx(c.total).epsilon(1e-6));
    check_close(ps[0].grad().to_vector<float>(), c.a);
    check_close(ps[1].grad().to_vector<float>(), c.b);
    CHECK_FALSE(ps[2].grad().defined());
  }
  const auto ps = parameters();  // a large max_norm leaves the gradients as they were
  CHECK(nn::utils::clip_grad_norm_(ps, 100.0) == doctest::Approx(6.27495002746582));
  CHECK(ps[0].grad().to_vector<float>() == std::vector<float>{0.5f, -1, 2, 3, -0.25f, 1.5f});
  CHECK(nn::utils::clip_grad_norm_({zeros({2}).requires_grad_()}, 1.0) == 0.0);  // no gradients: 0
}

TEST_CASE("clip_grad_norm_ with a non-finite norm: an error when asked, else PyTorch's scaling") {
  auto ps = parameters();
  ps[1].grad().data_ptr<float>()[0] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH_AS(nn::utils::clip_grad_norm_(ps, 1.0, 2.0, true),
                       doctest::Contains("The total norm of order 2 for gradients from `parameters` is non-finite"),
                       Error);
  CHECK(std::isnan(nn::utils::clip_grad_norm_(ps, 1.0, std::numeric_limits<double>::infinity())));
  ps = parameters();
  ps[1].grad().data_ptr<float>()[0] = std::numeric_limits<float>::infinity();
  CHECK(std::isinf(nn::utils::clip_grad_norm_(ps, 1.0)));
  CHECK(ps[0].grad().to_vector<float>() == std::vector<float>(6, 0.f));  // scaled by 1 / inf, as PyTorch
  CHECK_THROWS_AS(nn::utils::clip_grad_norm_(ps, 1.0, 0.0), Error);
}

TEST_CASE("clip_grad_value_ clamps every gradient element, keeping NaN") {
  auto ps = parameters();
  nn::utils::clip_grad_value_(ps, 1.0);
  CHECK(ps[0].grad().to_vector<float>() == std::vector<float>{0.5f, -1, 1, 1, -0.25f, 1});
  CHECK(ps[1].grad().to_vector<float>() == std::vector<float>{-1, 0.75f, 0, 1});
  ps[1].grad().data_ptr<float>()[1] = std::numeric_limits<float>::quiet_NaN();
  nn::utils::clip_grad_value_(ps, 0.5);
  CHECK(std::isnan(ps[1].grad().to_vector<float>()[1]));
}
