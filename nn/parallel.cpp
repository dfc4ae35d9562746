#include "nabla/nn/parallel.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <tuple>

#include "nabla/autograd/grad_mode.hpp"
#include "nabla/autograd/node.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nn/parallel_timeline.h"

namespace nabla::nn::detail {

namespace dist = nabla::distributed;
using Clock = std::chrono::steady_clock;

namespace {
// What every rank must agree on about one parameter or buffer.
std::string signature(const std::string& kind, const std::string& name, const Tensor& t) {
  return kind + " " + name + " " + shape_str(t.shape()) + " " + dtype_name(t.dtype()) +
         (kind == "parameter" ? (t.requires_grad() ? " requires_grad" : " frozen") : "");
}
}  // namespace

class Reducer : public std::enable_shared_from_this<Reducer> {
 public:
  Reducer(Module& module, const DistributedDataParallelOptions& options)
      : options_(options), group_(options.process_group) {
    for (const auto& [name, p] : module.named_parameters()) {
      NABLA_CHECK(p.defined(),
                  "DistributedDataParallel: Modules with uninitialized parameters can't be used with "
                  "`DistributedDataParallel`. Run a dummy forward pass to correctly initialize the modules (",
                  name, " is uninitialized)");
      signatures_.push_back(signature("parameter", name, p));
      synced_.push_back(p);
      if (p.requires_grad()) names_.push_back(name), params_.push_back(p);
    }
    for (const auto& [name, b] : module.named_buffers()) {
      signatures_.push_back(signature("buffer", name, b));
      synced_.push_back(b), buffers_.push_back(b);
    }
    check_same_model_everywhere();
    {
      NoGradGuard no_grad;
      dist::CollectiveName what("DDP construction: rank 0's parameters and buffers");
      for (Tensor& t : synced_) group_.broadcast(t, group_.ranks()[0]);
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
    if (group_.size() == 1) return;
    if (joining_) {
      divisor_ = static_cast<double>(count_training_ranks(1));
      ++steps_trained_;
    }
    broadcast_buffers();
  }

  void set_sync(bool enabled) { sync_ = enabled; }
  void set_comm_hook(CommHook hook) {
    NABLA_CHECK(steps_ == 0,
                "DistributedDataParallel::register_comm_hook: register the hook before the first "
                "backward (it must be the same on every rank from the start)");
    hook_ = hook;
  }

  void start_join(const JoinOptions& options) {
    NABLA_CHECK(!joining_, "DistributedDataParallel::join: already inside a join()");
    joining_ = true;
    join_options_ = options;
    steps_trained_ = 0;
  }

  // This rank is out of data: until every rank is, mirror each step of those still training (their join count,
  // buffer broadcasts, gradient buckets and unused-parameter map) with zeros. Then all take the parameters and
  // buffers of the rank that trained longest.
  void finish_join() {
    joining_ = false;
    if (group_.size() == 1) return;
    NoGradGuard no_grad;
    while (count_training_ranks(0) > 0) {
      broadcast_buffers();
      for (size_t k = 0; k < buckets_.size(); ++k) {
        Tensor zeros_like_bucket = zeros({buckets_[k].numel});
        reduce(zeros_like_bucket, k).wait();
      }
      if (options_.find_unused_parameters) reduce_used_map(zeros({static_cast<int64_t>(params_.size())}, kInt64));
    }
    // The rank with the most steps (the highest such rank on a tie) holds the model every rank keeps.
    Tensor longest = from_vector(std::vector<int64_t>{steps_trained_ * group_.size() + group_.rank()}, {1});
    {
      dist::CollectiveName what("DDP join: the rank that trained longest");
      group_.all_reduce(longest, dist::ReduceOp::max);
    }
    const int source = group_.ranks()[static_cast<size_t>(longest.item<int64_t>() % group_.size())];
    dist::CollectiveName what("DDP join: the final model from rank " + std::to_string(source));
    for (Tensor& t : synced_) group_.broadcast(t, source);
  }

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

  // Every rank must hold the same parameters and buffers: the count, then each entry's signature (name, shape,
  // dtype, requires_grad) by hash, then the first entry that differs in words on both sides.
  void check_same_model_everywhere() {
    const auto first_difference = [&](const Tensor& mine) {
      const auto all = group_.all_gather(mine);
      for (size_t r = 1; r < all.size(); ++r) {
        const auto theirs = all[r].to_vector<int64_t>(), ours = all[0].to_vector<int64_t>();
        for (size_t i = 0; i < ours.size(); ++i)
          if (theirs[i] != ours[i]) return std::make_tuple(static_cast<int>(r), static_cast<int64_t>(i), all);
      }
      return std::make_tuple(0, int64_t{-1}, all);
    };
    dist::CollectiveName what("DDP construction: the model's signature");
    const Tensor counts = from_vector(std::vector<int64_t>{static_cast<int64_t>(synced_.size() - buffers_.size()),
                                                           static_cast<int64_t>(buffers_.size())},
                                      {2});
    if (const auto [r, i, all] = first_difference(counts); i >= 0) {
      const auto theirs = all[r].to_vector<int64_t>(), ours = all[0].to_vector<int64_t>();
      throw Error("DistributedDataParallel: the model on rank " + std::to_string(group_.ranks()[r]) +
                  " differs from rank " + std::to_string(group_.ranks()[0]) + "'s: " + std::to_string(theirs[0]) +
                  " parameters and " + std::to_string(theirs[1]) + " buffers against " + std::to_string(ours[0]) +
                  " and " + std::to_string(ours[1]) + "; every rank must build the same model");
    }
    std::vector<int64_t> hashes;
    for (const auto& s : signatures_) hashes.push_back(static_cast<int64_t>(std::hash<std::string>{}(s)));
    const auto [r, i, all] = first_difference(from_vector(hashes, {static_cast<int64_t>(hashes.size())}));
    if (i < 0) return;
    // Every rank knows which entry differs: gather its words from all.
    const auto words = group_.all_gather_string(signatures_[static_cast<size_t>(i)]);
    throw Error("DistributedDataParallel: the model on rank " + std::to_string(group_.ranks()[r]) +
                " differs from rank " + std::to_string(group_.ranks()[0]) + "'s: " + words[r] + " against " +
                words[0] + "; every rank must build the same model");
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

  // The ranks still training (each adds `training`, 1 or 0): paired with the same call on every rank of the group.
  int64_t count_training_ranks(int64_t training) {
    Tensor count = from_vector(std::vector<int64_t>{training}, {1});
    dist::CollectiveName what("DDP join: ranks still training");
    group_.all_reduce(count);
    return count.item<int64_t>();
  }

  void broadcast_buffers() {
    if (!options_.broadcast_buffers || buffers_.empty()) return;
    NoGradGuard no_grad;
    dist::CollectiveName what("DDP step " + std::to_string(steps_) + ": rank 0's buffers");
    for (Tensor& b : buffers_) group_.broadcast(b, group_.ranks()[0]);
  }

  // Sums bucket k's gradients over the ranks (as the hook sends them); the caller divides.
  dist::Work reduce(Tensor& flat, size_t k) {
    dist::CollectiveName what("DDP step " + std::to_string(steps_) + ", bucket " + std::to_string(k + 1) + " of " +
                              std::to_string(buckets_.size()));
    if (hook_ == CommHook::bf16_compress) return group_.all_reduce_bf16(flat, /*async_op=*/true);
    return group_.all_reduce(flat, dist::ReduceOp::sum, /*async_op=*/true);
  }

  Tensor reduce_used_map(Tensor used) {
    dist::CollectiveName what("DDP step " + std::to_string(steps_) + ": which parameters were used");
    group_.all_reduce(used);
    return used;
  }

  void start_backward() {
    ready_.assign(params_.size(), false);
    for (Bucket& b : buckets_) b.pending = b.params.size();
    next_to_launch_ = 0;
    ready_count_ = 0;
    started_ = Clock::now();
    timeline_ = {};
    timeline_.num_params = params_.size();
    if (!joining_ || join_options_.divide_by_initial_world_size) divisor_ = group_.size();
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
      const size_t k = next_to_launch_++;
      Bucket& b = buckets_[k];
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
      b.work = reduce(b.flat, k);
    }
  }

  void finish_backward() {
    in_backward_ = false;
    timeline_.backward_ended_ms = since_start();
    std::vector<std::string> unused;
    std::vector<Tensor> grad_before(params_.size());  // of the parameters this rank did not use
    std::vector<int64_t> used(ready_.begin(), ready_.end());
    for (size_t i = 0; i < params_.size(); ++i) {
      if (ready_[i]) continue;
      if (!options_.find_unused_parameters) {
        unused.push_back(names_[i]);
        continue;
      }
      grad_before[i] = params_[i].grad();
      if (!grad_before[i].defined()) params_[i].set_grad(zeros(params_[i].shape()));
      ready_[i] = true;
      --buckets_[bucket_of_[i]].pending;
    }
    if (!unused.empty()) {
      std::string list;
      for (const auto& n : unused) list += (list.empty() ? "" : ", ") + n;
      for (size_t k = 0; k < next_to_launch_; ++k) buckets_[k].work.wait();  // leave no collective half-done
      ++steps_;
      throw Error("DistributedDataParallel: parameters received no gradient in this backward: " + list +
                  ". Every parameter must take part in the loss on every rank; if some do not, construct with "
                  "{.find_unused_parameters = true}");
    }
    launch_ready_buckets();
    Tensor used_anywhere;
    if (options_.find_unused_parameters) {
      used_anywhere = reduce_used_map(from_vector(used, {static_cast<int64_t>(used.size())}));
    }
    // bf16_compress averages over the group's size already; rescale when dividing by the ranks still training.
    const double scale = hook_ == CommHook::bf16_compress ? group_.size() / divisor_ : 1.0 / divisor_;
    const std::vector<int64_t> used_by_some =
        used_anywhere.defined() ? used_anywhere.to_vector<int64_t>() : std::vector<int64_t>{};
    for (Bucket& b : buckets_) {
      b.work.wait();
      if (scale != 1.0) b.flat = b.flat * scale;
      for (size_t j = 0; j < b.params.size(); ++j) {
        const size_t i = b.params[j];
        const Tensor& p = params_[i];
        if (!used_by_some.empty() && used_by_some[i] == 0) {
          p.set_grad(grad_before[i]);  // no rank used it: as PyTorch, its gradient stays as it was (undefined)
          continue;
        }
        p.set_grad(b.flat.narrow(0, b.offsets[j], p.numel()).view(p.shape()));  // the average, as p's gradient
      }
    }
    ++steps_;
    timeline_.reduced_ms = since_start();
  }

  double since_start() const { return std::chrono::duration<double, std::milli>(Clock::now() - started_).count(); }

  DistributedDataParallelOptions options_;
  dist::ProcessGroup group_;
  std::vector<std::string> names_, signatures_;
  std::vector<Tensor> params_, buffers_, synced_;  // synced_: every parameter (frozen too) and buffer
  std::vector<Bucket> buckets_;
  std::vector<size_t> bucket_of_;
  std::vector<bool> ready_;
  std::vector<RemovableHandle> hooks_;
  size_t next_to_launch_ = 0, ready_count_ = 0;
  int64_t steps_ = 0, steps_trained_ = 0;
  double divisor_ = 1;
  bool sync_ = true, in_backward_ = false, joining_ = false;
  CommHook hook_ = CommHook::allreduce;
  JoinOptions join_options_;
  Clock::time_point started_;
  ReducerTimeline timeline_;
};

std::shared_ptr<Reducer> make_reducer(Module& module, const DistributedDataParallelOptions& options) {
  auto reducer = std::make_shared<Reducer>(module, options);
  // With one process there is nothing to average: no hooks, no cost. Else the hooks hold a weak_ptr to it.
  if (options.process_group.size() > 1) reducer->register_hooks();
  return reducer;
}

void before_forward(Reducer& reducer) { reducer.before_forward(); }
void set_sync(Reducer& reducer, bool enabled) { reducer.set_sync(enabled); }
void set_comm_hook(Reducer& reducer, CommHook hook) { reducer.set_comm_hook(hook); }
void start_join(Reducer& reducer, const JoinOptions& options) { reducer.start_join(options); }
void finish_join(Reducer& reducer) { reducer.finish_join(); }
const ReducerTimeline& timeline_of(const Reducer& reducer) { return reducer.timeline(); }
size_t buckets_of(const Reducer& reducer) { return reducer.num_buckets(); }

}  // namespace nabla::nn::detail
