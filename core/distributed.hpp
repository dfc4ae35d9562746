#pragma once
// nabla::distributed: processes that train together, on MPI (Open MPI from Debian), as torch.distributed.
// Launch with `mpirun -np N prog` (as root add --allow-run-as-root), `srun --mpi=pmix prog` on Slurm, or run the
// program alone: a world of one process. Built without MPI (libopenmpi-dev absent at configure time), every
// program is a world of one.
//
//   int main() {
//     nabla::distributed::Session session;  // init; finalize at the end, or end the whole job on an exception
//     ...
//   }
//
// All MPI calls are made by one communication thread of the library (MPI_THREAD_SERIALIZED), so collectives
// started with async_op = true run while the caller computes (DistributedDataParallel's overlap).
#include <future>
#include <string>
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla::distributed {

enum class ReduceOp { sum, average, max };

// Joins the job (MPI_Init_thread, asking for MPI_THREAD_SERIALIZED); idempotent. The other calls init() first
// when it has not been called.
void init();
bool is_initialized();
// Whether this build has MPI (else every program is a world of one).
bool is_available();
int rank();
int world_size();
// The thread support MPI provided, e.g. "MPI_THREAD_SERIALIZED" (or "none" without MPI).
std::string threading_level();
// Leaves the job cleanly: every rank must call it (Session does). Collectives after it are errors.
void finalize();
// Ends every process of the job with `code` (MPI_Abort), after printing `message` on this rank's stderr.
[[noreturn]] void abort(int code, const std::string& message);

// init() for its lifetime: finalize() when it ends normally, abort(1) when an exception unwinds it, so that
// one failing rank ends the job instead of leaving the others waiting in a collective.
class Session {
 public:
  Session();
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

 private:
  int uncaught_;
};

// A collective started with async_op = true: wait() blocks until it is done here (and rethrows its error).
class Work {
 public:
  Work() = default;
  explicit Work(std::shared_future<void> done) : done_(std::move(done)) {}
  void wait() const;
  bool is_completed() const;

 private:
  std::shared_future<void> done_;
};

void barrier();
// In place, over a contiguous float32 or int64 tensor (average: float32 only).
Work all_reduce(Tensor& tensor, ReduceOp op = ReduceOp::sum, bool async_op = false);
// src's values into every rank's tensor (same shape and dtype everywhere), in place.
Work broadcast(Tensor& tensor, int src = 0, bool async_op = false);
// Every rank's tensor (same shape and dtype everywhere), in rank order.
std::vector<Tensor> all_gather(const Tensor& tensor);

// A nabla::Error on every rank, naming `what` and the smallest and largest value, unless all ranks give the same
// `value` (a count): called before a loop whose collectives must pair up across ranks (the number of batches of an
// epoch), so that ranks given different data fail together at once instead of mismatching their collectives.
void check_same_across_ranks(int64_t value, const std::string& what);

}  // namespace nabla::distributed
