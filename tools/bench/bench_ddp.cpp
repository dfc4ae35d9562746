// Data-parallel costs on the MNIST network (tools/bench/ddp.py runs it in its configurations):
//   bench_ddp step --global-batch 64 [--plain]   images/s of the training step; under mpirun each of the N ranks
//                                                takes global/N images; --plain: no DistributedDataParallel
//   bench_ddp allreduce                          the all-reduce of the network's 1.2 M gradients (float32)
//   bench_ddp latency                            the time of an all-reduce of one float (what a header adds)
//   --no-check: without the collectives' header check (what it costs); --bf16: gradients sent as bfloat16
// Prints "key=value" lines from rank 0.
#include <CLI/CLI.hpp>
#include <nabla/nabla.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "mnist/net.hpp"
#include "core/distributed.h"      // private: the header check's switch
#include "nn/parallel_timeline.h"  // private instrumentation

using namespace nabla;
namespace dist = nabla::distributed;
using Clock = std::chrono::steady_clock;

namespace {
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"DistributedDataParallel costs on the MNIST network."};
  std::string what;
  int64_t global_batch = 64;
  int steps = 60, warmup = 10;
  bool plain = false, no_check = false, bf16 = false;
  app.add_option("what", what, "step, allreduce or latency")->required();
  app.add_option("--global-batch", global_batch);
  app.add_option("--steps", steps);
  app.add_option("--warmup", warmup);
  app.add_flag("--plain", plain, "train without DistributedDataParallel (one process)");
  app.add_flag("--no-check", no_check, "collectives without their header check");
  app.add_flag("--bf16", bf16, "gradients sent as bfloat16 (CommHook::bf16_compress)");
  CLI11_PARSE(app, argc, argv);
  dist::Session session;
  dist::detail::set_collective_checks(!no_check);
  const int rank = dist::rank(), ranks = dist::world_size();
  manual_seed(1);
  Net model;
  if (what == "latency") {
    Tensor one = ones({1});
    std::vector<double> times;
    for (int i = 0; i < 100 * (warmup + steps); ++i) {
      const auto start = Clock::now();
      dist::all_reduce(one);
      if (i >= 100 * warmup) times.push_back(ms_since(start));
    }
    if (rank == 0) std::printf("ranks=%d latency_us=%.2f\n", ranks, median(times) * 1000);
    return 0;
  }
  if (what == "allreduce") {
    Tensor flat = randn({model.num_parameters()});
    std::vector<double> times;
    for (int i = 0; i < warmup + steps; ++i) {
      dist::barrier();
      const auto start = Clock::now();
      if (bf16)
        dist::world().all_reduce_bf16(flat);
      else
        dist::all_reduce(flat, dist::ReduceOp::average);
      if (i >= warmup) times.push_back(ms_since(start));
    }
    const double ms = median(times), bytes = (bf16 ? 2.0 : 4.0) * static_cast<double>(flat.numel());
    if (rank == 0)
      std::printf("ranks=%d elements=%lld bytes=%.0f allreduce_ms=%.3f algbw_GBps=%.2f busbw_GBps=%.2f\n", ranks,
                  static_cast<long long>(flat.numel()), bytes, ms, bytes / ms / 1e6,
                  bytes / ms / 1e6 * 2 * (ranks - 1) / ranks);
    return 0;
  }
  const int64_t batch = global_batch / ranks;
  const Tensor x = randn({batch, 1, 28, 28}), y = randint(0, 10, {batch});
  nn::DistributedDataParallel ddp(model);
  if (bf16) ddp.register_comm_hook(nn::CommHook::bf16_compress);
  optim::Adam optimizer(model.parameters(), {.lr = 1e-3});
  std::vector<double> step_ms, exposed_ms, backward_ms;
  for (int i = 0; i < warmup + steps; ++i) {
    const auto start = Clock::now();
    optimizer.zero_grad();
    const Tensor loss = F::nll_loss(plain ? model(x) : ddp(x), y);
    loss.backward();
    optimizer.step();
    if (i < warmup) continue;
    step_ms.push_back(ms_since(start));
    const auto& t = nn::detail::timeline_of(ddp.reducer());
    if (!plain && ranks > 1) {
      backward_ms.push_back(t.backward_ended_ms);
      // Exposed: from the end of backward to when the averaged gradients were in place (the waits).
      exposed_ms.push_back(t.reduced_ms - t.backward_ended_ms);
    }
  }
  if (rank == 0) {
    std::printf("ranks=%d threads=%d global_batch=%lld step_ms=%.2f images_per_s=%.0f", ranks, get_num_threads(),
                static_cast<long long>(batch * ranks), median(step_ms),
                static_cast<double>(batch * ranks) / median(step_ms) * 1000);
    if (!exposed_ms.empty())
      std::printf(" backward_from_first_ready_ms=%.2f exposed_allreduce_ms=%.2f", median(backward_ms),
                  median(exposed_ms));
    std::printf("\n");
  }
  return 0;
}
