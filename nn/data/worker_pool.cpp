#include "nabla/nn/data/worker_pool.hpp"

#include <omp.h>
#include <xmmintrin.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "nabla/core/error.hpp"
#include "nabla/core/grad_mode.hpp"

namespace nabla::data::detail {

struct WorkerPool::State {
  int64_t depth = 0;
  std::mutex mutex;
  std::condition_variable work_ready, item_done, idle;
  // The run: items [0, count); `claimed` items have been handed to workers, `taken` released by the consumer.
  Job make;
  int64_t run = 0, count = 0, claimed = 0, taken = 0, running = 0, max_in_flight = 0;
  bool quitting = false;
  std::vector<char> done;  // per slot: the item is made
  std::vector<std::exception_ptr> errors;
  std::vector<std::thread> threads;

  bool can_claim() const { return claimed < count && claimed < taken + depth; }

  void work() {
    constexpr unsigned kFlushToZero = 0x8000, kDenormalsAreZero = 0x0040;
    _mm_setcsr(_mm_getcsr() | kFlushToZero | kDenormalsAreZero);
    omp_set_num_threads(1);  // the workers share the cores with the training loop: no nested thread teams
    NoGradGuard no_grad;
    std::unique_lock lock(mutex);
    for (;;) {
      work_ready.wait(lock, [&] { return quitting || can_claim(); });
      if (quitting) return;
      const int64_t index = claimed++, slot = index % depth;
      ++running;
      max_in_flight = std::max(max_in_flight, claimed - taken);
      const Job job = make;  // a copy: start() may replace `make` once this run is stopped
      lock.unlock();
      std::exception_ptr error;
      try {
        job(index, slot);
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      errors[static_cast<size_t>(slot)] = error;
      done[static_cast<size_t>(slot)] = 1;
      --running;
      item_done.notify_all();
      if (running == 0) idle.notify_all();
    }
  }

  void stop_run(std::unique_lock<std::mutex>& lock) {
    count = claimed;  // nothing new is begun
    idle.wait(lock, [&] { return running == 0; });
  }
};

WorkerPool::WorkerPool(int64_t num_workers, int64_t depth) : state_(std::make_unique<State>()) {
  NABLA_CHECK(num_workers > 0 && depth > 0, "DataLoader: expected positive num_workers and prefetch depth, got ",
              num_workers, " and ", depth);
  state_->depth = depth;
  state_->done.assign(static_cast<size_t>(depth), 0);
  state_->errors.assign(static_cast<size_t>(depth), nullptr);
  for (int64_t i = 0; i < num_workers; ++i) state_->threads.emplace_back([s = state_.get()] { s->work(); });
}

WorkerPool::~WorkerPool() {
  {
    std::unique_lock lock(state_->mutex);
    state_->stop_run(lock);
    state_->quitting = true;
  }
  state_->work_ready.notify_all();
  for (auto& thread : state_->threads) thread.join();
}

int64_t WorkerPool::start(int64_t count, Job make) {
  State& s = *state_;
  int64_t run = 0;
  {
    std::unique_lock lock(s.mutex);
    s.stop_run(lock);
    run = ++s.run;
    s.make = std::move(make);
    s.count = count;
    s.claimed = s.taken = 0;
    std::fill(s.done.begin(), s.done.end(), 0);
    std::fill(s.errors.begin(), s.errors.end(), nullptr);
  }
  s.work_ready.notify_all();
  return run;
}

int64_t WorkerPool::next(int64_t run) {
  State& s = *state_;
  std::unique_lock lock(s.mutex);
  NABLA_CHECK(run == s.run,
              "DataLoader: this epoch's persistent workers have moved on to a newer epoch of the same "
              "loader; iterate one epoch at a time (or use persistent_workers = false)");
  NABLA_CHECK(s.taken < s.claimed || s.can_claim(), "DataLoader: no batch is left in this epoch");
  const int64_t slot = s.taken % s.depth;
  s.item_done.wait(lock, [&] { return s.done[static_cast<size_t>(slot)] != 0; });
  if (auto error = s.errors[static_cast<size_t>(slot)]) {
    s.stop_run(lock);  // the epoch ends with its first failure
    std::rethrow_exception(error);
  }
  return slot;
}

void WorkerPool::release(int64_t run) {
  State& s = *state_;
  {
    std::lock_guard lock(s.mutex);
    if (run != s.run) return;
    s.done[static_cast<size_t>(s.taken % s.depth)] = 0;
    ++s.taken;
  }
  s.work_ready.notify_all();
}

void WorkerPool::stop(int64_t run) {
  std::unique_lock lock(state_->mutex);
  if (run == state_->run) state_->stop_run(lock);
}

int64_t WorkerPool::depth() const { return state_->depth; }

int64_t WorkerPool::max_in_flight() const {
  std::lock_guard lock(state_->mutex);
  return state_->max_in_flight;
}

}  // namespace nabla::data::detail
