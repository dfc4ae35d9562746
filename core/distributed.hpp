#pragma once
/// @file
/// nabla::distributed: processes that train together, on MPI (Open MPI from Debian), as torch.distributed.
/// Launch with `mpirun -np N prog` (as root add --allow-run-as-root), `srun --mpi=pmix prog` on Slurm, or run the
/// program alone: a world of one process. Built without MPI (libopenmpi-dev absent at configure time), every
/// program is a world of one.
///
/// @code
///   int main() {
///     nabla::distributed::Session session;  // init; finalize at the end, or end the whole job on an exception
///     ...
///   }
/// @endcode
///
/// All MPI calls are made by one communication thread of the library (MPI_THREAD_SERIALIZED), so collectives
/// started with async_op = true run while the caller computes (DistributedDataParallel's overlap).
///
/// Every rank must issue the same collectives in the same order. Each one is checked: before its data moves, the
/// ranks exchange what they are about to do (a sequence number, the operation, the count and dtype), so a rank
/// that took one more step than the others gets a nabla::Error naming both sides ("rank 1 sent all_reduce #812
/// of 1,199,882 float32 (DDP step 40, bucket 1 of 2) while rank 0 expected all_reduce #812 of 2 float32
/// (all_reduce)"), never mismatched buffers. A collective that does not complete within the timeout ends the job
/// with a message naming it and the ranks that did not arrive. Waiting backs off instead of spinning a core.
/// @ingroup distributed
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla::distributed {
/// @addtogroup distributed
/// @{

/// How all_reduce combines the ranks' values (torch.distributed.ReduceOp SUM, AVG, MAX).
enum class ReduceOp { sum, average, max };

/// Options of init() (torch.distributed.init_process_group's).
struct InitOptions {
  /// How long a collective may wait for the other ranks before the job is ended (PyTorch's init_process_group
  /// timeout). Unset: NABLA_DIST_TIMEOUT (seconds) if set, else 30 minutes, as PyTorch.
  std::optional<std::chrono::milliseconds> timeout;
};

/// Joins the job (MPI_Init_thread, asking for MPI_THREAD_SERIALIZED); idempotent. The other calls init() first
/// when it has not been called.
void init(const InitOptions& options = {});
bool is_initialized();  ///< whether init() has run (torch.distributed.is_initialized)
/// Whether a launcher (mpirun, srun) started this process as one of several (OMPI_COMM_WORLD_SIZE, PMI_SIZE), whether
/// or not init() has run yet. Layers that only matter in a job (SyncBatchNorm) ask this before starting MPI.
bool is_launched();
/// Whether this build has MPI (else every program is a world of one).
bool is_available();
int rank();        ///< this process's rank in the world, 0 to world_size() - 1 (0 outside a job)
int world_size();  ///< the number of processes in the job (1 outside one)
/// The collective timeout in force (see InitOptions).
std::chrono::milliseconds timeout();
/// The thread support MPI provided, e.g. "MPI_THREAD_SERIALIZED" (or "none" without MPI).
std::string threading_level();
/// Leaves the job cleanly: every rank must call it (Session does). It is itself checked as a collective, so a rank
/// that ends while another still waits in a collective ends the job with an error naming both. Collectives after
/// it are errors.
void finalize();
/// Ends every process of the job with `code` (MPI_Abort), after printing `message` on this rank's stderr.
[[noreturn]] void abort(int code, const std::string& message);

/// init() for its lifetime: finalize() when it ends normally, abort(1) when an exception unwinds it, so that
/// one failing rank ends the job instead of leaving the others waiting in a collective.
class Session {
 public:
  explicit Session(const InitOptions& options = {});  ///< calls init(options)
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

 private:
  int uncaught_;
};

/// A collective started with async_op = true: wait() blocks until it is done here (and rethrows its error).
class Work {
 public:
  Work() = default;
  /// a handle on a collective that completes when `done` is ready
  explicit Work(std::shared_future<void> done) : done_(std::move(done)) {}
  void wait() const;          ///< blocks until the collective is done here; rethrows its error
  bool is_completed() const;  ///< whether wait() would return at once

 private:
  std::shared_future<void> done_;
};

/// While it lives, the collectives this thread starts carry `name` in the messages of mismatches and timeouts
/// (DistributedDataParallel names its buckets so); otherwise they are called by their operation.
class CollectiveName {
 public:
  explicit CollectiveName(std::string name);  ///< names this thread's collectives `name` until destroyed
  ~CollectiveName();
  CollectiveName(const CollectiveName&) = delete;
  CollectiveName& operator=(const CollectiveName&) = delete;

 private:
  std::string previous_;
};

namespace detail {
struct Group;
}

/// A set of ranks that run collectives among themselves (PyTorch's ProcessGroup; an MPI communicator). A
/// default-constructed one is the world (PyTorch's group=None); new_group(ranks) makes a subset. Ranks are always
/// the world's (src of broadcast too).
class ProcessGroup {
 public:
  ProcessGroup() = default;
  /// Whether this rank belongs to the group (collectives on a group it is not in are errors).
  bool contains_me() const;
  /// This rank's place in the group (0 to size() - 1).
  int rank() const;
  int size() const;  ///< the number of ranks in the group
  /// The group's ranks, as world ranks, in group order.
  const std::vector<int>& ranks() const;

  void barrier() const;  ///< waits until every rank of the group has called it
  /// In place, over a contiguous float32 or int64 tensor (average: float32 only). Counts past 2^31 elements are
  /// sent in several MPI calls.
  Work all_reduce(Tensor& tensor, ReduceOp op = ReduceOp::sum, bool async_op = false) const;
  /// As all_reduce(average) of a float32 tensor, but the values travel as bfloat16 (half the bytes; each partial
  /// sum is computed in float32 and rounded): PyTorch's bf16_compress_hook.
  Work all_reduce_bf16(Tensor& tensor, bool async_op = false) const;
  /// src's values into every rank's tensor (same shape and dtype everywhere), in place; src is a world rank.
  Work broadcast(Tensor& tensor, int src = 0, bool async_op = false) const;
  /// Every rank's tensor (same shape and dtype everywhere), in group order.
  std::vector<Tensor> all_gather(const Tensor& tensor) const;
  /// Every rank's text (any length), in group order: a small all_gather_object for strings.
  std::vector<std::string> all_gather_string(const std::string& text) const;

 private:
  friend ProcessGroup new_group(const std::vector<int>& ranks);
  explicit ProcessGroup(std::shared_ptr<detail::Group> group) : group_(std::move(group)) {}
  std::shared_ptr<detail::Group> group_;  ///< null: the world
};

/// Every rank of the job.
ProcessGroup world();
/// A group of the given world ranks (distinct, in range; their order is the group's). Collective over the world:
/// every rank calls it with the same ranks, members and non-members alike, as torch.distributed.new_group.
ProcessGroup new_group(const std::vector<int>& ranks);

/// The world group's collectives, as torch.distributed's without group=.
void barrier();
/// ProcessGroup::all_reduce on the world
Work all_reduce(Tensor& tensor, ReduceOp op = ReduceOp::sum, bool async_op = false);
Work broadcast(Tensor& tensor, int src = 0, bool async_op = false);   ///< ProcessGroup::broadcast on the world
std::vector<Tensor> all_gather(const Tensor& tensor);                 ///< ProcessGroup::all_gather on the world
std::vector<std::string> all_gather_string(const std::string& text);  ///< ProcessGroup::all_gather_string on the world

/// A nabla::Error on every rank, naming `what` and the smallest and largest value, unless all ranks give the same
/// `value` (a count): called before a loop whose collectives must pair up across ranks (the number of batches of an
/// epoch), so that ranks given different data fail together at once instead of mismatching their collectives.
void check_same_across_ranks(int64_t value, const std::string& what);

/// @}
}  // namespace nabla::distributed
