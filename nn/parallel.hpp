#pragma once
// nn::DistributedDataParallel: data-parallel training over nabla::distributed, as torch's DDP. At construction
// rank 0's parameters and buffers are broadcast to every rank (after checking that every rank built the same
// model). During backward the gradients are grouped into buckets (reverse registration order, a small first
// bucket, then up to bucket_cap_mb), and each bucket's all-reduce (average) starts as soon as its last gradient is
// ready, while the rest of backward runs; the end of backward waits for all of them. The optimizer then steps on
// the averaged gradients, the same on every rank.
//
//   nn::DistributedDataParallel ddp(Net{});
//   loss = F::cross_entropy(ddp(x), y); loss.backward(); optimizer.step();   // optimizer over ddp.parameters()
#include <memory>
#include <string>
#include <vector>

#include "nabla/nn/module.hpp"

namespace nabla::nn {

struct DistributedDataParallelOptions {
  double bucket_cap_mb = 25.0;
  double first_bucket_mb = 1.0;   // the first bucket (the last layers' gradients) small, so its all-reduce starts early
  bool broadcast_buffers = true;  // rank 0's buffers (BatchNorm statistics) to all ranks before each forward
  bool find_unused_parameters = false;  // false: a parameter without a gradient in a backward is an error
};

namespace detail {
// The gradient bookkeeping of one DistributedDataParallel (nn/parallel.cpp).
class Reducer;
std::shared_ptr<Reducer> make_reducer(Module& module, const DistributedDataParallelOptions& options);
void before_forward(Reducer& reducer);
void set_sync(Reducer& reducer, bool enabled);
}  // namespace detail

template <class M>
class DistributedDataParallel : public Layer<DistributedDataParallel<M>> {
 public:
  explicit DistributedDataParallel(M module, const DistributedDataParallelOptions& options = {})
      : module(std::move(module)), reducer_(detail::make_reducer(this->module, options)) {
    this->register_module("module", this->module);
  }

  template <class... Args>
  decltype(auto) forward(Args&&... args) {
    detail::before_forward(*reducer_);
    return module.forward(std::forward<Args>(args)...);
  }

  // While the returned guard lives, backward only accumulates gradients locally (gradient accumulation); the
  // first backward after it all-reduces what was accumulated.
  class NoSync {
   public:
    explicit NoSync(std::shared_ptr<detail::Reducer> reducer);
    ~NoSync();
    NoSync(const NoSync&) = delete;
    NoSync& operator=(const NoSync&) = delete;

   private:
    std::shared_ptr<detail::Reducer> reducer_;
  };
  NoSync no_sync() { return NoSync(reducer_); }

  // The gradient bookkeeping, for instrumentation (nn/parallel_timeline.h: benchmarks and tests).
  const detail::Reducer& reducer() const { return *reducer_; }

  M module;

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

}  // namespace nabla::nn
