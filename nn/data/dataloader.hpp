#pragma once
/// @file
/// DataLoader: mini-batches of any data set (torch.utils.data.DataLoader), streamed. With num_workers > 0, worker
/// threads load and collate batches ahead of the training loop, at most num_workers × prefetch_factor at a time;
/// batches still arrive in order.
///
/// @code
///   data::DataLoader loader(datasets::ImageFolder("train", {.transform = augment}),
///                           {.batch_size = 64, .shuffle = true, .num_workers = 2, .seed = 1});
///   for (int epoch = 0; epoch < 5; ++epoch)
///     for (auto& [images, labels] : loader.epoch(epoch)) { ... }
/// @endcode
///
/// Deterministic: the order comes from (seed, epoch), and each sample's random augmentations from its own generator
/// seeded from (seed, epoch, index) (data::sample_generator()), so the batches are the same whatever num_workers is.
/// A sample that fails to load ends the epoch with a nabla::Error naming it; leaving a loop early, or dropping the
/// epoch, stops the workers (they finish the batch in hand, no more).
/// @ingroup data
#include <concepts>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <vector>

#include "nabla/core/tensor.hpp"
#include "nabla/nn/data/collate.hpp"
#include "nabla/nn/data/dataset.hpp"
#include "nabla/nn/data/generator.hpp"
#include "nabla/nn/data/worker_pool.hpp"

namespace nabla::data {
/// @addtogroup data
/// @{

/// The options of DataLoader, in PyTorch's order.
struct DataLoaderOptions {
  int64_t batch_size = 1;  ///< samples per batch
  bool shuffle = false;    ///< a new random order every epoch (from seed and the epoch)
  /// The indices of an epoch, in order (e.g. a DistributedSampler: this rank's share); replaces shuffle.
  std::function<std::vector<int64_t>(int64_t epoch)> sampler{};
  int64_t num_workers = 0;  ///< threads loading batches; 0: in the iterating thread
  bool drop_last = false;   ///< drop the last batch when it is smaller than batch_size
  uint64_t seed = 0;        ///< with the epoch, decides the shuffled order and every sample's random augmentations
  std::optional<int64_t> prefetch_factor{};  ///< batches loaded ahead per worker (2 when unset); needs num_workers > 0
  bool persistent_workers = false;           ///< keep the threads between epochs; needs num_workers > 0
  /// The batches of an epoch as lists of indices (e.g. texts of similar length together); replaces batch_size,
  /// shuffle, sampler and drop_last. Called once per epoch, in epoch order, from the thread that asks for it.
  std::function<std::vector<std::vector<int64_t>>(int64_t epoch)> batch_sampler{};
};

/// A data set read by index (size() and get(i)), or as a stream (stream(epoch)), as torch.utils.data tells them apart.
template <class D>
concept MapStyleDataset = requires(const D& d, int64_t i) {
  { d.size() } -> std::convertible_to<int64_t>;
  d.get(i);
};
template <class D>
concept StreamDataset = requires(const D& d, int64_t epoch) {
  *d.stream(epoch)();
};

namespace detail {
/// Checks the options once and returns the prefetch depth (0 without workers).
int64_t check_loader_options(const DataLoaderOptions& options, bool stream);
/// The order of an epoch without a sampler: 0..size-1, shuffled from (seed, epoch) if asked.
std::vector<int64_t> epoch_order(int64_t size, bool shuffle, uint64_t seed, int64_t epoch);
void check_sampled_indices(const std::vector<int64_t>& order, int64_t size);
/// Inside a catch: throws a nabla::Error naming the sample (its index, or its position in a stream) and the epoch.
[[noreturn]] void rethrow_sample_error(const char* what, int64_t index, int64_t epoch);

template <class D>
struct SampleOf {
  using type = std::remove_cvref_t<decltype(std::declval<const D&>().get(int64_t{}))>;
};
template <StreamDataset D>
struct SampleOf<D> {
  using type = std::remove_cvref_t<decltype(*std::declval<const D&>().stream(int64_t{})())>;
};

/// A stream read by several workers: batch k is read only after batch k - 1, so batches keep the stream's order, and
/// the batches' collation runs in parallel.
template <class Sample>
struct StreamTurns {
  std::function<std::optional<Sample>()> next;
  std::mutex mutex;
  std::condition_variable turn;
  int64_t next_batch = 0, position = 0;  ///< whose turn it is; samples read so far
  bool ended = false;
};
}  // namespace detail

/// torch.utils.data.DataLoader: batches of a data set (map-style or iterable), loaded by `num_workers` threads ahead of
/// the loop, deterministically. See the file's description.
template <class D, class Collate = DefaultCollate>
requires MapStyleDataset<D> || StreamDataset<D>
class DataLoader {
 public:
  using Sample = typename detail::SampleOf<D>::type;  ///< the data set's sample type
  /// what the collate function makes of a list of samples
  using Batch = std::remove_cvref_t<std::invoke_result_t<const Collate&, const std::vector<Sample>&>>;
  /// whether the data set is iterable (stream) rather than map-style
  static constexpr bool kStream = StreamDataset<D>;

  /// Over a copy of `dataset` (data sets are cheap handles: tensors and file lists are shared); the options are checked
  /// as PyTorch checks them.
  DataLoader(D dataset, const DataLoaderOptions& options = {}, Collate collate = {})
      : DataLoader(std::make_shared<const D>(std::move(dataset)), options, std::move(collate)) {}
  /// A data set shared with others (loaders, the program), not copied.
  DataLoader(std::shared_ptr<const D> dataset, const DataLoaderOptions& options = {}, Collate collate = {})
      : options(options),
        dataset_(std::move(dataset)),
        collate_(std::move(collate)),
        depth_(detail::check_loader_options(options, kStream)) {
    NABLA_CHECK(dataset_ != nullptr, "DataLoader: the data set is null");
    if constexpr (!kStream)
      if (options.sampler) sampler_samples_ = static_cast<int64_t>(options.sampler(0).size());  // once: may shuffle
    if (options.persistent_workers) pool_ = std::make_shared<detail::WorkerPool>(options.num_workers, depth_);
  }
  /// The loader of two tensors indexed along dim 0, as before data sets: DataLoader(images, labels, {...}).
  DataLoader(Tensor inputs, Tensor targets, const DataLoaderOptions& options) requires std::is_same_v<D, TensorDataset>
      : DataLoader(TensorDataset(std::move(inputs), std::move(targets)), options) {}

  class Epoch;
  /// The batches of one epoch, loaded as the loop asks for them. The epoch refers to this loader, which must outlive
  /// it: a temporary's epoch, `for (auto& b : DataLoader(d, {}).epoch(0))`, does not compile (name the loader).
  Epoch epoch(int64_t epoch_index) const& { return Epoch(*this, epoch_index); }
  Epoch epoch(int64_t epoch_index) const&& = delete;  ///< would outlive the loader: name the loader first

  /// The sample indices of an epoch, in the order they are batched.
  std::vector<int64_t> order(int64_t epoch_index) const requires(!kStream) {
    if (!options.sampler) return detail::epoch_order(size(), options.shuffle, options.seed, epoch_index);
    std::vector<int64_t> order = options.sampler(epoch_index);
    detail::check_sampled_indices(order, size());
    return order;
  }
  /// Batch `index` of an epoch whose order is `order`, loaded in this thread.
  Batch batch(const std::vector<int64_t>& order, int64_t index, int64_t epoch_index = 0) const requires(!kStream) {
    NABLA_CHECK(index >= 0 && index < batches_in(order.size()), "DataLoader: batch ", index, " is out of range (",
                batches_in(order.size()), " batches)");
    const auto begin = order.begin() + index * options.batch_size;  // index < batches: no overflow
    return load(std::vector<int64_t>(begin, begin + std::min<int64_t>(options.batch_size, order.end() - begin)),
                epoch_index);
  }
  /// The samples `indices` as a batch, loaded in this thread.
  Batch load(const std::vector<int64_t>& indices, int64_t epoch_index = 0) const requires(!kStream) {
    if constexpr (std::is_same_v<Collate, DefaultCollate> && requires { dataset_->get_batch(indices); }) {
      return dataset_->get_batch(indices);
    } else {
      std::vector<Sample> samples;
      samples.reserve(indices.size());
      for (int64_t i : indices) {
        set_sample_generator(Generator::for_sample(options.seed, epoch_index, i));
        try {
          samples.push_back(dataset_->get(i));
        } catch (...) {
          detail::rethrow_sample_error("sample", i, epoch_index);
        }
      }
      return collate_(samples);
    }
  }

  /// len(loader); with a batch_sampler, each epoch's own: loader.epoch(e).size().
  int64_t num_batches() const requires(!kStream) {
    NABLA_CHECK(!options.batch_sampler,
                "DataLoader: with a batch_sampler, the number of batches is each epoch's: "
                "ask loader.epoch(e).size()");
    return batches_in(num_samples());
  }
  int64_t size() const requires(!kStream) { return dataset_->size(); }  ///< the data set's
  /// the samples an epoch visits (the sampler's share, or the whole set)
  int64_t num_samples() const requires(!kStream) { return options.sampler ? sampler_samples_ : size(); }
  const D& dataset() const { return *dataset_; }  ///< the data set
  /// The most batches ever loaded ahead at once by the persistent workers (tests check the memory bound with it).
  int64_t max_batches_in_flight() const { return pool_ ? pool_->max_in_flight() : 0; }

  const DataLoaderOptions options;  ///< as constructed

 private:
  int64_t batches_in(size_t samples) const {
    const auto n = static_cast<int64_t>(samples), b = options.batch_size;
    return n / b + (!options.drop_last && n % b != 0);  // not (n + b - 1) / b: b may be INT64_MAX
  }

  /// The next batch of a stream (whose turn is `index`), or nothing once it has ended.
  std::optional<Batch> stream_batch(detail::StreamTurns<Sample>& s, int64_t index, int64_t epoch_index) const {
    std::vector<Sample> samples;
    {
      std::unique_lock lock(s.mutex);
      s.turn.wait(lock, [&] { return s.next_batch == index; });
      try {
        while (!s.ended && static_cast<int64_t>(samples.size()) < options.batch_size) {
          set_sample_generator(Generator::for_sample(options.seed, epoch_index, s.position));
          std::optional<Sample> sample = s.next();
          if (!sample)
            s.ended = true;
          else
            samples.push_back(std::move(*sample)), ++s.position;
        }
      } catch (...) {
        s.ended = true;
        ++s.next_batch;
        s.turn.notify_all();
        detail::rethrow_sample_error("stream sample", s.position, epoch_index);
      }
      ++s.next_batch;
    }
    s.turn.notify_all();
    const bool partial = static_cast<int64_t>(samples.size()) < options.batch_size;
    if (samples.empty() || (partial && options.drop_last)) return std::nullopt;
    return collate_(samples);
  }

  std::shared_ptr<const D> dataset_;
  Collate collate_;
  int64_t depth_ = 0, sampler_samples_ = 0;
  std::shared_ptr<detail::WorkerPool> pool_;  ///< persistent workers
};

/// Class template argument deduction for DataLoader(images, labels, {...}).
DataLoader(Tensor, Tensor, const DataLoaderOptions&)->DataLoader<TensorDataset>;

/// One pass over the data: an input range of batches. Neither copied nor moved (its workers write into it); take it
/// from loader.epoch(e) straight into a range-for or an `auto` variable.
template <class D, class Collate>
requires MapStyleDataset<D> || StreamDataset<D>
class DataLoader<D, Collate>::Epoch {
 public:
  /// The batches of `loader` for epoch `epoch_index` (loader.epoch(e) makes it).
  Epoch(const DataLoader& loader, int64_t epoch_index) : loader_(loader) {
    if constexpr (kStream) {
      auto turns = std::make_shared<detail::StreamTurns<Sample>>();
      turns->next = loader.dataset_->stream(epoch_index);
      count_ = INT64_MAX;  // until the stream ends
      make_ = [&loader, turns, epoch_index](int64_t index) { return loader.stream_batch(*turns, index, epoch_index); };
    } else if (loader.options.batch_sampler) {
      auto batches =
          std::make_shared<const std::vector<std::vector<int64_t>>>(loader.options.batch_sampler(epoch_index));
      for (const auto& indices : *batches) detail::check_sampled_indices(indices, loader.size());
      count_ = static_cast<int64_t>(batches->size());
      make_ = [&loader, batches, epoch_index](int64_t index) -> std::optional<Batch> {
        return loader.load(batches->at(static_cast<size_t>(index)), epoch_index);
      };
    } else {
      auto order = std::make_shared<const std::vector<int64_t>>(loader.order(epoch_index));
      count_ = loader.batches_in(order->size());
      make_ = [&loader, order, epoch_index](int64_t index) -> std::optional<Batch> {
        return loader.batch(*order, index, epoch_index);
      };
    }
  }
  Epoch(const Epoch&) = delete;
  Epoch& operator=(const Epoch&) = delete;
  ~Epoch() {
    if (pool_) pool_->stop(run_);  // before the slots the workers write into go away
  }

  /// The input iterator of an epoch's batches.
  class iterator {
   public:
    using value_type = Batch;                                 ///< a batch
    using difference_type = std::ptrdiff_t;                   ///< as input iterators need
    Batch& operator*() const { return *epoch_->current_; }    ///< the current batch
    Batch* operator->() const { return &*epoch_->current_; }  ///< the current batch's members
    /// Moves to the next batch (waiting for it when the workers are behind).
    iterator& operator++() {
      epoch_->advance();
      return *this;
    }
    void operator++(int) { ++*this; }                                             ///< moves to the next batch
    bool operator==(std::default_sentinel_t) const { return !epoch_->current_; }  ///< whether the epoch has ended

   private:
    friend class Epoch;
    explicit iterator(Epoch* epoch) : epoch_(epoch) {}
    Epoch* epoch_;
  };

  /// Starts loading (the workers, if any) and returns the first batch's iterator; an epoch is iterated once.
  iterator begin() {
    NABLA_CHECK(!started_, "DataLoader: an epoch can be iterated once; ask the loader for epoch(e) again");
    started_ = true;
    if (loader_.depth_ > 0 && count_ > 0) {
      pool_ = loader_.pool_ ? loader_.pool_
                            : std::make_shared<detail::WorkerPool>(loader_.options.num_workers, loader_.depth_);
      slots_.resize(static_cast<size_t>(loader_.depth_));
      run_ = pool_->start(count_,
                          [this](int64_t index, int64_t slot) { slots_[static_cast<size_t>(slot)] = make_(index); });
    }
    advance();
    return iterator(this);
  }
  std::default_sentinel_t end() const { return {}; }          ///< the end of the epoch
  int64_t size() const requires(!kStream) { return count_; }  ///< the epoch's batches

 private:
  void advance() {
    current_.reset();
    if (next_ >= count_ || ended_) return;
    if (!pool_) {
      current_ = make_(next_++);
    } else {
      auto& slot = slots_[static_cast<size_t>(pool_->next(run_))];
      current_ = std::move(slot);
      slot.reset();
      pool_->release(run_);
      ++next_;
    }
    ended_ = !current_;  // a stream's end
  }

  const DataLoader& loader_;
  std::function<std::optional<Batch>(int64_t index)> make_;
  int64_t count_ = 0, next_ = 0, run_ = 0;
  bool started_ = false, ended_ = false;
  std::shared_ptr<detail::WorkerPool> pool_;
  std::vector<std::optional<Batch>> slots_;
  std::optional<Batch> current_;
};

/// @}
}  // namespace nabla::data
