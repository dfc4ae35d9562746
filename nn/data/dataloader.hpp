#pragma once
// DataLoader: mini-batches of a tensor data set (inputs and targets indexed along dim 0), in order or
// shuffled with its own seeded generator, optionally dropping the last partial batch.
//
//   data::DataLoader loader(train.images, train.labels, {.batch_size = 64, .shuffle = true, .seed = 1});
//   for (int epoch = 0; epoch < 3; ++epoch)
//     for (const auto& [x, y] : loader.epoch(epoch)) { ... }
#include <cstdint>
#include <functional>
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla::data {

struct DataLoaderOptions {
  int64_t batch_size = 1;
  bool shuffle = false;
  bool drop_last = false;
  uint64_t seed = 0;  // with the epoch number, decides the order when shuffling
  // The indices of an epoch, in order (e.g. a DistributedSampler: this rank's share); replaces shuffle and seed.
  std::function<std::vector<int64_t>(int64_t epoch)> sampler{};
};

struct Batch {
  Tensor inputs;
  Tensor targets;
};

class DataLoader {
 public:
  DataLoader(Tensor inputs, Tensor targets, const DataLoaderOptions& options);

  // The batches of one epoch, in that epoch's order.
  std::vector<Batch> epoch(int64_t epoch_index) const;
  // Batch `index` of an epoch whose order is `order` (see order()): for loops that stream.
  Batch batch(const std::vector<int64_t>& order, int64_t index) const;
  std::vector<int64_t> order(int64_t epoch_index) const;
  int64_t num_batches() const;
  int64_t size() const { return inputs_.size(0); }  // the data set's
  int64_t num_samples() const;                      // an epoch's (the sampler's share)

  DataLoaderOptions options;

 private:
  Tensor inputs_, targets_;
  int64_t sampler_samples_ = 0;  // an epoch's length when options.sampler is set
};

}  // namespace nabla::data
