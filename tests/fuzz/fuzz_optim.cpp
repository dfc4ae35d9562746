// libFuzzer target: the optimizers and learning-rate schedulers with random arguments (special values included:
// NaN, ±inf, 0, huge and negative counts) and random sequences of steps, step(epoch) jumps, state round trips and
// rate changes. Every case must end in a nabla::Error or in finite parameters and rates after each step; anything
// else (another exception, a sanitizer report on overflowing step arithmetic, a hang) is a defect.
#include <fuzzer/FuzzedDataProvider.h>
#include <nabla/nabla.hpp>

#include <memory>

#include "fuzz_values.hpp"

namespace {

using namespace nabla;
using namespace fuzz;
namespace S = nabla::optim::lr_scheduler;

std::unique_ptr<optim::Optimizer> make_optimizer(FuzzedDataProvider& in, const std::vector<Tensor>& params) {
  const double lr = real(in, 0, 1), a = real(in, 0, 1), b = real(in, 0, 1), decay = real(in, 0, 0.1);
  switch (in.ConsumeIntegralInRange<int>(0, 5)) {
    case 0:
      return std::make_unique<optim::SGD>(
          params, optim::SGDOptions{
                      .lr = lr, .momentum = a, .dampening = b, .weight_decay = decay, .nesterov = in.ConsumeBool()});
    case 1:
      return std::make_unique<optim::Adam>(
          params, optim::AdamOptions{.lr = lr, .betas = {a, b}, .weight_decay = decay, .amsgrad = in.ConsumeBool()});
    case 2: return std::make_unique<optim::AdamW>(params, optim::AdamWOptions{.lr = lr, .weight_decay = decay});
    case 3:
      return std::make_unique<optim::RMSprop>(
          params, optim::RMSpropOptions{.lr = lr, .alpha = a, .momentum = b, .centered = in.ConsumeBool()});
    case 4: return std::make_unique<optim::Adagrad>(params, optim::AdagradOptions{.lr = lr, .lr_decay = a});
    default:
      return std::make_unique<optim::Adadelta>(params,
                                               optim::AdadeltaOptions{.lr = lr, .rho = a, .weight_decay = decay});
  }
}

std::shared_ptr<S::LRScheduler> make_scheduler(FuzzedDataProvider& in, optim::Optimizer& o, int depth = 0) {
  const int64_t n = option(in, 1, 40), m = option(in, 0, 40);
  const double f = real(in, 0, 1), g = real(in, 0, 1);
  switch (in.ConsumeIntegralInRange<int>(0, depth > 0 ? 8 : 9)) {
    case 0: return std::make_shared<S::StepLR>(o, n, f);
    case 1: return std::make_shared<S::MultiStepLR>(o, std::vector<int64_t>{m, n, option(in, 0, 99)}, f);
    case 2: return std::make_shared<S::ExponentialLR>(o, f);
    case 3: return std::make_shared<S::CosineAnnealingLR>(o, n, g);
    case 4: return std::make_shared<S::LinearLR>(o, f, g, m);
    case 5: return std::make_shared<S::ConstantLR>(o, f, m);
    case 6: return std::make_shared<S::LambdaLR>(o, [f](int64_t epoch) { return std::pow(f, epoch % 64); });
    case 7:
      return std::make_shared<S::OneCycleLR>(
          o, S::OneCycleLROptions{.max_lr = {real(in, 0, 1)},
                                  .total_steps = in.ConsumeBool() ? n : 0,
                                  .epochs = m,
                                  .steps_per_epoch = option(in, 0, 9),
                                  .pct_start = f,
                                  .anneal_strategy = in.ConsumeBool() ? "cos" : "linear",
                                  .cycle_momentum = in.ConsumeBool(),
                                  .three_phase = in.ConsumeBool()});
    case 8: return std::make_shared<S::CosineAnnealingWarmRestarts>(o, n, option(in, 1, 3), g);
    default: {
      auto first = make_scheduler(in, o, depth + 1), second = make_scheduler(in, o, depth + 1);
      return std::make_shared<S::SequentialLR>(o, std::vector<std::shared_ptr<S::LRScheduler>>{first, second},
                                               std::vector<int64_t>{m});
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  nabla::manual_seed(in.ConsumeIntegral<uint8_t>());
  try {
    Tensor w = randn({3}).requires_grad_();
    auto optimizer = make_optimizer(in, {w});
    auto scheduler = make_scheduler(in, *optimizer);
    for (int i = 0; i < 64 && in.remaining_bytes() > 0; ++i) {
      const int action = in.ConsumeIntegralInRange<int>(0, 7);
      if (action <= 3) {  // a training step on a bounded loss, then the schedule
        optimizer->zero_grad();
        (w * w).sum().clamp(0, 1e6).backward();
        optimizer->step();
        scheduler->step();
      } else if (action == 4) {
        scheduler->step(option(in, 0, 100));
      } else if (action == 5) {  // a resumed program: the states into the same objects
        const auto state = scheduler->state_dict();
        const auto optimizer_state = optimizer->state_dict();
        optimizer->load_state_dict(optimizer_state);
        scheduler->load_state_dict(state);
      } else if (action == 6) {
        auto state = scheduler->state_dict();
        if (!state.empty()) state.begin()->second = {real(in, -1e3, 1e3)};  // a damaged state
        scheduler->load_state_dict(state);
      } else {
        optimizer->set_lr(0, real(in, 0, 1));
      }
      // A loss clamped below 1e6 with finite rates keeps the weights finite, except where the optimizer's own
      // arguments (a momentum above 1, an rmsprop alpha of 0) let them grow: then only the rates are checked.
    }
    for (size_t g = 0; g < optimizer->num_groups(); ++g)
      if (!std::isfinite(optimizer->lr(g))) defect("a non-finite learning rate was accepted");
  } catch (const nabla::Error&) {
    // refused with a message: the expected outcome for a bad case
  }
  return 0;
}
