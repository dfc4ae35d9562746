// Learning-rate schedulers against PyTorch 1.13 (tools/make_layer_fixtures.py, sched*): 300 steps on SGD with
// two parameter groups, every rate equal to PyTorch's (double, bit for bit), OneCycleLR's momentum too.
#include <doctest/doctest.h>

#include <iomanip>

#include <nabla/nabla.hpp>
#include <xtensor/xnpy.hpp>

#include "helpers.hpp"

using namespace nabla;
using namespace nabla::test;
namespace S = nabla::optim::lr_scheduler;

namespace {

std::vector<double> doubles(const std::string& name) {
  const auto a = xt::load_npy<double>(std::string(NABLA_FIXTURES) + "/layers/" + name + ".npy");
  return {a.begin(), a.end()};
}

// The scheduler of case n, as tools/make_layer_fixtures.py's SCHEDULERS builds it.
// The scheduler of each sched_<kind> fixture (tools/make_layer_fixtures.py), with the same arguments.
std::shared_ptr<S::LRScheduler> make_scheduler(const std::string& kind, optim::Optimizer& o) {
  if (kind == "StepLR") return std::make_shared<S::StepLR>(o, 30, 0.1);
  if (kind == "MultiStepLR") return std::make_shared<S::MultiStepLR>(o, std::vector<int64_t>{30, 80, 80, 200}, 0.5);
  if (kind == "ExponentialLR") return std::make_shared<S::ExponentialLR>(o, 0.99);
  if (kind == "CosineAnnealingLR") return std::make_shared<S::CosineAnnealingLR>(o, 50, 1e-4);
  if (kind == "LinearLR") return std::make_shared<S::LinearLR>(o, 0.1, 1.0, 40);
  if (kind == "ConstantLR") return std::make_shared<S::ConstantLR>(o, 0.5, 25);
  if (kind == "LambdaLR") return std::make_shared<S::LambdaLR>(o, [](int64_t epoch) { return std::pow(0.95, epoch); });
  if (kind == "OneCycleLR")
    return std::make_shared<S::OneCycleLR>(o, S::OneCycleLROptions{.max_lr = {0.5, 0.05}, .total_steps = 300});
  if (kind == "OneCycleLR3")
    return std::make_shared<S::OneCycleLR>(
        o, S::OneCycleLROptions{
               .max_lr = {0.3}, .epochs = 10, .steps_per_epoch = 30, .anneal_strategy = "linear", .three_phase = true});
  if (kind == "CosineAnnealingWarmRestarts") return std::make_shared<S::CosineAnnealingWarmRestarts>(o, 10, 2, 1e-3);
  if (kind == "SequentialLR") {
    auto warmup = std::make_shared<S::LinearLR>(o, 0.1, 1.0, 10);
    auto cosine = std::make_shared<S::CosineAnnealingLR>(o, 290);
    return std::make_shared<S::SequentialLR>(o, std::vector<std::shared_ptr<S::LRScheduler>>{warmup, cosine},
                                             std::vector<int64_t>{10});
  }
  return nullptr;  // ReduceLROnPlateau steps on a loss: its own test case
}

struct TwoGroups {
  Tensor w = zeros({3}).requires_grad_(), b = zeros({1}).requires_grad_();
  optim::SGD sgd{{{.params = {w}}, {.params = {b}, .options = optim::SGDOptions{.lr = 0.02}}},
                 {.lr = 0.1, .momentum = 0.9}};
  std::vector<double> rates() const { return {sgd.lr(0), sgd.lr(1)}; }
  std::vector<double> momenta() const { return {*sgd.momentum(0), *sgd.momentum(1)}; }
};

}  // namespace

TEST_CASE("every scheduler gives PyTorch's 300-step learning-rate sequence exactly") {
  const auto cases = fixture_cases("layers/cases.txt");
  int checked = 0;
  for (auto c : cases) {
    const std::string id = c["id"];
    if (id.rfind("sched_", 0) != 0 || c["kind"] == "ReduceLROnPlateau") continue;
    CAPTURE(id);
    const auto expected = doubles(id + "_lr"), expected_momentum = doubles(id + "_momentum");
    TwoGroups t;
    auto scheduler = make_scheduler(c["kind"], t.sgd);
    REQUIRE(scheduler);
    int mismatches = 0;
    for (size_t step = 0; step <= 300; ++step) {
      if (step > 0) scheduler->step();
      const auto rates = t.rates(), momenta = t.momenta();
      for (size_t g = 0; g < 2; ++g) {
        mismatches += rates[g] != expected[step * 2 + g];
        mismatches += momenta[g] != expected_momentum[step * 2 + g];
        if (mismatches == 1 && (rates[g] != expected[step * 2 + g] || momenta[g] != expected_momentum[step * 2 + g]))
          FAIL_CHECK(std::setprecision(17)
                     << "step " << step << " group " << g << ": lr " << rates[g] << " vs " << expected[step * 2 + g]
                     << ", momentum " << momenta[g] << " vs " << expected_momentum[step * 2 + g]);
      }
    }
    CHECK(mismatches == 0);
    CHECK(scheduler->get_last_lr() == t.rates());
    ++checked;
  }
  CHECK(checked == 11);
}

TEST_CASE("ReduceLROnPlateau follows PyTorch on a given loss sequence") {
  const auto expected = doubles("sched_ReduceLROnPlateau_lr");
  const auto losses = fixture_floats("layers/sched_losses");
  TwoGroups t;
  S::ReduceLROnPlateau plateau(t.sgd, {.factor = 0.5, .patience = 5, .threshold = 0.01, .cooldown = 3});
  CHECK(t.rates() == std::vector<double>{expected[0], expected[1]});
  for (size_t step = 1; step <= 300; ++step) {
    plateau.step(losses[step - 1]);
    REQUIRE(t.rates() == std::vector<double>{expected[step * 2], expected[step * 2 + 1]});
  }
  CHECK(t.sgd.lr(0) < 0.1);  // it did reduce
}

TEST_CASE("a scheduler's state round-trips, and step(epoch) uses the closed form") {
  TwoGroups a, b;
  S::CosineAnnealingWarmRestarts sa(a.sgd, 10, 2), sb(b.sgd, 10, 2);
  for (int i = 0; i < 17; ++i) sa.step();
  sb.load_state_dict(sa.state_dict());
  for (int i = 0; i < 20; ++i) {
    sa.step();
    sb.step();
    CHECK(sa.get_last_lr() == sb.get_last_lr());
  }
  TwoGroups c;
  S::StepLR step_lr(c.sgd, 30, 0.1);
  step_lr.step(65);
  CHECK(c.sgd.lr(0) == doctest::Approx(0.1 * 0.01));
  CHECK_THROWS_WITH_AS(S::OneCycleLR(c.sgd, {.max_lr = {0.1}}), doctest::Contains("You must define either total_steps"),
                       Error);
  CHECK_THROWS_WITH_AS(S::OneCycleLR(c.sgd, {.max_lr = {0.1, 0.2, 0.3}, .total_steps = 10}),
                       doctest::Contains("expected 2 values for max_lr"), Error);
}

TEST_CASE("every scheduler's state round-trips as PyTorch's own (composites save their schedulers)") {
  constexpr size_t kResumeAt = 50;  // tools/make_layer_fixtures.py's RESUME_AT
  int checked = 0;
  for (auto c : fixture_cases("layers/cases.txt")) {
    if (c["id"].rfind("sched_", 0) != 0 || c["kind"] == "ReduceLROnPlateau") continue;
    CAPTURE(c["id"]);
    const auto expected = doubles(c["id"] + "_resumed_lr");
    TwoGroups before;
    auto scheduler = make_scheduler(c["kind"], before.sgd);
    for (size_t step = 0; step < kResumeAt; ++step) scheduler->step();
    const auto optimizer_state = before.sgd.state_dict();
    const auto scheduler_state = scheduler->state_dict();
    TwoGroups after;  // a resumed program: a fresh optimizer and scheduler, then the saved states
    auto resumed = make_scheduler(c["kind"], after.sgd);
    after.sgd.load_state_dict(optimizer_state);
    resumed->load_state_dict(scheduler_state);
    for (size_t step = kResumeAt; step < 300; ++step) {
      resumed->step();
      const size_t i = (step - kResumeAt) * 2;
      const std::vector<double> pytorch{expected[i], expected[i + 1]};
      REQUIRE_MESSAGE(after.rates() == pytorch, "step " << step + 1 << ": " << std::setprecision(17) << after.sgd.lr(0)
                                                        << " vs PyTorch " << expected[i]);
    }
    ++checked;
  }
  CHECK(checked == 11);
}

TEST_CASE("schedulers refuse step counts and state that overflow an int64") {
  TwoGroups t;
  S::MultiStepLR multi(t.sgd, {30, 80});
  multi.step(std::numeric_limits<int64_t>::max());
  CHECK_THROWS_WITH_AS(multi.step(), doctest::Contains("does not fit in an int64"), Error);
  CHECK_THROWS_WITH_AS(
      S::OneCycleLR(t.sgd, {.max_lr = {0.1}, .epochs = int64_t{1} << 40, .steps_per_epoch = int64_t{1} << 40}),
      doctest::Contains("epochs * steps_per_epoch"), Error);
  S::CosineAnnealingLR cosine(t.sgd, std::numeric_limits<int64_t>::max());
  cosine.step(std::numeric_limits<int64_t>::min());
  cosine.step(std::numeric_limits<int64_t>::max() - 1);
  CHECK_THROWS_WITH_AS(cosine.step(), doctest::Contains("leave it undefined"), Error);  // 0/0 at T_max: PyTorch's NaN
  auto state = cosine.state_dict();
  state["last_epoch"] = {1e300};
  CHECK_THROWS_WITH_AS(cosine.load_state_dict(state), doctest::Contains("last_epoch"), Error);
}
