#include "nabla/nn/data/distributed_sampler.hpp"

#include <algorithm>
#include <numeric>

#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/core/random.hpp"
#include "nabla/core/distributed.hpp"

namespace nabla::data {

DistributedSampler::DistributedSampler(int64_t dataset_size, const DistributedSamplerOptions& o)
    : size_(dataset_size),
      replicas_(o.num_replicas >= 0 ? o.num_replicas : distributed::world_size()),
      rank_(o.rank >= 0 ? o.rank : distributed::rank()),
      options_(o) {
  NABLA_CHECK(size_ >= 0, "DistributedSampler: the data set size must be non-negative, got ", size_);
  NABLA_CHECK(replicas_ > 0, "DistributedSampler: num_replicas must be positive, got ", replicas_);
  NABLA_CHECK(rank_ < replicas_, "DistributedSampler: Invalid rank ", rank_, ", rank should be in the interval [0, ",
              replicas_ - 1, "]");
  // PyTorch's: drop_last drops the tail that does not divide evenly; else the last round is padded.
  num_samples_ = o.drop_last ? size_ / replicas_ : (size_ + replicas_ - 1) / replicas_;
}

std::vector<int64_t> DistributedSampler::operator()(int64_t epoch) const {
  std::vector<int64_t> all(static_cast<size_t>(size_));
  std::iota(all.begin(), all.end(), 0);
  if (options_.shuffle) {  // torch.randperm with a generator seeded seed + epoch; the global stream is left alone
    const RngState outer = get_rng_state();
    manual_seed(options_.seed + static_cast<uint64_t>(epoch));
    all = randperm(size_).to_vector<int64_t>();
    set_rng_state(outer);
  }
  const auto total = static_cast<size_t>(num_samples_ * replicas_);
  if (all.size() < total) {  // pad by repeating from the start, as often as needed
    const std::vector<int64_t> head = all;
    while (all.size() < total)
      all.insert(all.end(), head.begin(),
                 head.begin() + static_cast<int64_t>(std::min(head.size(), total - all.size())));
  }
  all.resize(total);
  std::vector<int64_t> mine;
  for (size_t i = static_cast<size_t>(rank_); i < total; i += static_cast<size_t>(replicas_)) mine.push_back(all[i]);
  return mine;
}

}  // namespace nabla::data
