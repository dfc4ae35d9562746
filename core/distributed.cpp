// nabla::distributed on MPI. One communication thread makes every MPI call, in the order the jobs were queued
// (MPI requires every rank to issue collectives in the same order, and MPI_THREAD_SERIALIZED allows exactly
// this: calls from any thread, one at a time); callers get a Work to wait on. Built without MPI
// (NABLA_HAVE_MPI unset), the same API runs as a world of one process.
#include "nabla/core/distributed.hpp"

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/core/log.h"

#ifdef NABLA_HAVE_MPI
#include <mpi.h>
#endif

namespace nabla::distributed {
namespace {

// The communication thread and its queue of jobs.
class Communicator {
 public:
  static Communicator& get() {
    static Communicator instance;
    return instance;
  }

  void init() {
    std::lock_guard lock(mutex_);
    if (initialized_) return;
    NABLA_CHECK(!finalized_, "distributed::init: the job was already finalized; init once per process");
#ifdef NABLA_HAVE_MPI
    int already = 0;
    MPI_Initialized(&already);
    if (!already)
      MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided_);
    else
      MPI_Query_thread(&provided_);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    if (provided_ < MPI_THREAD_SERIALIZED && size_ > 1)
      throw Error("distributed::init: MPI provides " + level_name(provided_) +
                  " but Nabla's communication thread needs MPI_THREAD_SERIALIZED; use an MPI built with thread "
                  "support (Debian's Open MPI has it)");
    detail::logger().debug("distributed: rank {} of {}, MPI thread support {}", rank_, size_, level_name(provided_));
#endif
    worker_ = std::thread([this] { run(); });
    initialized_ = true;
  }

  // Runs job on the communication thread; the Work finishes when it has.
  Work submit(std::function<void()> job) {
    init();
    auto task = std::make_shared<std::packaged_task<void()>>(std::move(job));
    Work work(task->get_future().share());
    {
      std::lock_guard lock(mutex_);
      NABLA_CHECK(!finalized_, "distributed: the job was finalized; no collective can run after finalize()");
      jobs_.push_back([task] { (*task)(); });
    }
    ready_.notify_one();
    return work;
  }

  void finalize() {
    {
      std::lock_guard lock(mutex_);
      if (!initialized_ || finalized_) return;
      finalized_ = true;
    }
    ready_.notify_one();
    worker_.join();
#ifdef NABLA_HAVE_MPI
    int done = 0;
    MPI_Finalized(&done);
    if (!done) MPI_Finalize();
#endif
  }

  bool initialized() const { return initialized_; }
  int rank() const { return rank_; }
  int size() const { return size_; }
  int provided() const { return provided_; }

  static std::string level_name(int level) {
#ifdef NABLA_HAVE_MPI
    switch (level) {
      case MPI_THREAD_SINGLE: return "MPI_THREAD_SINGLE";
      case MPI_THREAD_FUNNELED: return "MPI_THREAD_FUNNELED";
      case MPI_THREAD_SERIALIZED: return "MPI_THREAD_SERIALIZED";
      case MPI_THREAD_MULTIPLE: return "MPI_THREAD_MULTIPLE";
    }
#endif
    (void)level;
    return "none";
  }

 private:
  Communicator() = default;
  ~Communicator() {
    // A program that never called finalize() ends here: leave MPI cleanly only if nothing is pending.
    if (initialized_ && !finalized_) finalize();
  }

  void run() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return finalized_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // finalized, and everything queued before has run
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  std::thread worker_;
  bool initialized_ = false, finalized_ = false;
  int rank_ = 0, size_ = 1, provided_ = -1;
};

#ifdef NABLA_HAVE_MPI
void check_mpi(int status, const char* op) {
  if (status == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(status, text, &length);
  throw Error(std::string("distributed::") + op + ": MPI failed: " + std::string(text, static_cast<size_t>(length)));
}

MPI_Datatype mpi_type(const Tensor& t) {
  switch (t.dtype()) {
    case Dtype::Float32: return MPI_FLOAT;
    case Dtype::Int64: return MPI_INT64_T;
    case Dtype::Bool: return MPI_C_BOOL;
    case Dtype::Float64: return MPI_DOUBLE;
  }
  return MPI_BYTE;
}
#endif

void check_tensor(const Tensor& t, const char* op) {
  NABLA_CHECK(t.defined(), "distributed::", op, ": the tensor is undefined");
  NABLA_CHECK(t.is_contiguous(), "distributed::", op, ": the tensor must be contiguous (of shape ",
              shape_str(t.shape()), "); pass t.contiguous()");
}

Work finish(Work work, bool async_op) {
  if (!async_op) work.wait();
  return work;
}

}  // namespace

void init() { Communicator::get().init(); }
bool is_initialized() { return Communicator::get().initialized(); }
#ifdef NABLA_HAVE_MPI
bool is_available() { return true; }
#else
bool is_available() { return false; }
#endif

int rank() {
  init();
  return Communicator::get().rank();
}

int world_size() {
  init();
  return Communicator::get().size();
}

std::string threading_level() {
  init();
  return Communicator::level_name(Communicator::get().provided());
}

void finalize() { Communicator::get().finalize(); }

void abort(int code, const std::string& message) {
  std::fprintf(stderr, "rank %d: %s\n", Communicator::get().rank(), message.c_str());
  std::fflush(stderr);
#ifdef NABLA_HAVE_MPI
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Abort(MPI_COMM_WORLD, code);  // does not wait for the communication thread
#endif
  std::_Exit(code);
}

Session::Session() : uncaught_(std::uncaught_exceptions()) { init(); }

Session::~Session() {
  if (std::uncaught_exceptions() > uncaught_)
    abort(1, "an exception is ending this process; ending the whole job, so that no rank waits for it");
  finalize();
}

void Work::wait() const {
  if (done_.valid()) done_.get();
}

bool Work::is_completed() const {
  return !done_.valid() || done_.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

void barrier() {
  Communicator::get()
      .submit([] {
#ifdef NABLA_HAVE_MPI
        check_mpi(MPI_Barrier(MPI_COMM_WORLD), "barrier");
#endif
      })
      .wait();
}

Work all_reduce(Tensor& tensor, ReduceOp op, bool async_op) {
  check_tensor(tensor, "all_reduce");
  NABLA_CHECK(tensor.dtype() == kFloat32 || tensor.dtype() == kInt64,
              "distributed::all_reduce: expected a float32 "
              "or int64 tensor, got ",
              dtype_name(tensor.dtype()));
  NABLA_CHECK(op != ReduceOp::average || tensor.dtype() == kFloat32,
              "distributed::all_reduce: average needs a float32 tensor, got ", dtype_name(tensor.dtype()));
  // The values are written in place: the job holds the tensor (and so its storage) until it has run.
  return finish(Communicator::get().submit([tensor, op]() mutable {
    const int size = Communicator::get().size();
    if (size == 1 || tensor.numel() == 0) return;
#ifdef NABLA_HAVE_MPI
    void* data = tensor.data_ptr();
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, data, static_cast<int>(tensor.numel()), mpi_type(tensor),
                            op == ReduceOp::max ? MPI_MAX : MPI_SUM, MPI_COMM_WORLD),
              "all_reduce");
    if (op == ReduceOp::average) {
      float* p = static_cast<float*>(data);
      for (int64_t i = 0; i < tensor.numel(); ++i) p[i] /= static_cast<float>(size);
    }
    tensor.bump_version();
#endif
  }),
                async_op);
}

Work broadcast(Tensor& tensor, int src, bool async_op) {
  check_tensor(tensor, "broadcast");
  NABLA_CHECK(src >= 0 && src < world_size(), "distributed::broadcast: src ", src, " is not a rank of this job (",
              world_size(), " processes)");
  return finish(Communicator::get().submit([tensor, src]() mutable {
    if (Communicator::get().size() == 1 || tensor.numel() == 0) return;
#ifdef NABLA_HAVE_MPI
    check_mpi(MPI_Bcast(tensor.data_ptr(), static_cast<int>(tensor.numel()), mpi_type(tensor), src, MPI_COMM_WORLD),
              "broadcast");
    tensor.bump_version();
#endif
  }),
                async_op);
}

std::vector<Tensor> all_gather(const Tensor& tensor) {
  check_tensor(tensor, "all_gather");
  const int size = world_size();
  Shape shape{size};
  shape.insert(shape.end(), tensor.shape().begin(), tensor.shape().end());
  Tensor gathered = empty(shape, tensor.dtype());
  Communicator::get()
      .submit([&] {
        if (size == 1) {
          gathered.copy_(tensor.unsqueeze(0));
          return;
        }
#ifdef NABLA_HAVE_MPI
        const auto count = static_cast<int>(tensor.numel());
        check_mpi(MPI_Allgather(tensor.const_data_ptr(), count, mpi_type(tensor), gathered.data_ptr(), count,
                                mpi_type(tensor), MPI_COMM_WORLD),
                  "all_gather");
#endif
      })
      .wait();
  std::vector<Tensor> out;
  for (int r = 0; r < size; ++r) out.push_back(gathered.select(0, r));
  return out;
}

void check_same_across_ranks(int64_t value, const std::string& what) {
  NABLA_CHECK(value >= 0, "distributed::check_same_across_ranks: ", what, " is a count, got ", value);
  Tensor extremes = from_vector(std::vector<int64_t>{value, -value}, {2});  // max of -value is -min
  all_reduce(extremes, ReduceOp::max);
  const auto v = extremes.to_vector<int64_t>();
  NABLA_CHECK(v[0] == -v[1], "distributed: the ranks disagree on ", what, ": from ", -v[1], " to ", v[0], " across ",
              world_size(), " ranks; every rank must give the same");
}

}  // namespace nabla::distributed
