// nabla::distributed and nn::DistributedDataParallel, run by ctest under `mpirun -np 2` and `-np 4`: every rank
// runs every case; collectives are checked against the serial answer, DDP against one process training on the
// whole batch.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <nabla/nabla.hpp>

#include "mnist/net.hpp"
#include "nn/parallel_timeline.h"  // private instrumentation

using namespace nabla;
namespace dist = nabla::distributed;

int main(int argc, char** argv) {
  dist::Session session;
  doctest::Context context(argc, argv);
  const int failures = context.run();
  dist::barrier();  // no rank leaves while another still runs collectives
  return failures == 0 ? 0 : 1;
}

namespace {
int rank() { return dist::rank(); }
int world() { return dist::world_size(); }

// This rank's contribution: scale · (rank + 1) everywhere (their serial sum is scale · W(W+1)/2).
Tensor ranks_values(const Shape& shape, double scale) { return full(shape, scale * (rank() + 1)); }

double max_abs_diff(const Tensor& a, const Tensor& b) {
  const auto x = a.to_vector<float>(), y = b.to_vector<float>();
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, static_cast<double>(std::fabs(x[i] - y[i])));
  return m;
}
}  // namespace

TEST_CASE("the job has the world mpirun started, with serialized thread support") {
  CHECK(dist::is_available());
  CHECK(world() >= 2);
  CHECK(rank() < world());
  CHECK(dist::threading_level() != "MPI_THREAD_SINGLE");
}

TEST_CASE("all_reduce: sum, average and max of float32 and int64, synchronous and asynchronous") {
  const double w = world(), serial_sum = w * (w + 1) / 2;
  Tensor f = ranks_values({3, 5}, 1.5);
  dist::all_reduce(f);
  CHECK(f.to_vector<float>() == std::vector<float>(15, static_cast<float>(1.5 * serial_sum)));
  Tensor avg = ranks_values({7}, 1.0);
  dist::all_reduce(avg, dist::ReduceOp::average);
  CHECK(avg.to_vector<float>()[0] == doctest::Approx(serial_sum / w));
  Tensor i = full({4}, rank() * 10 + 1, kInt64);
  dist::all_reduce(i, dist::ReduceOp::max);
  CHECK(i.to_vector<int64_t>() == std::vector<int64_t>(4, (world() - 1) * 10 + 1));
  Tensor isum = full({2}, rank() + 1, kInt64);
  dist::Work work = dist::all_reduce(isum, dist::ReduceOp::sum, /*async_op=*/true);
  const Tensor busy = randn({256, 256}).matmul(randn({256, 256}));  // work while it runs
  work.wait();
  CHECK(work.is_completed());
  CHECK(isum.to_vector<int64_t>() == std::vector<int64_t>(2, static_cast<int64_t>(serial_sum)));
  Tensor bad = full({2}, 1, kInt64);
  CHECK_THROWS_WITH_AS(dist::all_reduce(bad, dist::ReduceOp::average), doctest::Contains("average needs a float32"),
                       Error);
}

TEST_CASE("broadcast and all_gather of every dtype") {
  const int src = world() - 1;
  Tensor f = full({3}, rank() == src ? 7.5 : 0.0);
  dist::broadcast(f, src);
  CHECK(f.to_vector<float>() == std::vector<float>{7.5, 7.5, 7.5});
  Tensor i = full({2, 2}, rank() == src ? 42 : -1, kInt64);
  dist::broadcast(i, src, /*async_op=*/true).wait();
  CHECK(i.to_vector<int64_t>() == std::vector<int64_t>(4, 42));
  Tensor b = from_vector(std::vector<bool>{rank() == src, false}, {2});
  dist::broadcast(b, src);
  CHECK(b.to_vector<bool>() == std::vector<bool>{true, false});
  const auto gathered = dist::all_gather(full({2}, rank(), kInt64));
  REQUIRE(gathered.size() == static_cast<size_t>(world()));
  for (int r = 0; r < world(); ++r) CHECK(gathered[r].to_vector<int64_t>() == std::vector<int64_t>{r, r});
  CHECK_THROWS_WITH_AS(dist::broadcast(f, world()), doctest::Contains("is not a rank of this job"), Error);
}

namespace {
// The serial run: one process, the whole batch of 64, SGD with momentum, 20 steps.
struct Recipe {
  Tensor x, y;
  Recipe() {
    manual_seed(2);
    x = randn({64, 1, 28, 28});
    y = randint(0, 10, {64});
  }
  Tensor shard(const Tensor& t, int64_t part, int64_t parts) const {
    const int64_t n = t.size(0) / parts;
    return t.narrow(0, part * n, n);
  }
};
}  // namespace

TEST_CASE("DistributedDataParallel: ranks on equal shards end with the weights of one process on the whole batch") {
  const Recipe data;
  manual_seed(1 + rank());  // different initial weights on every rank: construction broadcasts rank 0's
  nn::DistributedDataParallel ddp(Net{}, {.bucket_cap_mb = 1.0, .first_bucket_mb = 0.05});
  ddp.eval();  // dropout off
  Net serial;
  serial.load_state_dict(ddp.module.state_dict());
  serial.eval();
  optim::SGD a(ddp.parameters(), {.lr = 0.05, .momentum = 0.9}), b(serial.parameters(), {.lr = 0.05, .momentum = 0.9});
  for (int step = 0; step < 20; ++step) {
    a.zero_grad();
    F::nll_loss(ddp(data.shard(data.x, rank(), world())), data.shard(data.y, rank(), world())).backward();
    a.step();
    b.zero_grad();
    F::nll_loss(serial(data.x), data.y).backward();
    b.step();
  }
  // In reverse order: fc2's and fc1's parameters (1,181,066 floats) fill the first bucket, since it held 1,418 (fewer
  // than first_bucket_mb's 13,107) when fc1.weight came; conv2's and conv1's (18,816) fit in a second of 1 MB.
  CHECK(nn::detail::buckets_of(ddp.reducer()) == 2);
  const auto mine = ddp.module.state_dict(), reference = serial.state_dict();
  for (const auto& [name, t] : mine) {
    const std::string key = name;  // a copy: clang before 16 cannot capture a structured binding
    CAPTURE(key);
    CHECK(max_abs_diff(t, *reference.find(key)) < 2e-4);
  }
}

TEST_CASE("no_sync accumulates locally; the next backward averages what was accumulated") {
  const Recipe data;
  manual_seed(1);
  nn::DistributedDataParallel ddp(Net{});
  ddp.eval();
  Net serial;
  serial.load_state_dict(ddp.module.state_dict());
  serial.eval();
  optim::SGD a(ddp.parameters(), {.lr = 0.05}), b(serial.parameters(), {.lr = 0.05});
  const Tensor x = data.shard(data.x, rank(), world()), y = data.shard(data.y, rank(), world());
  for (int step = 0; step < 5; ++step) {
    a.zero_grad();
    {
      auto guard = ddp.no_sync();
      (F::nll_loss(ddp(data.shard(x, 0, 2)), data.shard(y, 0, 2)) * 0.5).backward();
    }
    (F::nll_loss(ddp(data.shard(x, 1, 2)), data.shard(y, 1, 2)) * 0.5).backward();
    a.step();
    b.zero_grad();
    F::nll_loss(serial(data.x), data.y).backward();
    b.step();
  }
  CHECK(max_abs_diff(ddp.module.fc1.weight, serial.fc1.weight) < 1e-4);
  CHECK(max_abs_diff(ddp.module.conv1.weight, serial.conv1.weight) < 1e-4);
}

TEST_CASE("the first bucket's all-reduce starts while backward still runs") {
  const Recipe data;
  nn::DistributedDataParallel ddp(Net{}, {.bucket_cap_mb = 0.5, .first_bucket_mb = 0.01});
  for (int step = 0; step < 3; ++step) F::nll_loss(ddp(data.x), data.y).backward();
  const auto& timeline = nn::detail::timeline_of(ddp.reducer());
  REQUIRE(timeline.bucket_started_ready.size() == 2);
  MESSAGE("buckets started at " << timeline.bucket_started_ms.front() << " ms ... " << timeline.bucket_started_ms.back()
                                << " ms; backward ended at " << timeline.backward_ended_ms << " ms");
  // Counted, not timed: the first bucket (fc2's and fc1's 4 gradients) started when only those were ready, before
  // backward reached the convs' 4; the second when all 8 were.
  CHECK(timeline.num_params == 8);
  CHECK(timeline.bucket_started_ready[0] == 4);
  CHECK(timeline.bucket_started_ready[1] == 8);
}

TEST_CASE("a model that differs between ranks is refused at construction, on every rank") {
  const nn::Linear differs({.in_features = 4, .out_features = rank() == 1 ? 3 : 2});
  CHECK_THROWS_WITH_AS(nn::DistributedDataParallel<nn::Linear>{differs},
                       doctest::Contains("the model on rank 1 differs"), Error);
}

TEST_CASE("a parameter without a gradient is named, unless find_unused_parameters") {
  struct TwoHeads : nn::Layer<TwoHeads> {
    nn::Linear used{{.in_features = 4, .out_features = 2}}, unused{{.in_features = 4, .out_features = 2}};
    TwoHeads() {
      register_module("used", used);
      register_module("unused", unused);
    }
    Tensor forward(const Tensor& x) { return used(x); }
  };
  nn::DistributedDataParallel strict(TwoHeads{});
  CHECK_THROWS_WITH_AS(strict(randn({3, 4})).sum().backward(),
                       doctest::Contains("received no gradient in this backward: unused.weight, unused.bias"), Error);
  nn::DistributedDataParallel lenient(TwoHeads{}, {.find_unused_parameters = true});
  lenient(randn({3, 4})).sum().backward();
  CHECK(lenient.module.used.weight.grad().defined());
  CHECK_FALSE(lenient.module.unused.weight.grad().defined());  // as PyTorch: optimizers skip it
}

TEST_CASE("DistributedSampler: disjoint equal shards covering the data, reshuffled per epoch") {
  data::DistributedSampler sampler(10, {.seed = 3});
  const auto epoch0 = sampler(0), epoch1 = sampler(1);
  CHECK(static_cast<int64_t>(epoch0.size()) == (10 + world() - 1) / world());
  CHECK(epoch0 != epoch1);
  const auto all = dist::all_gather(from_vector(epoch0, {static_cast<int64_t>(epoch0.size())}));
  std::vector<int> seen(10, 0);
  for (const auto& t : all)
    for (int64_t i : t.to_vector<int64_t>()) ++seen[static_cast<size_t>(i)];
  for (int count : seen) CHECK(count >= 1);  // padding repeats a few when 10 does not divide evenly
  data::DataLoader loader(randn({10, 2}), randint(0, 2, {10}), {.batch_size = 2, .sampler = sampler});
  CHECK(loader.num_samples() == static_cast<int64_t>(epoch0.size()));
}

TEST_CASE("the streaming DataLoader with a DistributedSampler: each rank loads its share, no sample twice") {
  // 24 samples, each its own index, loaded by 2 worker threads per rank and augmented (a random flip).
  struct Indices : data::Dataset<std::pair<Tensor, int64_t>> {
    int64_t size() const override { return 24; }
    Sample get(int64_t i) const override {
      const Tensor image = full({1, 1, 2}, static_cast<double>(i)).to(kUInt8);
      return {transforms::RandomHorizontalFlip()(image), i};
    }
  };
  data::DataLoader loader(
      Indices{}, {.batch_size = 5, .sampler = data::DistributedSampler(24, {.seed = 4}), .num_workers = 2, .seed = 4});
  for (int64_t epoch = 0; epoch < 2; ++epoch) {
    std::vector<int64_t> mine;
    for (auto& [x, y] : loader.epoch(epoch))
      for (int64_t i : y.to_vector<int64_t>()) mine.push_back(i);
    CHECK(static_cast<int64_t>(mine.size()) == 24 / world());
    CHECK(mine == data::DistributedSampler(24, {.seed = 4})(epoch));  // the sampler's order, batched
    std::vector<int> seen(24, 0);
    for (const auto& t : dist::all_gather(from_vector(mine, {static_cast<int64_t>(mine.size())})))
      for (int64_t i : t.to_vector<int64_t>()) ++seen[static_cast<size_t>(i)];
    for (int count : seen) CHECK(count == 1);  // 24 divides evenly over 2 and 4 ranks: no padding, no overlap
  }
}

TEST_CASE("BatchNorm's running statistics are broadcast from rank 0 before each forward") {
  struct WithNorm : nn::Layer<WithNorm> {
    nn::Linear fc{{.in_features = 4, .out_features = 3}};
    nn::BatchNorm1d bn{{.num_features = 3}};
    WithNorm() {
      register_module("fc", fc);
      register_module("bn", bn);
    }
    Tensor forward(const Tensor& x) { return bn(fc(x)); }
  };
  nn::DistributedDataParallel ddp(WithNorm{});
  manual_seed(50 + rank());
  ddp(randn({8, 4}) * (rank() + 1)).sum().backward();  // each rank's batch moves its statistics differently
  const auto before = dist::all_gather(ddp.module.bn.running_var.contiguous());
  CHECK(max_abs_diff(before[0], before[1]) > 0);
  ddp.eval();
  ddp(randn({2, 4}));  // the forward starts by giving every rank rank 0's buffers
  const auto after = dist::all_gather(ddp.module.bn.running_var.contiguous());
  for (const auto& t : after) CHECK(max_abs_diff(t, before[0]) == 0);
}

namespace {
// A model whose second head is used on rank 0 only.
struct SometimesUsed : nn::Layer<SometimesUsed> {
  nn::Linear body{{.in_features = 4, .out_features = 3}}, head{{.in_features = 3, .out_features = 1}};
  SometimesUsed() {
    register_module("body", body);
    register_module("head", head);
  }
  Tensor forward(const Tensor& x) { return rank() == 0 ? head(body(x)).sum() : body(x).sum(); }
};
}  // namespace

TEST_CASE("find_unused_parameters: used on some ranks, averaged with zeros from the others, as PyTorch") {
  manual_seed(7);
  nn::DistributedDataParallel ddp(SometimesUsed{}, {.find_unused_parameters = true});
  const Tensor x = ones({2, 4});
  ddp(x).backward();
  nn::Linear probe{{.in_features = 3, .out_features = 1}};  // rank 0's own gradient of the head
  probe.load_state_dict(ddp.module.head.state_dict());
  probe(ddp.module.body(x).detach()).sum().backward();
  Tensor expected = probe.weight.grad().contiguous();
  dist::broadcast(expected, 0);
  CHECK(max_abs_diff(ddp.module.head.weight.grad(), expected * (1.0 / world())) < 1e-6);
}

TEST_CASE("frozen parameters are compared and broadcast too; lazy modules are refused") {
  manual_seed(30 + rank());
  nn::Linear frozen_backbone({.in_features = 4, .out_features = 3});
  frozen_backbone.weight.requires_grad_(false);
  nn::DistributedDataParallel ddp(frozen_backbone);
  const auto all = dist::all_gather(ddp.module.weight.contiguous());
  for (const auto& w : all) CHECK(max_abs_diff(w, all[0]) == 0);
  CHECK_THROWS_WITH_AS(
      nn::DistributedDataParallel<nn::LazyConv2d>(nn::LazyConv2d({.out_channels = 2, .kernel_size = 3})),
      doctest::Contains("Modules with uninitialized parameters can't be used with"), Error);
}

TEST_CASE("a buffer or frozen parameter of another size on one rank is refused at construction, naming it") {
  struct WithBuffer : nn::Layer<WithBuffer> {
    explicit WithBuffer(int64_t n) { register_buffer("counts", zeros({n})); }
    Tensor forward(const Tensor& x) { return x; }
  };
  CHECK_THROWS_WITH_AS(nn::DistributedDataParallel<WithBuffer>(WithBuffer(rank() == 1 ? 5 : 4)),
                       doctest::Contains("buffer counts [5] float32 against buffer counts [4] float32"), Error);
  CHECK_THROWS_WITH_AS(nn::DistributedDataParallel<WithBuffer>(WithBuffer(rank() == 1 ? 100000 : 4)),
                       doctest::Contains("the model on rank 1 differs"), Error);
  nn::Linear frozen({.in_features = 4, .out_features = rank() == 1 ? 3 : 2});
  frozen.requires_grad_(false);
  CHECK_THROWS_WITH_AS(nn::DistributedDataParallel<nn::Linear>{frozen},
                       doctest::Contains("parameter weight [3, 4] float32 frozen against parameter weight [2, 4]"),
                       Error);
}

TEST_CASE("a rank that takes one more step than the others: an error on every rank naming both collectives") {
  nn::DistributedDataParallel ddp(nn::Linear({.in_features = 4, .out_features = 2}));
  const auto extra_step = [&] {
    if (rank() == 0) {
      ddp(ones({1, 4})).sum().backward();  // its gradient bucket meets the others' metrics
    } else {
      Tensor metrics = zeros({2});
      dist::CollectiveName what("the epoch's metrics");
      dist::all_reduce(metrics);
    }
  };
  CHECK_THROWS_WITH_AS(extra_step(),
                       doctest::Contains(rank() == 0 ? "expected all_reduce(sum) #" : "sent all_reduce(sum) #"), Error);
  // Both sides in words: rank 0's bucket of 10 floats, rank 1's 2 floats of metrics.
  CHECK_THROWS_WITH_AS(extra_step(), doctest::Contains("of 10 float32 (DDP step"), Error);
  dist::barrier();  // in step again
}

TEST_CASE("join(): ranks with fewer batches shadow the others; the model is one process's on the active batches") {
  manual_seed(11);
  const Tensor x = randn({4 * world(), 4}), y = randn({4 * world(), 1});
  nn::Linear model({.in_features = 4, .out_features = 1}), serial({.in_features = 4, .out_features = 1});
  serial.load_state_dict(model.state_dict());
  nn::DistributedDataParallel ddp(model);
  optim::SGD a(ddp.parameters(), {.lr = 0.1}), b(serial.parameters(), {.lr = 0.1});
  const auto batch = [&](int r, int step) { return x.narrow(0, (r * 4 + step) % x.size(0), 1); };
  const auto target = [&](int r, int step) { return y.narrow(0, (r * 4 + step) % y.size(0), 1); };
  {
    auto join = ddp.join();
    for (int step = 0; step <= rank(); ++step) {  // rank r takes r + 1 steps
      a.zero_grad();
      F::mse_loss(ddp(batch(rank(), step)), target(rank(), step)).backward();
      a.step();
    }
  }
  for (int step = 0; step < world(); ++step) {  // the ranks active at each step, divided by the world's size
    b.zero_grad();
    Tensor loss = zeros({});
    for (int r = step; r < world(); ++r) loss = loss + F::mse_loss(serial(batch(r, step)), target(r, step));
    (loss * (1.0 / world())).backward();
    b.step();
  }
  CHECK(max_abs_diff(ddp.module.weight, serial.weight) < 1e-6);
  CHECK(max_abs_diff(ddp.module.bias, serial.bias) < 1e-6);
}

TEST_CASE("counts above one MPI call's limit are split (NABLA_DIST_CHUNK_ELEMENTS lowers it for this test)") {
  Tensor big = ranks_values({10007}, 1.0), gathered_input = full({3001}, rank());
  dist::all_reduce(big, dist::ReduceOp::average);
  CHECK(max_abs_diff(big, full({10007}, (world() + 1) / 2.0)) == 0);
  dist::broadcast(gathered_input, 0);
  CHECK(gathered_input.abs().sum().item<float>() == 0);
  const auto all = dist::all_gather(full({3001}, rank()));
  for (int r = 0; r < world(); ++r) CHECK(max_abs_diff(all[r], full({3001}, r)) == 0);
}

TEST_CASE("process groups: collectives among a subset of ranks; DDP on a group") {
  const auto pair = dist::new_group({0, 1});
  CHECK(pair.size() == 2);
  CHECK(pair.contains_me() == (rank() < 2));
  if (rank() < 2) {
    Tensor t = full({3}, rank() + 1);
    pair.all_reduce(t);
    CHECK(t.to_vector<float>() == std::vector<float>(3, 3.0F));
    manual_seed(40 + rank());
    nn::DistributedDataParallel ddp(nn::Linear({.in_features = 2, .out_features = 2}), {.process_group = pair});
    ddp(ones({1, 2})).sum().backward();
    const auto weights = pair.all_gather(ddp.module.weight.contiguous());
    CHECK(max_abs_diff(weights[0], weights[1]) == 0);
  } else {
    Tensor t = zeros({3});
    CHECK_THROWS_WITH_AS(pair.all_reduce(t), doctest::Contains("is not a member of the group"), Error);
  }
  CHECK_THROWS_WITH_AS(dist::new_group({0, 0}), doctest::Contains("expected distinct ranks"), Error);
  dist::barrier();
}

TEST_CASE("bf16 compression: values travel as bfloat16, summed in float32; DDP with the hook tracks f32") {
  Tensor exact = full({5}, 0.5 * (rank() + 1));  // small multiples of 0.5: exact in bfloat16
  dist::world().all_reduce_bf16(exact);
  CHECK(max_abs_diff(exact, full({5}, 0.5 * (world() + 1) / 2.0)) == 0);
  Tensor rounded = full({1}, 1.0 + 1.0 / 512);  // 1 + 2^-9 is not a bfloat16: it rounds to 1
  dist::world().all_reduce_bf16(rounded);
  CHECK(rounded.item<float>() == 1.0F);

  const Recipe data;
  manual_seed(1);
  nn::DistributedDataParallel plain(Net{}), compressed(Net{});
  compressed.module.load_state_dict(plain.module.state_dict());
  compressed.register_comm_hook(nn::CommHook::bf16_compress);
  plain.eval();
  compressed.eval();
  const Tensor x = data.shard(data.x, rank(), world()), y = data.shard(data.y, rank(), world());
  F::nll_loss(plain(x), y).backward();
  F::nll_loss(compressed(x), y).backward();
  const Tensor g = plain.module.fc1.weight.grad(), h = compressed.module.fc1.weight.grad();
  CHECK(max_abs_diff(g, h) <= 1e-2 * g.abs().max().item<float>());
  CHECK_THROWS_WITH_AS(compressed.register_comm_hook(nn::CommHook::allreduce), doctest::Contains("before the first"),
                       Error);
}

TEST_CASE("SyncBatchNorm equals BatchNorm on the whole batch: values, gradients and running statistics") {
  for (const Shape& per_rank : {Shape{3, 4, 5}, Shape{2, 4, 3, 3}}) {
    CAPTURE(shape_str(per_rank));
    manual_seed(21);  // the same global batch on every rank; each takes its rows
    Shape global = per_rank;
    global[0] *= world();
    const Tensor x = randn(global) * 3 + 1, coefficients = randn(global);
    nn::BatchNormOptions options{.num_features = 4, .momentum = 0.3};
    nn::SyncBatchNorm sync(options);
    nn::BatchNorm1d serial(options);  // any rank: the functional op underneath takes (N, C, *)
    {
      NoGradGuard no_grad;
      sync.weight.uniform_(0.5, 1.5);
      serial.weight.copy_(sync.weight);
    }
    Tensor mine = x.narrow(0, rank() * per_rank[0], per_rank[0]).detach().requires_grad_();
    Tensor all = x.detach().requires_grad_();
    const Tensor y = sync(mine);
    (y * coefficients.narrow(0, rank() * per_rank[0], per_rank[0])).sum().backward();  // Σ over ranks = serial's loss
    const Tensor reference =
        batch_norm(all, serial.running_mean, serial.running_var,
                   {.weight = serial.weight, .bias = serial.bias, .training = true, .momentum = 0.3});
    (reference * coefficients).sum().backward();
    CHECK(max_abs_diff(y, reference.narrow(0, rank() * per_rank[0], per_rank[0])) < 1e-5);
    CHECK(max_abs_diff(mine.grad(), all.grad().narrow(0, rank() * per_rank[0], per_rank[0])) < 1e-5);
    Tensor weight_grad = sync.weight.grad().contiguous();
    dist::all_reduce(weight_grad);  // each rank's part of the sum over the batch
    CHECK(max_abs_diff(weight_grad, serial.weight.grad()) < 1e-4);
    CHECK(max_abs_diff(sync.running_mean, serial.running_mean) < 1e-6);
    CHECK(max_abs_diff(sync.running_var, serial.running_var) < 1e-5);
  }
}

TEST_CASE("convert_sync_batchnorm + DDP: training equals one process on the global batch") {
  struct ConvNet : nn::Layer<ConvNet> {
    nn::Conv2d conv{{.in_channels = 1, .out_channels = 4, .kernel_size = 3}};
    nn::BatchNorm2d bn{{.num_features = 4}};
    nn::Linear fc{{.in_features = 4 * 6 * 6, .out_features = 3}};
    ConvNet() {
      register_module("conv", conv);
      register_module("bn", bn);
      register_module("fc", fc);
    }
    Tensor forward(const Tensor& x) { return fc(relu(bn(conv(x))).flatten(1)); }
  };
  manual_seed(5);
  const Tensor x = randn({4 * world(), 1, 8, 8}), y = randint(0, 3, {4 * world()});
  ConvNet model, serial;
  serial.load_state_dict(model.state_dict());
  nn::convert_sync_batchnorm(model);
  CHECK(nn::to_string(model).find("(bn): SyncBatchNorm(4, eps=1e-05") != std::string::npos);
  nn::DistributedDataParallel ddp(model);
  optim::SGD a(ddp.parameters(), {.lr = 0.1, .momentum = 0.9}), b(serial.parameters(), {.lr = 0.1, .momentum = 0.9});
  for (int step = 0; step < 3; ++step) {
    a.zero_grad();
    F::cross_entropy(ddp(x.narrow(0, rank() * 4, 4)), y.narrow(0, rank() * 4, 4)).backward();
    a.step();
    b.zero_grad();
    F::cross_entropy(serial(x), y).backward();
    b.step();
  }
  const auto mine = ddp.module.state_dict(), reference = serial.state_dict();
  for (const auto& [name, t] : mine) {
    const std::string key = name;
    CAPTURE(key);
    if (t.dtype() == kFloat32) CHECK(max_abs_diff(t, *reference.find(key)) < 1e-4);
  }
}
