#include "nabla/nn/optim/lr_scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "nabla/core/error.hpp"

namespace nabla::optim::lr_scheduler {

namespace {
constexpr double kPi = std::numbers::pi;

// Python's a % b for b > 0 (the result has b's sign).
// Python's a % b (b > 0), in 128 bits: the epochs and periods it is given may be any int64, and their sums overflow.
__int128 py_mod(__int128 a, __int128 b) { return ((a % b) + b) % b; }

// One value per group: a single value repeated, or exactly one per group.
std::vector<double> per_group(const std::vector<double>& values, size_t groups, const char* who, const char* what) {
  if (values.size() == 1) return std::vector<double>(groups, values[0]);
  NABLA_CHECK(values.size() == groups, who, ": expected ", groups, " values for ", what, ", got ", values.size());
  return values;
}
}  // namespace

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(optimizer) {
  for (size_t g = 0; g < optimizer.num_groups(); ++g) base_lrs_.push_back(optimizer.initial_lr(g));
}

void LRScheduler::step_to(std::optional<int64_t> epoch) {
  if (!epoch) {
    last_epoch_ = checked_add(last_epoch_, 1, "lr_scheduler.step: the epoch");
    apply(get_lr());
    return;
  }
  last_epoch_ = *epoch;
  const std::vector<double> closed = closed_form_lr();
  apply(closed.empty() ? get_lr() : closed);
}

void LRScheduler::apply(const std::vector<double>& lrs) {
  for (size_t g = 0; g < lrs.size(); ++g)
    NABLA_CHECK(std::isfinite(lrs[g]), "lr_scheduler: the learning rate of group ", g, " at epoch ", last_epoch_,
                " comes out as ", lrs[g], "; the scheduler's arguments leave it undefined there");
  for (size_t g = 0; g < lrs.size(); ++g) optimizer_.set_lr(g, lrs[g]);
  last_lr_ = lrs;
}

SchedulerState LRScheduler::state_dict() const {
  SchedulerState state{
      {"last_epoch", {static_cast<double>(last_epoch_)}}, {"base_lrs", base_lrs_}, {"_last_lr", last_lr_}};
  save(state);
  return state;
}

void LRScheduler::load_state_dict(const SchedulerState& state) {
  const auto get = [&](const char* key) -> const std::vector<double>& {
    const auto it = state.find(key);
    NABLA_CHECK(it != state.end(), "lr_scheduler.load_state_dict: the state has no '", key, "'");
    return it->second;
  };
  last_epoch_ = checked_cast_to_int64(get("last_epoch").at(0), "lr_scheduler.load_state_dict: last_epoch");
  base_lrs_ = get("base_lrs");
  last_lr_ = get("_last_lr");
  load(state);
}

// ---- StepLR, MultiStepLR, ExponentialLR: each get_lr is PyTorch's chainable form, closed_form_lr its closed one.

StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  NABLA_CHECK(step_size > 0, "StepLR: step_size must be positive, got ", step_size);
  initial_step();
}

std::vector<double> StepLR::get_lr() {
  std::vector<double> lrs;
  for (size_t g = 0; g < base_lrs_.size(); ++g)
    lrs.push_back(last_epoch_ == 0 || last_epoch_ % step_size_ != 0 ? group_lr(g) : group_lr(g) * gamma_);
  return lrs;
}

std::vector<double> StepLR::closed_form_lr() {
  std::vector<double> lrs;
  for (double base : base_lrs_) lrs.push_back(base * std::pow(gamma_, static_cast<double>(last_epoch_ / step_size_)));
  return lrs;
}

MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma)
    : LRScheduler(optimizer), milestones_(std::move(milestones)), gamma_(gamma) {
  std::sort(milestones_.begin(), milestones_.end());
  initial_step();
}

std::vector<double> MultiStepLR::get_lr() {
  const auto hits = std::count(milestones_.begin(), milestones_.end(), last_epoch_);
  std::vector<double> lrs;
  for (size_t g = 0; g < base_lrs_.size(); ++g)
    lrs.push_back(hits == 0 ? group_lr(g) : group_lr(g) * std::pow(gamma_, static_cast<double>(hits)));
  return lrs;
}

std::vector<double> MultiStepLR::closed_form_lr() {
  const auto passed = std::upper_bound(milestones_.begin(), milestones_.end(), last_epoch_) - milestones_.begin();
  std::vector<double> lrs;
  for (double base : base_lrs_) lrs.push_back(base * std::pow(gamma_, static_cast<double>(passed)));
  return lrs;
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma) : LRScheduler(optimizer), gamma_(gamma) {
  initial_step();
}

std::vector<double> ExponentialLR::get_lr() {
  std::vector<double> lrs;
  for (size_t g = 0; g < base_lrs_.size(); ++g) lrs.push_back(last_epoch_ == 0 ? group_lr(g) : group_lr(g) * gamma_);
  return lrs;
}

std::vector<double> ExponentialLR::closed_form_lr() {
  std::vector<double> lrs;
  for (double base : base_lrs_) lrs.push_back(base * std::pow(gamma_, static_cast<double>(last_epoch_)));
  return lrs;
}

// ---- CosineAnnealingLR

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min)
    : LRScheduler(optimizer), t_max_(T_max), eta_min_(eta_min) {
  NABLA_CHECK(T_max > 0, "CosineAnnealingLR: T_max must be positive, got ", T_max);
  initial_step();
}

std::vector<double> CosineAnnealingLR::get_lr() {
  const auto t = static_cast<double>(last_epoch_), t_max = static_cast<double>(t_max_);
  std::vector<double> lrs;
  for (size_t g = 0; g < base_lrs_.size(); ++g) {
    const double lr = group_lr(g);
    if (last_epoch_ == 0)
      lrs.push_back(lr);
    else if (py_mod(__int128{last_epoch_} - 1 - t_max_, __int128{2} * t_max_) == 0)
      lrs.push_back(lr + (base_lrs_[g] - eta_min_) * (1 - std::cos(kPi / t_max)) / 2);
    else
      lrs.push_back((1 + std::cos(kPi * t / t_max)) / (1 + std::cos(kPi * (t - 1) / t_max)) * (lr - eta_min_) +
                    eta_min_);
  }
  return lrs;
}

std::vector<double> CosineAnnealingLR::closed_form_lr() {
  std::vector<double> lrs;
  for (double base : base_lrs_)
    lrs.push_back(eta_min_ + (base - eta_min_) *
                                 (1 + std::cos(kPi * static_cast<double>(last_epoch_) / static_cast<double>(t_max_))) /
                                 2);
  return lrs;
}

// ---- LinearLR, ConstantLR

LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor, int64_t total_iters)
    : LRScheduler(optimizer), start_(start_factor), end_(end_factor), total_iters_(total_iters) {
  NABLA_CHECK(start_factor > 0 && start_factor <= 1,
              "LinearLR: Starting multiplicative factor expected to be greater "
              "than 0 and less or equal to 1.");
  NABLA_CHECK(end_factor >= 0 && end_factor <= 1,
              "LinearLR: Ending multiplicative factor expected to be between 0 "
              "and 1.");
  initial_step();
}

std::vector<double> LinearLR::get_lr() {
  std::vector<double> lrs;
  for (size_t g = 0; g < base_lrs_.size(); ++g) {
    const double lr = group_lr(g);
    if (last_epoch_ == 0)
      lrs.push_back(lr * start_);
    else if (last_epoch_ > total_iters_)
      lrs.push_back(lr);
    else
      lrs.push_back(lr * (1. + (end_ - start_) / (static_cast<double>(total_iters_) * start_ +
                                                  (static_cast<double>(last_epoch_) - 1) * (end_ - start_))));
  }
  return lrs;
}

std::vector<double> LinearLR::closed_form_lr() {
  std::vector<double> lrs;
  for (double base : base_lrs_)
    lrs.push_back(base * (start_ + (end_ - start_) * static_cast<double>(std::min(total_iters_, last_epoch_)) /
                                       static_cast<double>(total_iters_)));
  return lrs;
}

ConstantLR::ConstantLR(Optimizer& optimizer, double factor, int64_t total_iters)
    : LRScheduler(optimizer), factor_(factor), total_iters_(total_iters) {
  NABLA_CHECK(factor >= 0 && factor <= 1, "ConstantLR: Constant multiplicative factor expected to be between 0 and 1.");
  initial_step();
}

std::vector<double> ConstantLR::get_lr() {
  std::vector<double> lrs;
  for (size_t g = 0; g < base_lrs_.size(); ++g) {
    const double lr = group_lr(g);
    if (last_epoch_ == 0)
      lrs.push_back(lr * factor_);
    else if (last_epoch_ != total_iters_)
      lrs.push_back(lr);
    else
      lrs.push_back(lr * (1.0 / factor_));
  }
  return lrs;
}

std::vector<double> ConstantLR::closed_form_lr() {
  std::vector<double> lrs;
  for (double base : base_lrs_) lrs.push_back(base * (factor_ + (last_epoch_ >= total_iters_ ? 1.0 - factor_ : 0.0)));
  return lrs;
}

// ---- LambdaLR

LambdaLR::LambdaLR(Optimizer& optimizer, std::function<double(int64_t)> lr_lambda)
    : LRScheduler(optimizer), lambda_(std::move(lr_lambda)) {
  NABLA_CHECK(lambda_ != nullptr, "LambdaLR: lr_lambda is required");
  initial_step();
}

std::vector<double> LambdaLR::get_lr() {
  std::vector<double> lrs;
  for (double base : base_lrs_) lrs.push_back(base * lambda_(last_epoch_));
  return lrs;
}

// ---- OneCycleLR

OneCycleLR::OneCycleLR(Optimizer& optimizer, const OneCycleLROptions& o) : LRScheduler(optimizer), options_(o) {
  const char* who = "OneCycleLR";
  if (o.total_steps > 0) {
    total_steps_ = o.total_steps;
  } else {
    NABLA_CHECK(o.epochs > 0 && o.steps_per_epoch > 0, who,
                ": You must define either total_steps OR (epochs AND "
                "steps_per_epoch)");
    total_steps_ = checked_mul(o.epochs, o.steps_per_epoch, "OneCycleLR: epochs * steps_per_epoch");
  }
  NABLA_CHECK(o.pct_start >= 0 && o.pct_start <= 1, who, ": Expected float between 0 and 1 pct_start, but got ",
              o.pct_start);
  NABLA_CHECK(o.anneal_strategy == "cos" || o.anneal_strategy == "linear", who,
              ": anneal_strategy must by one of 'cos' or 'linear', instead got ", o.anneal_strategy);
  const size_t groups = optimizer.num_groups();
  const std::vector<double> max_lrs = per_group(o.max_lr, groups, who, "max_lr");
  std::vector<double> initial(groups), min(groups);
  for (size_t g = 0; g < groups; ++g) {
    initial[g] = max_lrs[g] / o.div_factor;
    min[g] = initial[g] / o.final_div_factor;
    optimizer.set_lr(g, initial[g]);
  }
  const auto total = static_cast<double>(total_steps_);
  if (o.three_phase)
    phases_ = {{o.pct_start * total - 1, initial, max_lrs, o.max_momentum, o.base_momentum},
               {2 * o.pct_start * total - 2, max_lrs, initial, o.base_momentum, o.max_momentum},
               {total - 1, initial, min, o.max_momentum, o.max_momentum}};
  else
    phases_ = {{o.pct_start * total - 1, initial, max_lrs, o.max_momentum, o.base_momentum},
               {total - 1, max_lrs, min, o.base_momentum, o.max_momentum}};
  if (o.cycle_momentum) {
    NABLA_CHECK(optimizer.momentum(0).has_value(), who,
                ": optimizer must support momentum or beta1 with `cycle_momentum` option enabled");
    for (size_t g = 0; g < groups; ++g) optimizer.set_momentum(g, o.max_momentum);
  }
  // PyTorch's base_lrs are the rates at construction: the initial ones just set.
  base_lrs_ = initial;
  initial_step();
}

double OneCycleLR::anneal(double start, double end, double pct) const {
  if (options_.anneal_strategy == "linear") return (end - start) * pct + start;
  return end + (start - end) / 2.0 * (std::cos(kPi * pct) + 1);
}

std::vector<double> OneCycleLR::get_lr() {
  NABLA_CHECK(last_epoch_ <= total_steps_, "OneCycleLR: Tried to step ", last_epoch_,
              " times. The specified number of "
              "total steps is ",
              total_steps_);
  const auto step = static_cast<double>(last_epoch_);
  std::vector<double> lrs;
  for (size_t g = 0; g < base_lrs_.size(); ++g) {
    double start_step = 0;
    for (size_t i = 0; i < phases_.size(); ++i) {
      const Phase& phase = phases_[i];
      if (step <= phase.end_step || i + 1 == phases_.size()) {
        const double pct = (step - start_step) / (phase.end_step - start_step);
        lrs.push_back(anneal(phase.start_lr[g], phase.end_lr[g], pct));
        if (options_.cycle_momentum) optimizer_.set_momentum(g, anneal(phase.start_momentum, phase.end_momentum, pct));
        break;
      }
      start_step = phase.end_step;
    }
  }
  return lrs;
}

void OneCycleLR::save(SchedulerState& state) const { state["total_steps"] = {static_cast<double>(total_steps_)}; }

// ---- CosineAnnealingWarmRestarts

CosineAnnealingWarmRestarts::CosineAnnealingWarmRestarts(Optimizer& optimizer, int64_t T_0, int64_t T_mult,
                                                         double eta_min)
    : LRScheduler(optimizer), t_0_(T_0), t_i_(T_0), t_mult_(T_mult), t_cur_(-1), eta_min_(eta_min) {
  NABLA_CHECK(T_0 > 0, "CosineAnnealingWarmRestarts: Expected positive integer T_0, but got ", T_0);
  NABLA_CHECK(T_mult >= 1, "CosineAnnealingWarmRestarts: Expected integer T_mult >= 1, but got ", T_mult);
  initial_step();
}

std::vector<double> CosineAnnealingWarmRestarts::get_lr() {
  std::vector<double> lrs;
  for (double base : base_lrs_)
    lrs.push_back(eta_min_ + (base - eta_min_) * (1 + std::cos(kPi * t_cur_ / static_cast<double>(t_i_))) / 2);
  return lrs;
}

void CosineAnnealingWarmRestarts::step_to(std::optional<int64_t> epoch) {
  if (!epoch && last_epoch_ < 0) epoch = 0;
  if (!epoch) {
    epoch = checked_add(last_epoch_, 1, "CosineAnnealingWarmRestarts.step: the epoch");
    t_cur_ += 1;
    if (t_cur_ >= static_cast<double>(t_i_)) {
      t_cur_ -= static_cast<double>(t_i_);
      t_i_ = checked_mul(t_i_, t_mult_, "CosineAnnealingWarmRestarts: T_i");
    }
  } else {
    NABLA_CHECK(*epoch >= 0, "CosineAnnealingWarmRestarts: Expected non-negative epoch, but got ", *epoch);
    if (*epoch >= t_0_) {
      if (t_mult_ == 1) {
        t_cur_ = static_cast<double>(*epoch % t_0_);
      } else {
        const auto n = static_cast<int64_t>(
            std::log(static_cast<double>(*epoch) / static_cast<double>(t_0_) * static_cast<double>(t_mult_ - 1) + 1) /
            std::log(static_cast<double>(t_mult_)));
        const double grown = std::pow(static_cast<double>(t_mult_), static_cast<double>(n));
        t_cur_ =
            static_cast<double>(*epoch) - static_cast<double>(t_0_) * (grown - 1) / static_cast<double>(t_mult_ - 1);
        t_i_ = checked_mul(t_0_, checked_cast_to_int64(grown, "CosineAnnealingWarmRestarts: T_mult^n"),
                           "CosineAnnealingWarmRestarts: T_i");
      }
    } else {
      t_i_ = t_0_;
      t_cur_ = static_cast<double>(*epoch);
    }
  }
  last_epoch_ = *epoch;
  apply(get_lr());
}

void CosineAnnealingWarmRestarts::save(SchedulerState& state) const {
  state["T_cur"] = {t_cur_};
  state["T_i"] = {static_cast<double>(t_i_)};
}

void CosineAnnealingWarmRestarts::load(const SchedulerState& state) {
  if (auto it = state.find("T_cur"); it != state.end()) t_cur_ = it->second.at(0);
  if (auto it = state.find("T_i"); it != state.end())
    t_i_ = checked_cast_to_int64(it->second.at(0), "CosineAnnealingWarmRestarts.load_state_dict: T_i");
}

// ---- SequentialLR

SequentialLR::SequentialLR(Optimizer& optimizer, std::vector<std::shared_ptr<LRScheduler>> schedulers,
                           std::vector<int64_t> milestones)
    : LRScheduler(optimizer), schedulers_(std::move(schedulers)), milestones_(std::move(milestones)) {
  NABLA_CHECK(!schedulers_.empty(), "SequentialLR: expects at least one scheduler");
  for (size_t i = 0; i < schedulers_.size(); ++i)
    NABLA_CHECK(&schedulers_[i]->optimizer() == &optimizer,
                "SequentialLR: Sequential Schedulers expects all "
                "schedulers to belong to the same optimizer, but got schedulers at index ",
                i, " to be different than the optimizer passed in.");
  NABLA_CHECK(milestones_.size() + 1 == schedulers_.size(),
              "SequentialLR: Sequential Schedulers expects number of "
              "schedulers provided to be one more than the number of milestone points, but got number of schedulers ",
              schedulers_.size(), " and the number of milestones to be equal to ", milestones_.size());
  // As PyTorch: back to the initial rates, each scheduler's construction step undone, the first one restarted.
  last_epoch_ = 0;
  for (size_t g = 0; g < optimizer.num_groups(); ++g) optimizer.set_lr(g, optimizer.initial_lr(g));
  for (auto& s : schedulers_) s->last_epoch_ -= 1;
  schedulers_[0]->step();
  last_lr_ = schedulers_[0]->get_last_lr();
}

void SequentialLR::step_to(std::optional<int64_t> epoch) {
  NABLA_CHECK(!epoch, "SequentialLR: step(epoch) is not supported; call step()");
  last_epoch_ = checked_add(last_epoch_, 1, "SequentialLR.step: the epoch");
  const auto index =
      static_cast<size_t>(std::upper_bound(milestones_.begin(), milestones_.end(), last_epoch_) - milestones_.begin());
  LRScheduler& scheduler = *schedulers_[index];
  if (index > 0 && milestones_[index - 1] == last_epoch_)
    scheduler.step(0);
  else
    scheduler.step();
  last_lr_ = scheduler.get_last_lr();
}

// PyTorch's "_schedulers": each child's state, here under "_schedulers.<i>.<key>".
void SequentialLR::save(SchedulerState& state) const {
  for (size_t i = 0; i < schedulers_.size(); ++i)
    for (const auto& [key, value] : schedulers_[i]->state_dict())
      state["_schedulers." + std::to_string(i) + "." + key] = value;
}

void SequentialLR::load(const SchedulerState& state) {
  for (size_t i = 0; i < schedulers_.size(); ++i) {
    const std::string prefix = "_schedulers." + std::to_string(i) + ".";
    SchedulerState child;
    for (auto it = state.lower_bound(prefix); it != state.end() && it->first.rfind(prefix, 0) == 0; ++it)
      child[it->first.substr(prefix.size())] = it->second;
    NABLA_CHECK(!child.empty(), "SequentialLR.load_state_dict: the state has no '", prefix, "*' entries for scheduler ",
                i, "; was it saved by a SequentialLR of ", schedulers_.size(), " schedulers?");
    schedulers_[i]->load_state_dict(child);
  }
}

// ---- ReduceLROnPlateau

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, const ReduceLROnPlateauOptions& o)
    : optimizer_(optimizer), options_(o) {
  const char* who = "ReduceLROnPlateau";
  NABLA_CHECK(o.factor < 1.0, who, ": Factor should be < 1.0.");
  NABLA_CHECK(o.mode == "min" || o.mode == "max", who, ": mode ", o.mode, " is unknown!");
  NABLA_CHECK(o.threshold_mode == "rel" || o.threshold_mode == "abs", who, ": threshold mode ", o.threshold_mode,
              " is unknown!");
  min_lrs_ = per_group(o.min_lr, optimizer.num_groups(), who, "min_lr");
  best_ = o.mode == "min" ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
  for (size_t g = 0; g < optimizer.num_groups(); ++g) last_lr_.push_back(optimizer.lr(g));
}

bool ReduceLROnPlateau::is_better(double a) const {
  const double t = options_.threshold;
  const bool rel = options_.threshold_mode == "rel";
  if (options_.mode == "min") return rel ? a < best_ * (1 - t) : a < best_ - t;
  return rel ? a > best_ * (t + 1) : a > best_ + t;
}

void ReduceLROnPlateau::step(double metric) {
  last_epoch_ = checked_add(last_epoch_, 1, "ReduceLROnPlateau.step: the epoch");
  if (is_better(metric)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;  // ignore bad epochs in cooldown
  }
  if (num_bad_epochs_ > options_.patience) {
    for (size_t g = 0; g < optimizer_.num_groups(); ++g) {
      const double old_lr = optimizer_.lr(g), new_lr = std::max(old_lr * options_.factor, min_lrs_[g]);
      if (old_lr - new_lr > options_.eps) optimizer_.set_lr(g, new_lr);
    }
    cooldown_counter_ = options_.cooldown;
    num_bad_epochs_ = 0;
  }
  last_lr_.clear();
  for (size_t g = 0; g < optimizer_.num_groups(); ++g) last_lr_.push_back(optimizer_.lr(g));
}

SchedulerState ReduceLROnPlateau::state_dict() const {
  return {{"best", {best_}},
          {"num_bad_epochs", {static_cast<double>(num_bad_epochs_)}},
          {"cooldown_counter", {static_cast<double>(cooldown_counter_)}},
          {"last_epoch", {static_cast<double>(last_epoch_)}},
          {"min_lrs", min_lrs_},
          {"_last_lr", last_lr_}};
}

void ReduceLROnPlateau::load_state_dict(const SchedulerState& state) {
  const auto get = [&](const char* key) -> const std::vector<double>& {
    const auto it = state.find(key);
    NABLA_CHECK(it != state.end(), "ReduceLROnPlateau.load_state_dict: the state has no '", key, "'");
    return it->second;
  };
  best_ = get("best").at(0);
  num_bad_epochs_ = static_cast<int64_t>(get("num_bad_epochs").at(0));
  cooldown_counter_ = static_cast<int64_t>(get("cooldown_counter").at(0));
  last_epoch_ = checked_cast_to_int64(get("last_epoch").at(0), "lr_scheduler.load_state_dict: last_epoch");
  min_lrs_ = get("min_lrs");
  last_lr_ = get("_last_lr");
}

}  // namespace nabla::optim::lr_scheduler
