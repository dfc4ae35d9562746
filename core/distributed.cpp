// nabla::distributed on MPI. One communication thread makes every MPI call, in the order the jobs were queued
// (MPI requires every rank to issue collectives in the same order, and MPI_THREAD_SERIALIZED allows exactly
// this: calls from any thread, one at a time); callers get a Work to wait on. Every collective starts with a
// header exchange (each rank sends every other what it is about to do, point to point, polled with a back-off), so
// a mismatch is an error before any data moves and a timeout knows which ranks never arrived; the data then moves
// with MPI's blocking collectives, under a watchdog thread. Built without MPI (NABLA_HAVE_MPI unset), the same API
// runs as a world of one process.
#include "nabla/core/distributed.hpp"

#include <algorithm>
#include <atomic>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <numeric>
#include <optional>
#include <sstream>
#include <thread>
#include <utility>

#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "core/distributed.h"
#include "core/log.h"

#ifdef NABLA_HAVE_MPI
#include <mpi.h>
#include <sys/prctl.h>
#endif

namespace nabla::distributed {

using Clock = std::chrono::steady_clock;

namespace detail {
// A process group: its communicator (a duplicate of the world's, or a split of it) and its collective count.
struct Group {
#ifdef NABLA_HAVE_MPI
  MPI_Comm comm = MPI_COMM_NULL;
#endif
  std::vector<int> world_ranks;  // the members, in group order
  int rank = -1;                 // this process's place in the group; -1: not a member
  int64_t sequence = 0;          // collectives run on the group so far (touched by the communication thread only)
};
}  // namespace detail

namespace {

thread_local std::string current_name;  // CollectiveName's

// What a collective is, as the ranks compare it before moving data.
enum class Op : int32_t { barrier, all_reduce, all_reduce_bf16, broadcast, all_gather, new_group, finalize };

struct Header {
  int64_t sequence = 0;
  int64_t count = 0;  // elements
  int32_t op = 0;
  int32_t arg = 0;     // the ReduceOp, broadcast's source
  int32_t dtype = -1;  // -1: no data
  char name[84] = {};  // what the caller called it (messages only, not compared)

  bool same_collective(const Header& o) const {
    return sequence == o.sequence && count == o.count && op == o.op && arg == o.arg && dtype == o.dtype;
  }
};

std::string with_commas(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0 && digits[i - 1] != '-') out += ',';
    out += digits[i];
  }
  return out;
}

const char* reduce_name(int32_t op) {
  switch (static_cast<ReduceOp>(op)) {
    case ReduceOp::sum: return "sum";
    case ReduceOp::average: return "average";
    case ReduceOp::max: return "max";
  }
  return "?";
}

// "all_reduce(average) #812 of 1,199,882 float32 (DDP step 40, bucket 1 of 2)"
std::string describe(const Header& h) {
  std::ostringstream s;
  switch (static_cast<Op>(h.op)) {
    case Op::barrier: s << "barrier"; break;
    case Op::all_reduce: s << "all_reduce(" << reduce_name(h.arg) << ")"; break;
    case Op::all_reduce_bf16: s << "all_reduce_bf16(average)"; break;
    case Op::broadcast: s << "broadcast from rank " << h.arg; break;
    case Op::all_gather: s << "all_gather"; break;
    case Op::new_group: s << "new_group"; break;
    case Op::finalize: s << "finalize"; break;
  }
  s << " #" << h.sequence;
  if (h.dtype >= 0) s << " of " << with_commas(h.count) << " " << dtype_name(static_cast<Dtype>(h.dtype));
  if (static_cast<Op>(h.op) == Op::new_group) s << " of " << h.count << " ranks";
  const std::string name(h.name, strnlen(h.name, sizeof h.name));
  if (!name.empty()) s << " (" << name << ")";
  return s.str();
}

Header header(Op op, int32_t arg, const Tensor* data) {
  Header h;
  h.op = static_cast<int32_t>(op);
  h.arg = arg;
  if (data) {
    h.count = data->numel();
    h.dtype = static_cast<int32_t>(data->dtype());
  }
  std::strncpy(h.name, current_name.c_str(), sizeof h.name - 1);
  return h;
}

std::chrono::milliseconds timeout_from_environment() {
  const char* value = std::getenv("NABLA_DIST_TIMEOUT");
  if (!value || !*value) return std::chrono::minutes(30);
  char* end = nullptr;
  const double seconds = std::strtod(value, &end);
  NABLA_CHECK(*end == '\0' && seconds > 0 && seconds < 1e9, "NABLA_DIST_TIMEOUT: expected a positive number of ",
              "seconds, got '", value, "'");
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));  // size-checked: below 1e12
}

// The largest count one MPI call takes (an int); NABLA_DIST_CHUNK_ELEMENTS lowers it (to test the splitting).
int64_t chunk_from_environment() {
  const char* value = std::getenv("NABLA_DIST_CHUNK_ELEMENTS");
  const int64_t chunk = value ? std::atoll(value) : INT_MAX;
  NABLA_CHECK(chunk > 0 && chunk <= INT_MAX, "NABLA_DIST_CHUNK_ELEMENTS: expected 1 to ", INT_MAX, ", got ", chunk);
  return chunk;
}

// bfloat16 stored as uint16: the upper half of a float32, rounded to nearest even.
float from_bf16(uint16_t v) {
  const uint32_t bits = static_cast<uint32_t>(v) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
uint16_t to_bf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof f);
  if ((bits & 0x7fffffffU) > 0x7f800000U) return static_cast<uint16_t>((bits >> 16) | 0x40);  // NaN stays NaN
  bits += 0x7fffU + ((bits >> 16) & 1U);  // round to nearest, ties to even
  return static_cast<uint16_t>(bits >> 16);
}

// The communication thread and its queue of jobs, and the job's settings.
class Communicator {
 public:
  static Communicator& get() {
    static Communicator instance;
    return instance;
  }

  void init(const InitOptions& options) {
    std::lock_guard lock(mutex_);
    if (initialized_) return;
    NABLA_CHECK(!finalized_, "distributed::init: the job was already finalized; init once per process");
    NABLA_CHECK(!options.timeout || options.timeout->count() > 0,
                "distributed::init: the timeout must be positive, got ", options.timeout ? options.timeout->count() : 0,
                " ms");
    timeout_ = options.timeout ? *options.timeout : timeout_from_environment();
    chunk_ = chunk_from_environment();
    world_ = std::make_shared<detail::Group>();
    world_->rank = 0;
    world_->world_ranks = {0};
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
    MPI_Comm_dup(MPI_COMM_WORLD, &world_->comm);  // ours alone: the program's own MPI calls cannot interleave
    MPI_Comm_set_errhandler(world_->comm, MPI_ERRORS_RETURN);
    world_->rank = rank_;
    world_->world_ranks.resize(static_cast<size_t>(size_));
    std::iota(world_->world_ranks.begin(), world_->world_ranks.end(), 0);
    MPI_Op_create(&sum_bf16, /*commute=*/1, &sum_bf16_op_);
    nabla::detail::logger().debug("distributed: rank {} of {}, MPI thread support {}, collective timeout {} s", rank_,
                                  size_, level_name(provided_), timeout_.count() / 1000.0);
#endif
    worker_ = std::thread([this] { run(); });
    if (size_ > 1) watchdog_ = std::thread([this] { watch_data_exchanges(); });
    initialized_ = true;
  }

  // Runs job on the communication thread; the Work finishes when it has.
  Work submit(std::function<void()> job) {
    init({});
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
    }
    // The last collective: a rank still waiting in another one learns that this rank has ended.
    Work last = submit([this] {
      if (size_ == 1) return;
      try {
        collective(*world_, header(Op::finalize, 0, nullptr), [](auto) {});  // the header exchange is all
      } catch (const Error& e) {
        distributed::abort(1, e.what());
      }
    });
    last.wait();
    {
      std::lock_guard lock(mutex_);
      finalized_ = true;
    }
    ready_.notify_one();
    worker_.join();
    if (watchdog_.joinable()) {
      {
        std::lock_guard lock(watch_mutex_);
        watch_stop_ = true;
      }
      watch_changed_.notify_one();
      watchdog_.join();
    }
#ifdef NABLA_HAVE_MPI
    MPI_Op_free(&sum_bf16_op_);
    int done = 0;
    MPI_Finalized(&done);
    if (!done) MPI_Finalize();
#endif
  }

  // On the communication thread: the header exchange, then `run_data(call)`, where call(fn) makes one blocking MPI
  // call fn() (each chunk of a large tensor is one) under the watchdog. Errors: a mismatch throws (on every rank:
  // each sees every header); a timeout ends the job.
  template <class RunData>
  void collective(detail::Group& group, Header mine, RunData run_data) {
    NABLA_CHECK(group.rank >= 0, "distributed: this rank (", rank_, ") is not a member of the group of ranks ",
                shape_str(Shape(group.world_ranks.begin(), group.world_ranks.end())),
                "; only members run its collectives");
    mine.sequence = group.sequence++;
    if (group.world_ranks.size() == 1) return run_data([](auto&&) {});
#ifdef NABLA_HAVE_MPI
    if (checks_) exchange_headers(group, mine);
    // The data moves with MPI's blocking collectives (its fastest algorithms; every rank has arrived, so nothing
    // waits long), under the watchdog.
    run_data([&](auto mpi_call) {
      watch(&mine);
      const int status = mpi_call();
      watch(nullptr);
      check_mpi(status, mine);
    });
    last_completed_ = describe(mine);
#endif
  }

  bool initialized() const { return initialized_; }
  int rank() const { return rank_; }
  int size() const { return size_; }
  int provided() const { return provided_; }
  std::chrono::milliseconds timeout() const { return timeout_; }
  int64_t chunk() const { return chunk_; }
  void set_checks(bool on) { checks_ = on; }
  std::shared_ptr<detail::Group> world() const { return world_; }
#ifdef NABLA_HAVE_MPI
  MPI_Op sum_bf16_op() const { return sum_bf16_op_; }
#endif

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
#ifdef NABLA_HAVE_MPI
    prctl(PR_SET_TIMERSLACK, 1000UL);  // 1 µs: the polling back-off's short sleeps stay short
#endif
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

  // The communication thread says which collective's data it is moving (nullptr: none), for the watchdog.
  void watch(const Header* moving) {
    {
      std::lock_guard lock(watch_mutex_);
      watched_ = moving ? std::optional<Header>(*moving) : std::nullopt;
      watched_since_ = Clock::now();
    }
    watch_changed_.notify_one();
  }

  // The watchdog thread: ends the job when one data exchange outlives the timeout (a rank stopped mid-exchange).
  // Its MPI_Abort runs while the communication thread is inside MPI, beyond what MPI_THREAD_SERIALIZED promises;
  // but it is the call meant for a job already broken, and Open MPI ends the job (scenarios.sh: stall).
  void watch_data_exchanges() {
    std::unique_lock lock(watch_mutex_);
    while (!watch_stop_) {
      if (!watched_) {
        watch_changed_.wait(lock);
        continue;
      }
      const auto deadline = watched_since_ + timeout_;
      if (Clock::now() < deadline) {
        watch_changed_.wait_until(lock, deadline);
        continue;
      }
      const std::string what = describe(*watched_);
      lock.unlock();
      distributed::abort(1, "distributed: " + what + " did not complete within " + seconds(timeout_) +
                                ": every rank of the group started it, but the data exchange stalled (a rank "
                                "stopped or its network failed)");
    }
  }

  static std::string seconds(std::chrono::milliseconds t) {
    std::ostringstream s;
    s << t.count() / 1000.0 << " s";
    return s.str();
  }

  std::string last_completed() const {
    return last_completed_.empty() ? "; this rank has completed no collective yet"
                                   : "; the last collective this rank completed: " + last_completed_;
  }

#ifdef NABLA_HAVE_MPI
  void check_mpi(int status, const Header& h) const {
    if (status == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(status, text, &length);
    throw Error("distributed: " + describe(h) + ": MPI failed: " + std::string(text, static_cast<size_t>(length)));
  }

  // Polls until every request completes (true) or the timeout passes (false): spins for the first 100 µs, then
  // sleeps between polls, 5 µs growing to 50 µs, so a rank waiting for a late one leaves its core to others.
  bool wait_all(MPI_Request* requests, int n) const {
    const auto start = Clock::now(), deadline = start + timeout_;
    auto pause = std::chrono::microseconds(5);
    for (;;) {
      int done = 0;
      MPI_Testall(n, requests, &done, MPI_STATUSES_IGNORE);
      if (done) return true;
      const auto now = Clock::now();
      if (now > deadline) return false;
      if (now - start < std::chrono::microseconds(100)) continue;
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(50));
    }
  }

  // Each rank sends its header to every other and receives theirs: every rank sees every header, so all of them
  // find a mismatch, and a timeout names the ranks whose header never came.
  void exchange_headers(const detail::Group& group, const Header& mine) {
    const auto n = static_cast<int>(group.world_ranks.size());
    constexpr int kTag = 7001;
    std::vector<Header> theirs(static_cast<size_t>(n));
    std::vector<MPI_Request> requests(static_cast<size_t>(2 * n), MPI_REQUEST_NULL);
    for (int r = 0; r < n; ++r) {
      if (r == group.rank) continue;
      check_mpi(MPI_Irecv(&theirs[r], sizeof(Header), MPI_BYTE, r, kTag, group.comm, &requests[2 * r]), mine);
      check_mpi(MPI_Isend(&mine, sizeof(Header), MPI_BYTE, r, kTag, group.comm, &requests[2 * r + 1]), mine);
    }
    if (!wait_all(requests.data(), 2 * n)) {
      std::string missing;
      for (int r = 0; r < n; ++r) {
        int arrived = 1;
        if (r != group.rank) MPI_Test(&requests[2 * r], &arrived, MPI_STATUS_IGNORE);
        if (!arrived) missing += (missing.empty() ? "" : ", ") + std::to_string(group.world_ranks[r]);
      }
      distributed::abort(1, "distributed: " + describe(mine) + " did not complete within " + seconds(timeout_) +
                                ": rank(s) " + missing +
                                " did not arrive (stopped, deadlocked, or busy longer "
                                "than the timeout: raise it with distributed::init({.timeout = ...}) or "
                                "NABLA_DIST_TIMEOUT)" +
                                last_completed());
    }
    for (int r = 0; r < n; ++r)
      if (r != group.rank && !theirs[r].same_collective(mine))
        throw Error("distributed: rank " + std::to_string(group.world_ranks[r]) + " sent " + describe(theirs[r]) +
                    " while rank " + std::to_string(rank_) + " expected " + describe(mine) +
                    ". Every rank must run the same collectives in the same order: ranks that take different "
                    "numbers of steps (uneven data) need DistributedDataParallel::join()");
  }

  // MPI_Op for bfloat16 stored as uint16: each pair summed in float32, rounded back to nearest even.
  static void sum_bf16(void* in, void* inout, int* len, MPI_Datatype*) {
    const auto* a = static_cast<const uint16_t*>(in);
    auto* b = static_cast<uint16_t*>(inout);
    for (int i = 0; i < *len; ++i) b[i] = to_bf16(from_bf16(a[i]) + from_bf16(b[i]));
  }
#endif

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  std::thread worker_;
  bool initialized_ = false, finalized_ = false;
  int rank_ = 0, size_ = 1, provided_ = -1;
  std::chrono::milliseconds timeout_{0};
  int64_t chunk_ = INT_MAX;
  std::atomic<bool> checks_{true};
  std::shared_ptr<detail::Group> world_;
  std::string last_completed_;  // for timeout messages (communication thread only)
  std::thread watchdog_;
  std::mutex watch_mutex_;
  std::condition_variable watch_changed_;
  std::optional<Header> watched_;  // the collective whose data is moving
  Clock::time_point watched_since_;
  bool watch_stop_ = false;
#ifdef NABLA_HAVE_MPI
  MPI_Op sum_bf16_op_ = MPI_OP_NULL;
#endif
};

#ifdef NABLA_HAVE_MPI
MPI_Datatype mpi_type(Dtype dtype) {
  switch (dtype) {
    case Dtype::Float32: return MPI_FLOAT;
    case Dtype::Int64: return MPI_INT64_T;
    case Dtype::Bool: return MPI_C_BOOL;
    case Dtype::Float64: return MPI_DOUBLE;
    case Dtype::BFloat16: return MPI_UINT16_T;  // moved, never reduced (all_reduce takes float32 and int64)
    case Dtype::UInt8: return MPI_UINT8_T;
    case Dtype::Int8: return MPI_INT8_T;
  }
  return MPI_BYTE;
}
#endif

// Calls fn(offset, count) for the chunks of `total` elements that one MPI call each can take.
template <class Fn>
void for_each_chunk(int64_t total, Fn fn) {
  const int64_t chunk = Communicator::get().chunk();
  for (int64_t offset = 0; offset < total; offset += std::min(chunk, total - offset))
    fn(offset, static_cast<int>(std::min(chunk, total - offset)));
}

void check_tensor(const Tensor& t, const char* op) {
  NABLA_CHECK(t.defined(), "distributed::", op, ": the tensor is undefined");
  NABLA_CHECK(t.is_contiguous(), "distributed::", op, ": the tensor must be contiguous (of shape ",
              shape_str(t.shape()), "); pass t.contiguous()");
}

Work finish(Work work, bool async_op) {
  if (!async_op) work.wait();
  return work;
}

// The group a handle names: a default-constructed ProcessGroup is the world (PyTorch's group=None).
std::shared_ptr<detail::Group> resolve(const std::shared_ptr<detail::Group>& group) {
  if (group) return group;
  init();
  return Communicator::get().world();
}

}  // namespace

void init(const InitOptions& options) { Communicator::get().init(options); }
void detail::set_collective_checks(bool on) { Communicator::get().set_checks(on); }
bool is_initialized() { return Communicator::get().initialized(); }

bool is_launched() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char* value = std::getenv(name); value && std::atoi(value) > 1) return true;
  return false;
}
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

std::chrono::milliseconds timeout() {
  init();
  return Communicator::get().timeout();
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

Session::Session(const InitOptions& options) : uncaught_(std::uncaught_exceptions()) { init(options); }

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

CollectiveName::CollectiveName(std::string name) : previous_(std::exchange(current_name, std::move(name))) {}
CollectiveName::~CollectiveName() { current_name = std::move(previous_); }

bool ProcessGroup::contains_me() const { return resolve(group_)->rank >= 0; }
int ProcessGroup::rank() const { return resolve(group_)->rank; }
int ProcessGroup::size() const { return static_cast<int>(resolve(group_)->world_ranks.size()); }
const std::vector<int>& ProcessGroup::ranks() const { return resolve(group_)->world_ranks; }

void ProcessGroup::barrier() const {
  const auto group = resolve(group_);
  Communicator::get()
      .submit([group, h = header(Op::barrier, 0, nullptr)] {
        Communicator::get().collective(*group, h, [&](auto call) {
#ifdef NABLA_HAVE_MPI
          call([&] { return MPI_Barrier(group->comm); });
#else
          (void)call;
#endif
        });
      })
      .wait();
}

Work ProcessGroup::all_reduce(Tensor& tensor, ReduceOp op, bool async_op) const {
  check_tensor(tensor, "all_reduce");
  NABLA_CHECK(tensor.dtype() == kFloat32 || tensor.dtype() == kInt64,
              "distributed::all_reduce: expected a float32 or int64 tensor, got ", dtype_name(tensor.dtype()));
  NABLA_CHECK(op != ReduceOp::average || tensor.dtype() == kFloat32,
              "distributed::all_reduce: average needs a float32 tensor, got ", dtype_name(tensor.dtype()));
  const auto group = resolve(group_);
  // The values are written in place: the job holds the tensor (and so its storage) until it has run.
  const Header h = header(Op::all_reduce, static_cast<int32_t>(op), &tensor);
  return finish(Communicator::get().submit([group, tensor, op, h]() mutable {
    Communicator::get().collective(*group, h, [&](auto call) {
      (void)call;
#ifdef NABLA_HAVE_MPI
      auto* data = static_cast<std::byte*>(tensor.data_ptr());
      const MPI_Datatype type = mpi_type(tensor.dtype());
      for_each_chunk(tensor.numel(), [&](int64_t offset, int count) {
        call([&] {
          return MPI_Allreduce(MPI_IN_PLACE, data + offset * static_cast<int64_t>(element_size(tensor.dtype())), count,
                               type, op == ReduceOp::max ? MPI_MAX : MPI_SUM, group->comm);
        });
      });
      if (op == ReduceOp::average) {
        float* p = tensor.data_ptr<float>();
        const auto size = static_cast<float>(group->world_ranks.size());
        for (int64_t i = 0, n = tensor.numel(); i < n; ++i) p[i] /= size;  // numel() is not free: once
      }
      tensor.bump_version();
#endif
    });
  }),
                async_op);
}

Work ProcessGroup::all_reduce_bf16(Tensor& tensor, bool async_op) const {
  check_tensor(tensor, "all_reduce_bf16");
  NABLA_CHECK(tensor.dtype() == kFloat32, "distributed::all_reduce_bf16: expected a float32 tensor, got ",
              dtype_name(tensor.dtype()));
  const auto group = resolve(group_);
  const Header h = header(Op::all_reduce_bf16, 0, &tensor);
  return finish(Communicator::get().submit([group, tensor, h]() mutable {
    Communicator::get().collective(*group, h, [&](auto call) {
      (void)call;
#ifdef NABLA_HAVE_MPI
      float* p = tensor.data_ptr<float>();
      const int64_t n = tensor.numel();
      std::vector<uint16_t> wire(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) wire[i] = to_bf16(p[i]);
      for_each_chunk(n, [&](int64_t offset, int count) {
        call([&] {
          return MPI_Allreduce(MPI_IN_PLACE, wire.data() + offset, count, MPI_UINT16_T,
                               Communicator::get().sum_bf16_op(), group->comm);
        });
      });
      const auto size = static_cast<float>(group->world_ranks.size());
      for (int64_t i = 0; i < n; ++i) p[i] = from_bf16(wire[i]) / size;
      tensor.bump_version();
#endif
    });
  }),
                async_op);
}

Work ProcessGroup::broadcast(Tensor& tensor, int src, bool async_op) const {
  check_tensor(tensor, "broadcast");
  const auto group = resolve(group_);
  const auto& members = group->world_ranks;
  const auto root = std::find(members.begin(), members.end(), src);
  NABLA_CHECK(root != members.end(), "distributed::broadcast: src ", src, " is not a rank of ",
              members.size() == static_cast<size_t>(world_size()) ? "this job" : "the group", " (", members.size(),
              " processes)");
  const int root_in_group = static_cast<int>(root - members.begin());
  const Header h = header(Op::broadcast, src, &tensor);
  return finish(Communicator::get().submit([group, tensor, root_in_group, h]() mutable {
    Communicator::get().collective(*group, h, [&](auto call) {
      (void)call;
#ifdef NABLA_HAVE_MPI
      auto* data = static_cast<std::byte*>(tensor.data_ptr());
      for_each_chunk(tensor.numel(), [&](int64_t offset, int count) {
        call([&] {
          return MPI_Bcast(data + offset * static_cast<int64_t>(element_size(tensor.dtype())), count,
                           mpi_type(tensor.dtype()), root_in_group, group->comm);
        });
      });
      tensor.bump_version();
#endif
    });
  }),
                async_op);
}

std::vector<Tensor> ProcessGroup::all_gather(const Tensor& tensor) const {
  check_tensor(tensor, "all_gather");
  const auto group = resolve(group_);
  const int size = static_cast<int>(group->world_ranks.size());
  Shape shape{size};
  shape.insert(shape.end(), tensor.shape().begin(), tensor.shape().end());
  Tensor gathered = empty(shape, tensor.dtype());
  const Header h = header(Op::all_gather, 0, &tensor);
  Communicator::get()
      .submit([&] {
        Communicator::get().collective(*group, h, [&](auto call) {
          (void)call;
          gathered.select(0, std::max(group->rank, 0)).copy_(tensor);
#ifdef NABLA_HAVE_MPI
          // Each rank's part broadcast from it, in chunks one MPI call takes.
          const int64_t n = tensor.numel(), bytes = static_cast<int64_t>(element_size(tensor.dtype()));
          auto* data = static_cast<std::byte*>(gathered.data_ptr());
          for (int r = 0; r < size; ++r)
            for_each_chunk(n, [&](int64_t offset, int count) {
              call([&] {
                return MPI_Bcast(data + (r * n + offset) * bytes, count, mpi_type(tensor.dtype()), r, group->comm);
              });
            });
#endif
        });
      })
      .wait();
  std::vector<Tensor> out;
  for (int r = 0; r < size; ++r) out.push_back(gathered.select(0, r));
  return out;
}

ProcessGroup world() { return ProcessGroup(); }

std::vector<std::string> ProcessGroup::all_gather_string(const std::string& text) const {
  // The longest length first, then every rank's text zero-padded to it, as int64 words.
  Tensor longest = from_vector(std::vector<int64_t>{static_cast<int64_t>(text.size())}, {1});
  all_reduce(longest, ReduceOp::max);
  const int64_t words = longest.item<int64_t>() / 8 + 1;
  std::vector<int64_t> packed(static_cast<size_t>(words), 0);
  std::memcpy(packed.data(), text.data(), text.size());
  std::vector<std::string> out;
  for (const Tensor& t : all_gather(from_vector(packed, {words}))) {
    const auto data = t.to_vector<int64_t>();
    const auto* bytes = reinterpret_cast<const char*>(data.data());
    out.emplace_back(bytes, strnlen(bytes, data.size() * 8));
  }
  return out;
}

ProcessGroup new_group(const std::vector<int>& ranks) {
  const int size = world_size();
  std::vector<int> sorted = ranks;
  std::sort(sorted.begin(), sorted.end());
  NABLA_CHECK(!ranks.empty() && std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end() &&
                  sorted.front() >= 0 && sorted.back() < size,
              "distributed::new_group: expected distinct ranks from 0 to ", size - 1, ", got ",
              shape_str(Shape(ranks.begin(), ranks.end())));
  auto group = std::make_shared<detail::Group>();
  group->world_ranks = ranks;
  const auto me = std::find(ranks.begin(), ranks.end(), rank());
  group->rank = me == ranks.end() ? -1 : static_cast<int>(me - ranks.begin());
  Tensor members = from_vector(std::vector<int64_t>(ranks.begin(), ranks.end()), {static_cast<int64_t>(ranks.size())});
  Header h = header(Op::new_group, 0, nullptr);
  h.count = static_cast<int64_t>(ranks.size());
  const auto world_group = Communicator::get().world();
  Communicator::get()
      .submit([&] {
        Communicator::get().collective(*world_group, h, [&](auto call) {
          (void)call;
#ifdef NABLA_HAVE_MPI
          MPI_Comm_split(world_group->comm, group->rank >= 0 ? 0 : MPI_UNDEFINED, group->rank, &group->comm);
          if (group->comm != MPI_COMM_NULL) MPI_Comm_set_errhandler(group->comm, MPI_ERRORS_RETURN);
#endif
        });
      })
      .wait();
  // Every rank must have named the same ranks (the header compared only their number).
  const auto all = world().all_gather(members);
  for (int r = 1; r < size; ++r)
    NABLA_CHECK(all[r].to_vector<int64_t>() == all[0].to_vector<int64_t>(), "distributed::new_group: rank ", r,
                " asked for the ranks ", shape_str(all[r].to_vector<int64_t>()), " while rank 0 asked for ",
                shape_str(all[0].to_vector<int64_t>()), "; every rank must pass the same");
  return ProcessGroup(group);
}

void barrier() { world().barrier(); }
Work all_reduce(Tensor& tensor, ReduceOp op, bool async_op) { return world().all_reduce(tensor, op, async_op); }
Work broadcast(Tensor& tensor, int src, bool async_op) { return world().broadcast(tensor, src, async_op); }
std::vector<Tensor> all_gather(const Tensor& tensor) { return world().all_gather(tensor); }
std::vector<std::string> all_gather_string(const std::string& text) { return world().all_gather_string(text); }

void check_same_across_ranks(int64_t value, const std::string& what) {
  NABLA_CHECK(value >= 0, "distributed::check_same_across_ranks: ", what, " is a count, got ", value);
  Tensor extremes = from_vector(std::vector<int64_t>{value, -value}, {2});  // max of -value is -min
  all_reduce(extremes, ReduceOp::max);
  const auto v = extremes.to_vector<int64_t>();
  NABLA_CHECK(v[0] == -v[1], "distributed: the ranks disagree on ", what, ": from ", -v[1], " to ", v[0], " across ",
              world_size(), " ranks; every rank must give the same");
}

}  // namespace nabla::distributed
