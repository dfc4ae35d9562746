// Batch norm over a process group's whole batch: each statistic is a sum over the ranks (a differentiable
// all-reduce: its backward all-reduces the gradients), so the gradient through the mean and variance is the one
// of a single process on the whole batch, as PyTorch's SyncBatchNorm (which all-reduces sum_dy and sum_dy_xmu).
#include "nabla/ops/sync_batch_norm.hpp"

#include "nabla/autograd/grad_mode.hpp"
#include "nabla/autograd/node.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/reduction.hpp"

namespace nabla {

using autograd::Grads;
using autograd::Needs;

namespace {

// The sum of t over the group's ranks. Backward: the sum of the ranks' gradients (each rank's statistics feed
// every rank's loss).
Tensor all_reduce_sum(const Tensor& t, const distributed::ProcessGroup& group) {
  Tensor out = t.detach().contiguous().clone();
  {
    distributed::CollectiveName what("SyncBatchNorm statistics");
    group.all_reduce(out);
  }
  return autograd::record("AllReduceBackward", out, {t}, [group](const Tensor& g, const Needs&) {
    Tensor summed = g.contiguous().clone();
    distributed::CollectiveName what("SyncBatchNorm gradients");
    group.all_reduce(summed);
    return Grads{summed};
  });
}

}  // namespace

Tensor sync_batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                       const BatchNormFuncOptions& options, const distributed::ProcessGroup& group) {
  NABLA_CHECK(input.defined() && input.dim() >= 2, "SyncBatchNorm: expected at least 2D input (got ",
              input.defined() ? input.dim() : 0, "D input)");
  const int64_t channels = input.size(1);
  Shape dims{0}, per_channel(static_cast<size_t>(input.dim()), 1);
  for (int64_t d = 2; d < input.dim(); ++d) dims.push_back(d);
  per_channel[1] = channels;
  Tensor count = from_vector(std::vector<int64_t>{channels > 0 ? input.numel() / channels : 0}, {1});
  {
    distributed::CollectiveName what("SyncBatchNorm batch size");
    group.all_reduce(count);
  }
  const int64_t n = count.item<int64_t>();
  NABLA_CHECK(n > 1, "SyncBatchNorm: Expected more than 1 value per channel when training, got ", n,
              " over the group's ranks (input size ", shape_str(input.shape()), " here)");
  const double inverse_n = 1.0 / static_cast<double>(n);
  const Tensor mean = all_reduce_sum(sum(input, dims), group) * inverse_n;
  const Tensor centered = input - mean.reshape(per_channel);
  const Tensor var = all_reduce_sum(sum(centered * centered, dims), group) * inverse_n;  // biased, as batch_norm
  Tensor out = centered * pow(var + options.eps, -0.5).reshape(per_channel);
  if (options.weight.defined()) out = out * options.weight.reshape(per_channel);
  if (options.bias.defined()) out = out + options.bias.reshape(per_channel);
  if (running_mean.defined()) {
    NoGradGuard no_grad;
    const double m = options.momentum;
    Tensor running_mean_handle = running_mean, running_var_handle = running_var;  // handles: the same storage
    running_mean_handle.copy_(running_mean * (1 - m) + mean * m);
    running_var_handle.copy_(running_var * (1 - m) + var * (m * static_cast<double>(n) / static_cast<double>(n - 1)));
  }
  return out;
}

}  // namespace nabla
