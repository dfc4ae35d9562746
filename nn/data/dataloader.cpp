#include "nabla/nn/data/dataloader.hpp"

#include <numeric>
#include <random>

#include "nabla/core/error.hpp"

namespace nabla::data::detail {

int64_t check_loader_options(const DataLoaderOptions& o, bool stream) {
  NABLA_CHECK(o.batch_size > 0,
              "DataLoader: batch_size should be a positive integer value, but got batch_size=", o.batch_size);
  NABLA_CHECK(o.num_workers >= 0,
              "DataLoader: num_workers option should be non-negative; use num_workers=0 to "
              "disable multiprocessing, got num_workers=",
              o.num_workers);
  NABLA_CHECK(!stream || (!o.shuffle && !o.sampler),
              "DataLoader with IterableDataset: expected unspecified shuffle "
              "and sampler options (a stream is read in its own order)");
  NABLA_CHECK(
      !o.batch_sampler || (o.batch_size == 1 && !o.shuffle && !o.sampler && !o.drop_last),
      "DataLoader: batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last");
  NABLA_CHECK(!stream || !o.batch_sampler,
              "DataLoader with IterableDataset: expected unspecified batch_sampler option");
  NABLA_CHECK(!o.sampler || !o.shuffle,
              "DataLoader: sampler option is mutually exclusive with shuffle "
              "(a sampler decides the order: shuffle inside it, as DistributedSampler does)");
  NABLA_CHECK(o.num_workers > 0 || !o.prefetch_factor,
              "DataLoader: prefetch_factor option could only be specified "
              "with num_workers > 0 (batches are loaded ahead by worker threads)");
  NABLA_CHECK(o.num_workers > 0 || !o.persistent_workers,
              "DataLoader: persistent_workers option needs num_workers > 0");
  const int64_t factor = o.prefetch_factor.value_or(2);
  constexpr int64_t kMaxDepth = int64_t{1} << 20;  // a bound on memory, not a real limit
  NABLA_CHECK(factor > 0 && (o.num_workers == 0 || factor <= kMaxDepth / o.num_workers),
              "DataLoader: prefetch_factor should be a positive integer with num_workers × prefetch_factor at most ",
              kMaxDepth, ", got prefetch_factor=", factor, " and num_workers=", o.num_workers);
  return o.num_workers * factor;
}

std::vector<int64_t> epoch_order(int64_t size, bool shuffle, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(static_cast<size_t>(size));
  std::iota(order.begin(), order.end(), 0);
  if (shuffle) {
    std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(epoch)};
    std::mt19937_64 generator(seq);
    for (size_t i = order.size(); i > 1; --i)  // Fisher-Yates, spelled out: std::shuffle's order is not portable
      std::swap(order[i - 1], order[generator() % i]);
  }
  return order;
}

void check_sampled_indices(const std::vector<int64_t>& order, int64_t size) {
  for (int64_t i : order)
    NABLA_CHECK(i >= 0 && i < size, "DataLoader: the sampler gave index ", i, " for a data set of ", size);
}

void rethrow_sample_error(const char* what, int64_t index, int64_t epoch) {
  try {
    throw;
  } catch (const std::exception& e) {
    nabla::detail::fail("DataLoader: loading ", what, " ", index, " (epoch ", epoch, ") failed: ", e.what());
  }
}

}  // namespace nabla::data::detail
