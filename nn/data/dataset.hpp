#pragma once
/// @file
/// Data sets, as torch.utils.data has them. A map-style data set has size() and get(index) (PyTorch's __len__ and
/// __getitem__); get must be safe to call from several threads at once, as DataLoader's workers do. Any class with
/// those two members works with DataLoader; deriving from data::Dataset<Sample> lets Subset and ConcatDataset hold it.
///
/// @code
///   data::TensorDataset train(images, labels);                     // sample i: (images[i], labels[i])
///   auto [train_part, val_part] = data::random_split(train, {50000, 10000}, 1);   // two Subsets
/// @endcode
/// @ingroup data
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "nabla/core/error.hpp"
#include "nabla/core/tensor.hpp"

namespace nabla::data {
/// @addtogroup data
/// @{

/// A map-style data set (torch.utils.data.Dataset): size() samples, sample i from get(i). Derive from it to use Subset
/// and ConcatDataset; DataLoader also takes any class with those two members.
template <class SampleType>
class Dataset {
 public:
  using Sample = SampleType;  ///< the type get() returns, e.g. std::pair<Tensor, int64_t>
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;  ///< the number of samples
  /// sample `index` (0 <= index < size()); called from the loader's worker threads, so it must be thread-safe
  virtual Sample get(int64_t index) const = 0;
};

/// A data set read as a stream (torch.utils.data.IterableDataset): stream(epoch) returns a function that gives the
/// next sample, or nothing at the end. A DataLoader batches the samples in the order the stream gives them.
template <class SampleType>
class IterableDataset {
 public:
  using Sample = SampleType;                              ///< the type the stream gives
  using Stream = std::function<std::optional<Sample>()>;  ///< gives the next sample, or std::nullopt at the end
  virtual ~IterableDataset() = default;
  virtual Stream stream(int64_t epoch) const = 0;  ///< a new stream for `epoch` (called once per epoch)
};

/// Samples (inputs[i], targets[i]) of two tensors indexed along dim 0 (torch.utils.data.TensorDataset of two).
class TensorDataset : public Dataset<std::pair<Tensor, Tensor>> {
 public:
  /// the two tensors' dim-0 sizes must agree (a nabla::Error naming both otherwise)
  TensorDataset(Tensor inputs, Tensor targets);
  int64_t size() const override { return inputs_.size(0); }  ///< inputs.size(0)
  Sample get(int64_t index) const override;                  ///< (inputs[index], targets[index])
  /// A whole batch with one index_select per tensor (PyTorch's __getitems__): what DataLoader uses.
  Sample get_batch(const std::vector<int64_t>& indices) const;
  const Tensor& inputs() const { return inputs_; }    ///< the inputs tensor
  const Tensor& targets() const { return targets_; }  ///< the targets tensor

 private:
  Tensor inputs_, targets_;
};

namespace detail {
void check_index(const char* what, int64_t index, int64_t size);
}

/// The samples of `dataset` at `indices`, in that order (torch.utils.data.Subset).
template <class SampleType>
class Subset : public Dataset<SampleType> {
 public:
  /// The samples of `dataset` at `indices`; an index out of range is a nabla::Error.
  Subset(std::shared_ptr<const Dataset<SampleType>> dataset, std::vector<int64_t> indices)
      : dataset_(std::move(dataset)), indices_(std::move(indices)) {
    NABLA_CHECK(dataset_ != nullptr, "Subset: the data set is null");
    for (int64_t i : indices_) detail::check_index("Subset", i, dataset_->size());
  }
  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }  ///< the number of indices
  /// Dataset.get(indices[index]).
  SampleType get(int64_t index) const override {
    detail::check_index("Subset", index, size());
    return dataset_->get(indices_[static_cast<size_t>(index)]);
  }
  const std::vector<int64_t>& indices() const { return indices_; }  ///< the indices, in order

 private:
  std::shared_ptr<const Dataset<SampleType>> dataset_;
  std::vector<int64_t> indices_;
};

/// Class template argument deduction for Subset(std::make_shared<const D>(...), indices).
template <class D>
Subset(std::shared_ptr<D>, std::vector<int64_t>) -> Subset<typename std::remove_const_t<D>::Sample>;

/// Data sets one after the other (torch.utils.data.ConcatDataset).
template <class SampleType>
class ConcatDataset : public Dataset<SampleType> {
 public:
  /// The data sets one after the other (none may be null).
  explicit ConcatDataset(std::vector<std::shared_ptr<const Dataset<SampleType>>> datasets)
      : datasets_(std::move(datasets)) {
    NABLA_CHECK(!datasets_.empty(), "ConcatDataset: datasets should not be an empty iterable");
    for (const auto& d : datasets_) {
      NABLA_CHECK(d != nullptr, "ConcatDataset: a data set is null");
      ends_.push_back((ends_.empty() ? 0 : ends_.back()) + d->size());
    }
  }
  int64_t size() const override { return ends_.back(); }  ///< the sum of the sizes
  /// The sample `index` of the concatenation.
  SampleType get(int64_t index) const override {
    detail::check_index("ConcatDataset", index, size());
    size_t part = 0;
    while (index >= ends_[part]) ++part;
    return datasets_[part]->get(index - (part == 0 ? 0 : ends_[part - 1]));
  }

 private:
  std::vector<std::shared_ptr<const Dataset<SampleType>>> datasets_;
  std::vector<int64_t> ends_;  ///< cumulative sizes
};

/// A random partition of 0..size-1 into parts of the given lengths (which must add up to size), from `seed`.
std::vector<std::vector<int64_t>> random_split_indices(int64_t size, const std::vector<int64_t>& lengths,
                                                       uint64_t seed);

/// torch.utils.data.random_split: non-overlapping Subsets of the given lengths, shuffled from `seed`.
template <class D>
std::vector<Subset<typename D::Sample>> random_split(D dataset, const std::vector<int64_t>& lengths, uint64_t seed) {
  using Sample = typename D::Sample;
  const auto shared = std::make_shared<const D>(std::move(dataset));
  std::vector<Subset<Sample>> parts;
  for (auto& indices : random_split_indices(shared->size(), lengths, seed)) parts.emplace_back(shared, indices);
  return parts;
}

/// @}
}  // namespace nabla::data
