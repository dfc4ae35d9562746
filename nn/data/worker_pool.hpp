#pragma once
/// @file
/// The DataLoader's threads: a fixed set of worker threads that make the items of a run (the batches of an epoch)
/// ahead of a consumer that takes them strictly in order. At most `depth` items are made and not yet taken, so memory
/// stays bounded by the prefetch depth, never an epoch's worth. Used through DataLoader; not a public API on its own.
/// @ingroup data
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>

namespace nabla::data::detail {
/// @addtogroup data
/// @{

class WorkerPool {
 public:
  /// make(index, slot) builds item `index` into the caller's storage `slot` (in [0, depth)). It runs on a worker
  /// thread with one OpenMP thread, flush-to-zero, and gradients off.
  using Job = std::function<void(int64_t index, int64_t slot)>;

  WorkerPool(int64_t num_workers, int64_t depth);
  ~WorkerPool();  ///< stops the run: waits for the items being made (never for the rest), joins the threads
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Starts making items 0..count-1 and returns the run's id; a run still going is stopped first (see stop()).
  int64_t start(int64_t count, Job make);
  /// Blocks until the next item of `run` in order is made and returns its slot; rethrows the exception its job threw.
  /// An error if a newer run has replaced `run` (persistent workers serve one epoch at a time).
  int64_t next(int64_t run);
  /// The consumer is done with the item next() returned: its slot may be reused.
  void release(int64_t run);
  /// Stops `run` if it is the current one: no new item is begun, and this returns once no job is running (slots are
  /// free to go). A newer run is left alone.
  void stop(int64_t run);

  int64_t depth() const;
  /// The most items ever made or being made and not yet released at once (the memory bound, for tests).
  int64_t max_in_flight() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// @}
}  // namespace nabla::data::detail
