#pragma once
/// @file
/// nn::DistributedDataParallel: data-parallel training over nabla::distributed, as torch's DDP. At construction
/// every rank's parameters and buffers are compared (names, shapes, dtypes, requires_grad: the same model
/// everywhere, or an error naming the first difference) and rank 0's are broadcast to every rank, frozen ones
/// included. During backward the gradients are grouped into buckets (reverse registration order, a small first
/// bucket, then up to bucket_cap_mb), and each bucket's all-reduce (average) starts as soon as its last gradient is
/// ready, while the rest of backward runs; the end of backward waits for all of them. The optimizer then steps on
/// the averaged gradients, the same on every rank.
///
/// @code
///   nn::DistributedDataParallel ddp(Net{});
///   loss = F::cross_entropy(ddp(x), y); loss.backward(); optimizer.step();   // optimizer over ddp.parameters()
/// @endcode
///
/// Ranks with different amounts of data (uneven inputs) train inside ddp.join(), as PyTorch's Join context:
///
/// @code
///   { auto join = ddp.join(); for (auto& batch : my_batches) { ... } }  // ranks out of data shadow the others
/// @endcode
/// @ingroup distributed
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "nabla/core/distributed.hpp"
#include "nabla/nn/module.hpp"

namespace nabla::nn {
/// @addtogroup distributed
/// @{

/// How a bucket of gradients travels (PyTorch's register_comm_hook with its default hooks).
enum class CommHook {
  allreduce,      ///< float32 all-reduce, then divided by the ranks (the default)
  bf16_compress,  ///< sent as bfloat16, half the bytes; partial sums in float32 (PyTorch's bf16_compress_hook)
};

/// The options of DistributedDataParallel, in PyTorch's order.
struct DistributedDataParallelOptions {
  /// gradients are all-reduced in buckets of about this many MB, each as soon as it is full
  double bucket_cap_mb = 25.0;
  /// the first bucket (the last layers' gradients) small, so its all-reduce starts early
  double first_bucket_mb = 1.0;
  bool broadcast_buffers = true;  ///< rank 0's buffers (BatchNorm statistics) to all ranks before each forward
  /// false: a parameter without a gradient in a backward is an error. true: a parameter no rank used keeps its
  /// gradient (undefined after zero_grad: optimizers skip it); one used on some ranks averages their gradients
  /// with zeros from the others.
  bool find_unused_parameters = false;
  distributed::ProcessGroup process_group;  ///< the ranks that train together (default: the world)
};

/// The options of DistributedDataParallel::join.
struct JoinOptions {
  /// true: gradients are divided by the group's size even when some ranks have joined (PyTorch's default);
  /// false: by the ranks still training.
  bool divide_by_initial_world_size = true;
};

namespace detail {
/// The gradient bookkeeping of one DistributedDataParallel (nn/parallel.cpp).
class Reducer;
std::shared_ptr<Reducer> make_reducer(Module& module, const DistributedDataParallelOptions& options);
void before_forward(Reducer& reducer);
void set_sync(Reducer& reducer, bool enabled);
void set_comm_hook(Reducer& reducer, CommHook hook);
void start_join(Reducer& reducer, const JoinOptions& options);
void finish_join(Reducer& reducer);
}  // namespace detail

/// torch.nn.parallel.DistributedDataParallel: the same model on every rank, gradients averaged during backward
/// (bucketed all-reduces overlapping it). Every rank starts from rank 0's parameters and buffers.
template <class M>
class DistributedDataParallel : public Layer<DistributedDataParallel<M>> {
 public:
  /// Wraps `module` (held as `module`): broadcasts rank 0's state, then hooks the gradients.
  explicit DistributedDataParallel(M module, const DistributedDataParallelOptions& options = {})
      : module(std::move(module)), reducer_(detail::make_reducer(this->module, options)) {
    this->register_module("module", this->module);
  }

  /// module.forward(args...), after the buffers' broadcast.
  template <class... Args>
  decltype(auto) forward(Args&&... args) {
    detail::before_forward(*reducer_);
    return module.forward(std::forward<Args>(args)...);
  }

  /// While the returned guard lives, backward only accumulates gradients locally (gradient accumulation); the
  /// first backward after it all-reduces what was accumulated.
  class NoSync {
   public:
    /// Pauses gradient synchronisation until destroyed.
    explicit NoSync(std::shared_ptr<detail::Reducer> reducer);
    ~NoSync();
    NoSync(const NoSync&) = delete;
    NoSync& operator=(const NoSync&) = delete;

   private:
    std::shared_ptr<detail::Reducer> reducer_;
  };
  /// A guard for gradient accumulation: model.no_sync().
  NoSync no_sync() { return NoSync(reducer_); }

  /// While the returned guard lives, this rank may run out of data before the others: when it ends, the rank
  /// shadows the others' collectives (its gradients zero) until every rank has ended its guard; then every rank
  /// takes the parameters of the rank that trained longest, so all end equal.
  class Join {
   public:
    /// Starts the join (see the class).
    Join(std::shared_ptr<detail::Reducer> reducer, const JoinOptions& options);
    ~Join() noexcept(false);
    Join(const Join&) = delete;
    Join& operator=(const Join&) = delete;

   private:
    std::shared_ptr<detail::Reducer> reducer_;
    int uncaught_;
  };
  /// A guard for uneven inputs: model.join().
  Join join(const JoinOptions& options = {}) { return Join(reducer_, options); }

  /// Sends gradients as the hook says (before the first backward; PyTorch's register_comm_hook).
  void register_comm_hook(CommHook hook) { detail::set_comm_hook(*reducer_, hook); }

  /// The gradient bookkeeping, for instrumentation (nn/parallel_timeline.h: benchmarks and tests).
  const detail::Reducer& reducer() const { return *reducer_; }

  M module;  ///< the wrapped model

 private:
  std::shared_ptr<detail::Reducer> reducer_;
};

template <class M>
DistributedDataParallel<M>::NoSync::NoSync(std::shared_ptr<detail::Reducer> reducer) : reducer_(std::move(reducer)) {
  detail::set_sync(*reducer_, false);
}

template <class M>
DistributedDataParallel<M>::NoSync::~NoSync() {
  detail::set_sync(*reducer_, true);
}

template <class M>
DistributedDataParallel<M>::Join::Join(std::shared_ptr<detail::Reducer> reducer, const JoinOptions& options)
    : reducer_(std::move(reducer)), uncaught_(std::uncaught_exceptions()) {
  detail::start_join(*reducer_, options);
}

template <class M>
DistributedDataParallel<M>::Join::~Join() noexcept(false) {
  if (std::uncaught_exceptions() == uncaught_) detail::finish_join(*reducer_);  // not while an error unwinds
}

/// @}
}  // namespace nabla::nn
