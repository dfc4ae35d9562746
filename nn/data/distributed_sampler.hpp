#pragma once
/// @file
/// data::DistributedSampler: each rank's share of a data set, as torch.utils.data.DistributedSampler gives it:
/// every epoch the indices are shuffled from seed + epoch (the same order on every rank, PyTorch's permutation),
/// padded by repeating the first ones (or, with drop_last, cut) to a multiple of the number of ranks, and rank r
/// takes every num_replicas-th index from r. Give it to a DataLoader:
///
/// @code
///   data::DistributedSampler sampler(train.size(), {.seed = 1});
///   data::DataLoader loader(x, y, {.batch_size = 32, .sampler = sampler});   // batch_size per rank
/// @endcode
/// @ingroup data
#include <cstdint>
#include <vector>

namespace nabla::data {
/// @addtogroup data
/// @{

/// The options of DistributedSampler, in PyTorch's order.
struct DistributedSamplerOptions {
  int64_t num_replicas = -1;  ///< -1: distributed::world_size()
  int64_t rank = -1;          ///< -1: distributed::rank()
  bool shuffle = true;        ///< a new random order every epoch (the same on every rank)
  uint64_t seed = 0;          ///< must be the same on every rank
  bool drop_last = false;     ///< drop the tail instead of padding every rank to the same count
};

/// torch.utils.data.DistributedSampler: each rank's share of the indices, the same count on every rank (padded by
/// repeating the first ones unless drop_last); DataLoaderOptions::sampler takes it.
class DistributedSampler {
 public:
  /// Shares out `dataset_size` indices; a nabla::Error for a rank out of range.
  DistributedSampler(int64_t dataset_size, const DistributedSamplerOptions& options = {});
  /// This rank's indices for `epoch`, in the order to visit them.
  std::vector<int64_t> operator()(int64_t epoch) const;
  int64_t num_samples() const { return num_samples_; }  ///< per rank, the same on every rank

 private:
  int64_t size_, replicas_, rank_, num_samples_;
  DistributedSamplerOptions options_;
};

/// @}
}  // namespace nabla::data
