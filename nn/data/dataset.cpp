#include "nabla/nn/data/dataset.hpp"

#include <numeric>

#include "nabla/core/factory.hpp"
#include "nabla/core/shape.hpp"
#include "nabla/nn/data/generator.hpp"

namespace nabla::data {

void detail::check_index(const char* what, int64_t index, int64_t size) {
  NABLA_CHECK(index >= 0 && index < size, what, ": index ", index, " is out of range for a data set of ", size,
              " samples");
}

TensorDataset::TensorDataset(Tensor inputs, Tensor targets) : inputs_(std::move(inputs)), targets_(std::move(targets)) {
  NABLA_CHECK(inputs_.defined() && targets_.defined() && inputs_.dim() >= 1 && targets_.dim() >= 1 &&
                  inputs_.size(0) == targets_.size(0),
              "TensorDataset: inputs and targets must have the same size along dim 0, got ",
              inputs_.defined() ? shape_str(inputs_.shape()) : "undefined", " and ",
              targets_.defined() ? shape_str(targets_.shape()) : "undefined");
}

TensorDataset::Sample TensorDataset::get(int64_t index) const {
  detail::check_index("TensorDataset", index, size());
  return {inputs_.select(0, index), targets_.select(0, index)};
}

TensorDataset::Sample TensorDataset::get_batch(const std::vector<int64_t>& indices) const {
  for (int64_t i : indices) detail::check_index("TensorDataset", i, size());
  const Tensor idx = from_vector(indices, {static_cast<int64_t>(indices.size())});
  return {inputs_.index_select(0, idx), targets_.index_select(0, idx)};
}

std::vector<std::vector<int64_t>> random_split_indices(int64_t size, const std::vector<int64_t>& lengths,
                                                       uint64_t seed) {
  int64_t total = 0;
  for (int64_t n : lengths) {
    NABLA_CHECK(n >= 0, "random_split: lengths must be non-negative, got ", n);
    total += n;
  }
  NABLA_CHECK(total == size, "random_split: Sum of input lengths (", total,
              ") does not equal the length of the input dataset (", size, ")");
  const std::vector<int64_t> order = Generator(seed).randperm(size);
  std::vector<std::vector<int64_t>> parts;
  auto begin = order.begin();
  for (int64_t n : lengths) {
    parts.emplace_back(begin, begin + n);
    begin += n;
  }
  return parts;
}

}  // namespace nabla::data
