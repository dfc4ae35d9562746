#include "nabla/nn/parallel.hpp"

#include <algorithm>
#include <chrono>

#include "nabla/autograd/grad_mode.hpp"
#include "nabla/autograd/node.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/core/distributed.hpp"
#include "nn/parallel_timeline.h"

namespace nabla::nn::detail {

namespace dist = nabla::distributed;
using Clock = std::chrono::steady_clock;

class Reducer : public std::enable_shared_from_this<Reducer> {
 public:
  Reducer(Module& module, const DistributedDataParallelOptions& options) : options_(options) {
    for (const auto& [name, p] : module.named_parameters())
      if (p.defined() && p.requires_grad()) names_.push_back(name), params_.push_back(p);
    for (const auto& [name, b] : module.named_buffers()) buffers_.push_back(b);
    check_same_model_everywhere();
    {
      NoGradGuard no_grad;
      for (Tensor& p : params_) dist::broadcast(p, 0);
      for (Tensor& b : buffers_) dist::broadcast(b, 0);
    }
    make_buckets();
  }

  ~Reducer() {
    for (auto& handle : hooks_) handle.remove();
  }

  void register_hooks() {
    for (size_t i = 0; i < params_.size(); ++i)
      hooks_.push_back(params_[i].register_post_accumulate_grad_hook([weak = weak_from_this(), i](const Tensor&) {
        if (const auto self = weak.lock()) self->on_ready(i);
      }));
  }

  void before_forward() {
    if (in_backward_) {  // the last backward ended early (it threw): let its collectives finish, start afresh
      for (size_t k = 0; k < next_to_launch_; ++k) buckets_[k].work.wait();
      in_backward_ = false;
    }
    if (!options_.broadcast_buffers || buffers_.empty() || dist::world_size() == 1) return;
    NoGradGuard no_grad;
    for (Tensor& b : buffers_) dist::broadcast(b, 0);
  }

  void set_sync(bool enabled) { sync_ = enabled; }
  const ReducerTimeline& timeline() const { return timeline_; }
  size_t num_buckets() const { return buckets_.size(); }

 private:
  struct Bucket {
    std::vector<size_t> params;
    std::vector<int64_t> offsets;  // of each parameter's gradient in `flat`
    int64_t numel = 0;
    size_t pending = 0;
    Tensor flat;
    dist::Work work;
  };

  // Every rank must hold the same parameters: compare counts, sizes and shapes with rank 0's.
  void check_same_model_everywhere() {
    int64_t elements = 0;
    uint64_t shape_code = 0;  // a fingerprint of every shape, in order (unsigned: it may wrap)
    for (const Tensor& p : params_) {
      elements += p.numel();
      for (int64_t d : p.shape()) shape_code = shape_code * 31 + static_cast<uint64_t>(d);
    }
    const Tensor mine =
        from_vector(std::vector<int64_t>{static_cast<int64_t>(params_.size()), elements,
                                         static_cast<int64_t>(shape_code >> 1), static_cast<int64_t>(buffers_.size())},
                    {4});
    const auto all = dist::all_gather(mine);
    const auto first = all[0].to_vector<int64_t>();
    for (size_t r = 1; r < all.size(); ++r) {
      const auto other = all[r].to_vector<int64_t>();
      NABLA_CHECK(other == first, "DistributedDataParallel: the model on rank ", r, " differs from rank 0's (",
                  other[0], " parameters with ", other[1], " elements and ", other[3], " buffers, against ", first[0],
                  " with ", first[1], " and ", first[3], ", or other shapes); every rank must build the same model");
    }
  }

  // Reverse registration order (the order backward produces gradients), a small first bucket, then bucket_cap_mb.
  void make_buckets() {
    const auto cap = [&](bool first) {
      return static_cast<int64_t>((first ? options_.first_bucket_mb : options_.bucket_cap_mb) * 1024 * 1024 / 4);
    };
    bucket_of_.assign(params_.size(), 0);
    for (size_t k = params_.size(); k-- > 0;) {
      if (buckets_.empty() || buckets_.back().numel >= cap(buckets_.size() == 1)) buckets_.emplace_back();
      Bucket& b = buckets_.back();
      b.offsets.push_back(b.numel);
      b.params.push_back(k);
      b.numel += params_[k].numel();
      bucket_of_[k] = buckets_.size() - 1;
    }
  }

  void start_backward() {
    ready_.assign(params_.size(), false);
    for (Bucket& b : buckets_) b.pending = b.params.size();
    next_to_launch_ = 0;
    ready_count_ = 0;
    started_ = Clock::now();
    timeline_ = {};
    timeline_.num_params = params_.size();
    autograd::queue_callback([weak = weak_from_this()] {
      if (const auto self = weak.lock()) self->finish_backward();
    });
    in_backward_ = true;
  }

  void on_ready(size_t i) {
    if (!sync_) return;
    if (!in_backward_) start_backward();
    if (ready_[i]) return;
    ready_[i] = true;
    ++ready_count_;
    --buckets_[bucket_of_[i]].pending;
    launch_ready_buckets();
  }

  // Buckets start in index order on every rank (collectives must match across ranks), each once complete.
  void launch_ready_buckets() {
    while (next_to_launch_ < buckets_.size() && buckets_[next_to_launch_].pending == 0) {
      Bucket& b = buckets_[next_to_launch_++];
      b.flat = empty({b.numel});
      {
        NoGradGuard no_grad;
        for (size_t j = 0; j < b.params.size(); ++j) {
          const Tensor& p = params_[b.params[j]];
          b.flat.narrow(0, b.offsets[j], p.numel()).copy_(p.grad().reshape({-1}));
        }
      }
      timeline_.bucket_started_ms.push_back(since_start());
      timeline_.bucket_started_ready.push_back(ready_count_);
      b.work = dist::all_reduce(b.flat, dist::ReduceOp::average, /*async_op=*/true);
    }
  }

  void finish_backward() {
    in_backward_ = false;
    timeline_.backward_ended_ms = since_start();
    std::vector<std::string> unused;
    for (size_t i = 0; i < params_.size(); ++i) {
      if (ready_[i]) continue;
      if (!options_.find_unused_parameters) {
        unused.push_back(names_[i]);
        continue;
      }
      if (!params_[i].grad().defined()) params_[i].set_grad(zeros(params_[i].shape()));
      ready_[i] = true;
      --buckets_[bucket_of_[i]].pending;
    }
    if (!unused.empty()) {
      std::string list;
      for (const auto& n : unused) list += (list.empty() ? "" : ", ") + n;
      for (size_t k = 0; k < next_to_launch_; ++k) buckets_[k].work.wait();  // leave no collective half-done
      throw Error("DistributedDataParallel: parameters received no gradient in this backward: " + list +
                  ". Every parameter must take part in the loss on every rank; if some do not, construct with "
                  "{.find_unused_parameters = true}");
    }
    launch_ready_buckets();
    for (Bucket& b : buckets_) {
      b.work.wait();
      for (size_t j = 0; j < b.params.size(); ++j) {
        const Tensor& p = params_[b.params[j]];
        p.set_grad(b.flat.narrow(0, b.offsets[j], p.numel()).view(p.shape()));  // the average, as p's gradient
      }
    }
    timeline_.reduced_ms = since_start();
  }

  double since_start() const { return std::chrono::duration<double, std::milli>(Clock::now() - started_).count(); }

  DistributedDataParallelOptions options_;
  std::vector<std::string> names_;
  std::vector<Tensor> params_, buffers_;
  std::vector<Bucket> buckets_;
  std::vector<size_t> bucket_of_;
  std::vector<bool> ready_;
  std::vector<RemovableHandle> hooks_;
  size_t next_to_launch_ = 0, ready_count_ = 0;
  bool sync_ = true, in_backward_ = false;
  Clock::time_point started_;
  ReducerTimeline timeline_;
};

std::shared_ptr<Reducer> make_reducer(Module& module, const DistributedDataParallelOptions& options) {
  auto reducer = std::make_shared<Reducer>(module, options);
  // With one process there is nothing to average: no hooks, no cost. Else the hooks hold a weak_ptr to it.
  if (dist::world_size() > 1) reducer->register_hooks();
  return reducer;
}

void before_forward(Reducer& reducer) { reducer.before_forward(); }
void set_sync(Reducer& reducer, bool enabled) { reducer.set_sync(enabled); }
const ReducerTimeline& timeline_of(const Reducer& reducer) { return reducer.timeline(); }
size_t buckets_of(const Reducer& reducer) { return reducer.num_buckets(); }

}  // namespace nabla::nn::detail
