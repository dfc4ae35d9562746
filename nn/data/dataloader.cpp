#include "nabla/nn/data/dataloader.hpp"

#include <numeric>
#include <random>

#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"

namespace nabla::data {

DataLoader::DataLoader(Tensor inputs, Tensor targets, const DataLoaderOptions& opts)
    : options(opts), inputs_(std::move(inputs)), targets_(std::move(targets)) {
  NABLA_CHECK(options.batch_size > 0, "DataLoader: batch_size should be a positive integer value, but got batch_size=",
              options.batch_size);
  NABLA_CHECK(inputs_.defined() && targets_.defined() && inputs_.dim() >= 1 && targets_.dim() >= 1 &&
                  inputs_.size(0) == targets_.size(0),
              "DataLoader: inputs and targets must have the same size along dim 0, got ",
              inputs_.defined() ? shape_str(inputs_.shape()) : "undefined", " and ",
              targets_.defined() ? shape_str(targets_.shape()) : "undefined");
  if (options.sampler) sampler_samples_ = static_cast<int64_t>(options.sampler(0).size());  // once: it may shuffle
}

int64_t DataLoader::num_samples() const { return options.sampler ? sampler_samples_ : size(); }

int64_t DataLoader::num_batches() const {
  const int64_t n = num_samples(), b = options.batch_size;
  return n / b + (!options.drop_last && n % b != 0);  // not (n + b - 1) / b: b may be as large as INT64_MAX
}

std::vector<int64_t> DataLoader::order(int64_t epoch_index) const {
  if (options.sampler) {
    std::vector<int64_t> order = options.sampler(epoch_index);
    for (int64_t i : order)
      NABLA_CHECK(i >= 0 && i < size(), "DataLoader: the sampler gave index ", i, " for a data set of ", size());
    return order;
  }
  std::vector<int64_t> order(static_cast<size_t>(size()));
  std::iota(order.begin(), order.end(), 0);
  if (options.shuffle) {
    std::seed_seq seed{static_cast<uint32_t>(options.seed), static_cast<uint32_t>(options.seed >> 32),
                       static_cast<uint32_t>(epoch_index)};
    std::mt19937_64 generator(seed);
    for (size_t i = order.size(); i > 1; --i)  // Fisher-Yates, spelled out: std::shuffle's order is not portable
      std::swap(order[i - 1], order[generator() % i]);
  }
  return order;
}

Batch DataLoader::batch(const std::vector<int64_t>& order, int64_t index) const {
  NABLA_CHECK(index >= 0 && index < num_batches(), "DataLoader: batch ", index, " is out of range (", num_batches(),
              " batches)");
  const int64_t begin = index * options.batch_size;  // at most the sample count: index < num_batches()
  const int64_t end = begin + std::min<int64_t>(options.batch_size, static_cast<int64_t>(order.size()) - begin);
  const Tensor idx = from_vector(std::vector<int64_t>(order.begin() + begin, order.begin() + end), {end - begin});
  return {inputs_.index_select(0, idx), targets_.index_select(0, idx)};
}

std::vector<Batch> DataLoader::epoch(int64_t epoch_index) const {
  const auto o = order(epoch_index);
  std::vector<Batch> batches;
  for (int64_t i = 0; i < num_batches(); ++i) batches.push_back(batch(o, i));
  return batches;
}

}  // namespace nabla::data
