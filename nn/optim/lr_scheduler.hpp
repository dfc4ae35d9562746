#pragma once
/// @file
/// Learning-rate schedulers, as torch.optim.lr_scheduler (PyTorch 1.13) computes them, in double, so that the
/// sequence of rates is PyTorch's to the last bit. Construction performs the first step (epoch 0) as PyTorch's
/// does; call step() after each optimizer.step() (or epoch), ReduceLROnPlateau's step(metric) after validation.
/// @ingroup optim
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nabla/nn/optim/optimizer.hpp"

namespace nabla::optim::lr_scheduler {
/// @addtogroup optim
/// @{

/// A scheduler's state: PyTorch's state_dict entries (last_epoch, base_lrs, _last_lr and the scheduler's own
/// counters), each a list of numbers.
using SchedulerState = std::map<std::string, std::vector<double>>;

/// The base of the learning-rate schedulers (torch.optim.lr_scheduler.LRScheduler): step() once per epoch (or per batch
/// for OneCycleLR), after optimizer.step().
class LRScheduler {
 public:
  /// Attaches to `optimizer`, recording each group's initial learning rate.
  explicit LRScheduler(Optimizer& optimizer);
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  void step() { step_to(std::nullopt); }        ///< the next epoch, by the chainable form
  void step(int64_t epoch) { step_to(epoch); }  ///< to `epoch`, by the closed form where there is one
  /// the learning rates the last step set, per group
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  int64_t last_epoch() const { return last_epoch_; }   ///< the number of steps taken (-1 before the first)
  Optimizer& optimizer() const { return optimizer_; }  ///< the optimizer scheduled

  SchedulerState state_dict() const;                  ///< the scheduler's state, for checkpoints
  void load_state_dict(const SchedulerState& state);  ///< restores a state from state_dict()

 protected:
  /// The rates for last_epoch_, from the rates the groups have now (PyTorch's get_lr).
  virtual std::vector<double> get_lr() = 0;
  /// The rates for last_epoch_ from base_lrs_ alone, for step(epoch); empty when there is no closed form.
  virtual std::vector<double> closed_form_lr() { return {}; }
  virtual void save(SchedulerState& state) const { (void)state; }  ///< adds a scheduler's own state
  virtual void load(const SchedulerState& state) { (void)state; }  ///< reads a scheduler's own state
  /// What step() and step(epoch) do: last_epoch_ moves, then the groups get the new rates.
  virtual void step_to(std::optional<int64_t> epoch);
  /// The constructor's step to epoch 0; derived constructors call it once their members are set.
  void initial_step() { step(); }
  void apply(const std::vector<double>& lrs);                   ///< sets each group's learning rate
  double group_lr(size_t g) const { return optimizer_.lr(g); }  ///< group g's current learning rate

  Optimizer& optimizer_;          ///< the optimizer scheduled
  std::vector<double> base_lrs_;  ///< each group's initial learning rate
  int64_t last_epoch_ = -1;       ///< steps taken
  std::vector<double> last_lr_;   ///< the rates the last step set

  friend class SequentialLR;  ///< it rewinds and restarts the schedulers it runs
};

/// lr · gamma every step_size epochs.
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);  ///< the rate × gamma every step_size epochs

 protected:
  std::vector<double> get_lr() override;
  std::vector<double> closed_form_lr() override;

 private:
  int64_t step_size_;
  double gamma_;
};

/// lr · gamma at each milestone (a milestone given twice multiplies by gamma²).
class MultiStepLR : public LRScheduler {
 public:
  /// the rate × gamma at each milestone epoch (increasing)
  MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma = 0.1);

 protected:
  std::vector<double> get_lr() override;
  std::vector<double> closed_form_lr() override;

 private:
  std::vector<int64_t> milestones_;  ///< sorted
  double gamma_;
};

/// lr · gamma every epoch.
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);  ///< the rate × gamma every epoch

 protected:
  std::vector<double> get_lr() override;
  std::vector<double> closed_form_lr() override;

 private:
  double gamma_;
};

/// From base_lr down to eta_min along half a cosine over T_max epochs (and back up, periodically, after).
class CosineAnnealingLR : public LRScheduler {
 public:
  /// cosine from the initial rate to eta_min over T_max epochs
  CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min = 0.0);

 protected:
  std::vector<double> get_lr() override;
  std::vector<double> closed_form_lr() override;

 private:
  int64_t t_max_;
  double eta_min_;
};

/// The factor goes linearly from start_factor to end_factor over total_iters epochs.
class LinearLR : public LRScheduler {
 public:
  /// The rate × a factor going linearly from start_factor to end_factor over total_iters epochs.
  LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0, int64_t total_iters = 5);

 protected:
  std::vector<double> get_lr() override;
  std::vector<double> closed_form_lr() override;

 private:
  double start_, end_;
  int64_t total_iters_;
};

/// lr · factor for the first total_iters epochs, then lr.
class ConstantLR : public LRScheduler {
 public:
  /// the rate × factor until total_iters epochs, then the rate
  ConstantLR(Optimizer& optimizer, double factor = 1.0 / 3, int64_t total_iters = 5);

 protected:
  std::vector<double> get_lr() override;
  std::vector<double> closed_form_lr() override;

 private:
  double factor_;
  int64_t total_iters_;
};

/// base_lr · lr_lambda(epoch).
class LambdaLR : public LRScheduler {
 public:
  LambdaLR(Optimizer& optimizer, std::function<double(int64_t)> lr_lambda);  ///< the initial rate × lr_lambda(epoch)

 protected:
  std::vector<double> get_lr() override;

 private:
  std::function<double(int64_t)> lambda_;
};

/// The options of OneCycleLR (torch.optim.lr_scheduler.OneCycleLR's, in its order).
struct OneCycleLROptions {
  std::vector<double> max_lr{};         ///< one for all groups, or one per group (required)
  int64_t total_steps = 0;              ///< or epochs · steps_per_epoch
  int64_t epochs = 0;                   ///< with steps_per_epoch, instead of total_steps
  int64_t steps_per_epoch = 0;          ///< with epochs, instead of total_steps
  double pct_start = 0.3;               ///< the fraction of the cycle spent increasing the rate
  std::string anneal_strategy = "cos";  ///< or "linear"
  bool cycle_momentum = true;           ///< cycle momentum (or beta1) inversely to the rate
  double base_momentum = 0.85;          ///< the momentum at the rate's peak
  double max_momentum = 0.95;           ///< the momentum at the cycle's ends
  double div_factor = 25.0;             ///< initial rate = max_lr / div_factor
  double final_div_factor = 1e4;        ///< final rate = initial rate / final_div_factor
  bool three_phase = false;             ///< a third phase annihilating the rate (else two phases)
};

/// The 1cycle policy: the rate rises from max_lr/div_factor to max_lr, then anneals far below the start, per
/// batch; the momentum moves the other way.
class OneCycleLR : public LRScheduler {
 public:
  /// Checks the options (a nabla::Error naming the wrong one) and sets the initial rates.
  OneCycleLR(Optimizer& optimizer, const OneCycleLROptions& options);

 protected:
  std::vector<double> get_lr() override;
  void save(SchedulerState& state) const override;  ///< adds the schedule's totals

 private:
  struct Phase {
    double end_step;
    std::vector<double> start_lr, end_lr;
    double start_momentum, end_momentum;
  };
  double anneal(double start, double end, double pct) const;

  OneCycleLROptions options_;
  int64_t total_steps_;
  std::vector<Phase> phases_;
};

/// Cosine annealing restarted every T_i epochs, T_i growing by T_mult after each restart (SGDR).
class CosineAnnealingWarmRestarts : public LRScheduler {
 public:
  /// Cosine annealing restarting after T_0 epochs, each period T_mult times longer (SGDR).
  CosineAnnealingWarmRestarts(Optimizer& optimizer, int64_t T_0, int64_t T_mult = 1, double eta_min = 0.0);

 protected:
  std::vector<double> get_lr() override;
  void step_to(std::optional<int64_t> epoch) override;  ///< T_cur and T_i move first
  void save(SchedulerState& state) const override;      ///< adds the position in the period
  void load(const SchedulerState& state) override;      ///< reads the position in the period

 private:
  int64_t t_0_, t_i_, t_mult_;
  double t_cur_;
  double eta_min_;
};

/// Runs schedulers one after the other, switching at the milestones.
class SequentialLR : public LRScheduler {
 public:
  /// Runs `schedulers` one after the other, switching at the milestone epochs (one fewer than schedulers).
  SequentialLR(Optimizer& optimizer, std::vector<std::shared_ptr<LRScheduler>> schedulers,
               std::vector<int64_t> milestones);

 protected:
  std::vector<double> get_lr() override { return last_lr_; }
  void save(SchedulerState& state) const override;  ///< its schedulers' states too
  void load(const SchedulerState& state) override;  ///< reads every inner scheduler's state
  void step_to(std::optional<int64_t> epoch) override;

 private:
  std::vector<std::shared_ptr<LRScheduler>> schedulers_;
  std::vector<int64_t> milestones_;
};

/// The options of ReduceLROnPlateau, in PyTorch's order.
struct ReduceLROnPlateauOptions {
  std::string mode = "min";            ///< or "max": whether the metric should fall or rise
  double factor = 0.1;                 ///< new rate = rate × factor
  int64_t patience = 10;               ///< epochs without improvement before reducing
  double threshold = 1e-4;             ///< what counts as an improvement (see threshold_mode)
  std::string threshold_mode = "rel";  ///< or "abs"
  int64_t cooldown = 0;                ///< epochs to wait after a reduction
  std::vector<double> min_lr = {0.0};  ///< one for all groups, or one per group
  double eps = 1e-8;                   ///< a reduction smaller than this is skipped
};

/// Divides the rate by 1/factor when the metric has not improved for `patience` epochs.
class ReduceLROnPlateau {
 public:
  ReduceLROnPlateau(Optimizer& optimizer, const ReduceLROnPlateauOptions& options = {});  ///< attaches to `optimizer`
  void step(double metric);                                            ///< one epoch's metric (e.g. validation loss)
  const std::vector<double>& get_last_lr() const { return last_lr_; }  ///< the rates in force, per group
  SchedulerState state_dict() const;                                   ///< the state, for checkpoints
  void load_state_dict(const SchedulerState& state);                   ///< restores a state from state_dict()

 private:
  bool is_better(double a) const;

  Optimizer& optimizer_;
  ReduceLROnPlateauOptions options_;
  std::vector<double> min_lrs_, last_lr_;
  double best_;
  int64_t num_bad_epochs_ = 0, cooldown_counter_ = 0, last_epoch_ = 0;
};

/// @}
}  // namespace nabla::optim::lr_scheduler
