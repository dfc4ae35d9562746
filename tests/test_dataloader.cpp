// The streaming DataLoader: data sets, collation, worker threads (determinism whatever their number, the prefetch
// bound, early exits, errors), and the distributed sampler's shares through it.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "helpers.hpp"
#include "nabla/nn/data/dataloader.hpp"
#include "nabla/nn/data/distributed_sampler.hpp"
#include "nabla/nn/data/generator.hpp"
#include "nabla/nn/data/image.hpp"
#include "nabla/nn/data/image_folder.hpp"
#include "nabla/nn/data/transforms.hpp"

using namespace nabla;
namespace T = transforms;

namespace {

// Sample i: a 3 × 12 × 12 uint8 picture made from i, augmented by `transform`; counts the samples it made.
struct Pictures : data::Dataset<std::pair<Tensor, int64_t>> {
  int64_t count = 40;
  T::Transform transform;
  std::shared_ptr<std::atomic<int64_t>> made = std::make_shared<std::atomic<int64_t>>(0);
  std::chrono::milliseconds delay{0};
  int64_t failing = -1;

  int64_t size() const override { return count; }
  Sample get(int64_t i) const override {
    NABLA_CHECK(i != failing, "picture ", i, " is damaged");
    std::this_thread::sleep_for(delay);
    ++*made;
    Tensor image = empty({3, 12, 12}, kUInt8);
    for (int64_t p = 0; p < image.numel(); ++p) image.data_ptr<uint8_t>()[p] = static_cast<uint8_t>(p * (i + 1));
    return {transform ? transform(image) : image, i % 3};
  }
};

T::Transform augment() {
  return T::Compose({T::RandomCrop({.size = {10}, .padding = {2}}), T::RandomHorizontalFlip(),
                     T::ColorJitter({.brightness = {0.4}, .contrast = {0.4}, .saturation = {0.4}, .hue = {0.1}}),
                     T::ToTensor(), T::RandomErasing({.p = 0.5, .value = {}})});
}

template <class Loader>
std::vector<std::pair<Tensor, Tensor>> all_batches(const Loader& loader, int64_t epoch) {
  std::vector<std::pair<Tensor, Tensor>> batches;
  for (auto& batch : loader.epoch(epoch)) batches.push_back(batch);
  return batches;
}

}  // namespace

TEST_CASE("DataLoader batches, augmentations included, are the same whatever num_workers is") {
  Pictures pictures;
  pictures.transform = augment();
  std::vector<std::pair<Tensor, Tensor>> reference;
  for (int64_t workers : {0, 1, 2, 4}) {
    CAPTURE(workers);
    data::DataLoader loader(pictures, {.batch_size = 6, .shuffle = true, .num_workers = workers, .seed = 5});
    const auto batches = all_batches(loader, 3);
    REQUIRE(batches.size() == 7);
    CHECK(batches.back().first.shape() == Shape{4, 3, 10, 10});  // the last, partial batch
    if (reference.empty()) {
      reference = batches;
      continue;
    }
    for (size_t b = 0; b < batches.size(); ++b) {
      CHECK(batches[b].first.to_vector<float>() == reference[b].first.to_vector<float>());
      CHECK(batches[b].second.to_vector<int64_t>() == reference[b].second.to_vector<int64_t>());
    }
  }
  // Another epoch: another order and other augmentations of the same samples.
  data::DataLoader loader(pictures, {.batch_size = 6, .shuffle = true, .num_workers = 2, .seed = 5});
  CHECK(all_batches(loader, 4)[0].first.to_vector<float>() != reference[0].first.to_vector<float>());
}

TEST_CASE("DataLoader keeps at most num_workers × prefetch_factor batches loaded ahead of a slow loop") {
  Pictures pictures;
  pictures.count = 64;
  data::DataLoader loader(pictures,
                          {.batch_size = 2, .num_workers = 3, .prefetch_factor = 2, .persistent_workers = true});
  for (int epoch = 0; epoch < 2; ++epoch) {
    int64_t seen = 0;
    for (auto& [x, y] : loader.epoch(epoch)) {
      CHECK(y.to_vector<int64_t>()[0] == (2 * seen) % 3);  // in order
      ++seen;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // the workers run ahead until the bound
    }
    CHECK(seen == 32);
  }
  CHECK(loader.max_batches_in_flight() == 6);
}

TEST_CASE("leaving an epoch early stops the workers: no hang, and the rest of the data set is not loaded") {
  Pictures pictures;
  pictures.count = 2000;
  pictures.delay = std::chrono::milliseconds(1);
  const auto start = std::chrono::steady_clock::now();
  {
    data::DataLoader loader(pictures, {.batch_size = 4, .num_workers = 2, .prefetch_factor = 2});
    int64_t taken = 0;
    for (auto& batch : loader.epoch(0)) {
      (void)batch;
      if (++taken == 3) break;
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(*pictures.made <= 4 * (3 + 4 + 2));  // taken, the bound ahead, and what the workers had in hand
  CHECK(seconds < 5.0);                      // all 2000 samples would take 1 s a worker at least; stopped long before
  // Dropping an epoch never iterated, or one half read, with persistent workers: the loader stays usable.
  data::DataLoader persistent(pictures, {.batch_size = 4, .num_workers = 2, .persistent_workers = true});
  { auto unused = persistent.epoch(0); }
  {
    auto half = persistent.epoch(1);
    auto it = half.begin();
    ++it;
  }
  pictures.count = 8;
  data::DataLoader small(pictures, {.batch_size = 4, .num_workers = 2, .persistent_workers = true});
  CHECK(all_batches(small, 2).size() == 2);
  // Persistent workers serve one epoch at a time: an older epoch still held is told so, and dropping it later
  // leaves the newer one running.
  auto older = small.epoch(3);
  auto it = older.begin();
  {
    auto newer = small.epoch(4);
    auto n = newer.begin();
    CHECK_THROWS_WITH_AS(++it, doctest::Contains("moved on to a newer epoch of the same loader"), Error);
    ++n;
    CHECK(n != std::default_sentinel);
  }
  CHECK(all_batches(small, 5).size() == 2);
}

TEST_CASE("a sample that fails to load ends the epoch with an error naming it, whatever thread loaded it") {
  Pictures pictures;
  pictures.failing = 13;
  for (int64_t workers : {0, 2}) {
    CAPTURE(workers);
    data::DataLoader loader(pictures, {.batch_size = 4, .num_workers = workers});
    CHECK_THROWS_WITH_AS(all_batches(loader, 0),
                         doctest::Contains("DataLoader: loading sample 13 (epoch 0) failed: picture 13 is damaged"),
                         Error);
  }
}

TEST_CASE("a damaged image in an ImageFolder is an error naming the file") {
  const auto root = std::filesystem::temp_directory_path() / ("nabla_folder_" + std::to_string(::getpid()));
  std::filesystem::create_directories(root / "a");
  std::filesystem::create_directories(root / "b");
  io::write_png(zeros({1, 4, 4}).to(kUInt8), (root / "a" / "good.png").string());
  const std::string png = io::encode_png(ones({1, 4, 4}).to(kUInt8));
  write_file((root / "b" / "cut.png").string(), png.substr(0, png.size() / 2), "test");
  datasets::ImageFolder folder(root.string(), {.mode = io::ImageReadMode::GRAY});
  CHECK(folder.get(0).first.shape() == Shape{1, 4, 4});
  data::DataLoader loader(folder, {.batch_size = 2, .num_workers = 2});
  CHECK_THROWS_WITH_AS(all_batches(loader, 0),
                       doctest::Contains(((root / "b" / "cut.png").string() + "': damaged PNG at byte").c_str()),
                       Error);
  std::filesystem::remove_all(root);
}

TEST_CASE("default_collate stacks tensors, numbers, pairs, tuples and vectors as torch's default_collate") {
  data::DefaultCollate collate;
  const auto pair = collate(std::vector<std::pair<Tensor, int64_t>>{{ones({2}), 3}, {zeros({2}), 4}});
  CHECK(pair.first.shape() == Shape{2, 2});
  CHECK(pair.second.to_vector<int64_t>() == std::vector<int64_t>{3, 4});
  const auto tuple = collate(std::vector<std::tuple<Tensor, float, int>>{{ones({1}), 0.5f, 1}, {ones({1}), 1.5f, 2}});
  CHECK(std::get<1>(tuple).to_vector<float>() == std::vector<float>{0.5f, 1.5f});
  CHECK(std::get<2>(tuple).dtype() == kInt64);
  const auto fields = collate(std::vector<std::vector<Tensor>>{{ones({3}), zeros({1})}, {ones({3}), ones({1})}});
  REQUIRE(fields.size() == 2);
  CHECK(fields[1].shape() == Shape{2, 1});
  CHECK_THROWS_WITH_AS(collate(std::vector<Tensor>{ones({2, 3}), ones({3, 2})}),
                       doctest::Contains("stack expects each tensor to be equal size, but got [2, 3] at entry 0 and "
                                         "[3, 2] at entry 1"),
                       Error);
}

TEST_CASE("Subset, ConcatDataset and random_split index as torch.utils.data's") {
  Pictures pictures;
  pictures.count = 10;
  const auto shared = std::make_shared<const Pictures>(pictures);
  data::Subset<Pictures::Sample> subset(shared, {7, 2, 2});
  CHECK(subset.size() == 3);
  CHECK(subset.get(0).second == 7 % 3);
  CHECK_THROWS_WITH_AS(data::Subset<Pictures::Sample>(shared, {10}), doctest::Contains("index 10 is out of range"),
                       Error);
  data::ConcatDataset<Pictures::Sample> both({shared, std::make_shared<const data::Subset<Pictures::Sample>>(subset)});
  CHECK(both.size() == 13);
  CHECK(both.get(11).first.to_vector<uint8_t>() == pictures.get(2).first.to_vector<uint8_t>());
  const auto parts = data::random_split(pictures, {6, 4}, 3);
  std::vector<int64_t> all = parts[0].indices();
  all.insert(all.end(), parts[1].indices().begin(), parts[1].indices().end());
  std::sort(all.begin(), all.end());
  CHECK(all == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(data::random_split(pictures, {6, 4}, 3)[0].indices() == parts[0].indices());  // the seed decides
  CHECK_THROWS_WITH_AS(data::random_split(pictures, {6, 5}, 3),
                       doctest::Contains("Sum of input lengths (11) does not equal the length of the input dataset "
                                         "(10)"),
                       Error);
}

TEST_CASE("an IterableDataset streams its samples in order through any number of workers") {
  struct Counting : data::IterableDataset<int64_t> {
    int64_t n = 23;
    Stream stream(int64_t epoch) const override {
      auto next = std::make_shared<int64_t>(0);
      return [next, n = n, epoch]() -> std::optional<int64_t> {
        if (*next == n) return std::nullopt;
        return epoch * 100 + (*next)++;
      };
    }
  };
  for (int64_t workers : {0, 3}) {
    for (bool drop_last : {false, true}) {
      data::DataLoader loader(Counting{}, {.batch_size = 5, .num_workers = workers, .drop_last = drop_last});
      std::vector<int64_t> seen;
      for (auto& batch : loader.epoch(1))
        for (int64_t v : batch.to_vector<int64_t>()) seen.push_back(v);
      CHECK(seen.size() == (drop_last ? 20u : 23u));
      for (size_t i = 0; i < seen.size(); ++i) CHECK(seen[i] == 100 + static_cast<int64_t>(i));
    }
  }
  CHECK_THROWS_WITH_AS(data::DataLoader(Counting{}, {.shuffle = true}),
                       doctest::Contains("expected unspecified shuffle"), Error);
}

TEST_CASE("DataLoader options are checked once, with PyTorch's messages") {
  Pictures pictures;
  CHECK_THROWS_WITH_AS(data::DataLoader(pictures, {.num_workers = -1}),
                       doctest::Contains("num_workers option should be "
                                         "non-negative"),
                       Error);
  CHECK_THROWS_WITH_AS(data::DataLoader(pictures, {.prefetch_factor = 4}),
                       doctest::Contains("prefetch_factor option "
                                         "could only be specified"),
                       Error);
  CHECK_THROWS_WITH_AS(data::DataLoader(pictures, {.persistent_workers = true}),
                       doctest::Contains("persistent_workers "
                                         "option needs num_workers > 0"),
                       Error);
  CHECK_THROWS_WITH_AS(
      data::DataLoader(pictures,
                       {.shuffle = true, .sampler = data::DistributedSampler(40, {.num_replicas = 1, .rank = 0})}),
      doctest::Contains("sampler option is mutually exclusive with shuffle"), Error);
}

TEST_CASE("the tensor DataLoader gives the batches it gave before data sets, with or without workers") {
  const Tensor x = arange(50, kFloat32).reshape({25, 2}), y = arange(25);
  data::DataLoader plain(x, y, {.batch_size = 4, .shuffle = true, .seed = 9});
  data::DataLoader threaded(x, y, {.batch_size = 4, .shuffle = true, .num_workers = 2, .seed = 9});
  const auto order = plain.order(2);
  const auto a = all_batches(plain, 2), b = all_batches(threaded, 2);
  REQUIRE(a.size() == 7);
  for (size_t i = 0; i < a.size(); ++i) {
    const auto begin = order.begin() + static_cast<int64_t>(4 * i);
    const std::vector<int64_t> expected(begin, begin + std::min<int64_t>(4, order.end() - begin));
    CHECK(a[i].second.to_vector<int64_t>() == expected);  // the order, batched
    CHECK(b[i].first.to_vector<float>() == a[i].first.to_vector<float>());
  }
}

TEST_CASE("loading data leaves the global random stream (initial weights, dropout) where it was") {
  Pictures pictures;
  pictures.transform = augment();
  manual_seed(11);
  const float expected = rand({1}).item<float>();
  for (int64_t workers : {0, 2}) {
    manual_seed(11);
    data::DataLoader loader(pictures, {.batch_size = 8, .shuffle = true, .num_workers = workers});
    CHECK(all_batches(loader, 0).size() == 5);
    CHECK(rand({1}).item<float>() == expected);
  }
}

TEST_CASE("a batch_sampler gives each epoch's batches as index lists, loaded and collated in that order") {
  Pictures pictures;
  pictures.count = 9;
  int64_t calls = 0;
  const auto sampler = [&](int64_t epoch) {
    ++calls;
    return std::vector<std::vector<int64_t>>{{8, 0}, {static_cast<int64_t>(epoch)}, {1, 2, 3, 4}};
  };
  data::DataLoader loader(pictures, {.num_workers = 2, .batch_sampler = sampler});
  CHECK(calls == 0);  // not drawn ahead: a sampler with its own random stream keeps its sequence
  auto epoch = loader.epoch(5);
  CHECK(epoch.size() == 3);
  std::vector<std::vector<int64_t>> labels;
  for (auto& [x, y] : epoch) labels.push_back(y.to_vector<int64_t>());
  CHECK(labels == std::vector<std::vector<int64_t>>{{2, 0}, {2}, {1, 2, 0, 1}});
  CHECK_THROWS_WITH_AS(loader.num_batches(), doctest::Contains("ask loader.epoch(e).size()"), Error);
  CHECK_THROWS_WITH_AS(data::DataLoader(pictures, {.batch_size = 4, .batch_sampler = sampler}),
                       doctest::Contains("batch_sampler option is mutually exclusive with batch_size"), Error);
}

// `for (auto& b : DataLoader(d, {}).epoch(0))` would iterate an epoch whose loader died at the end of the range's
// initialiser (it crashed with "pure virtual method called"): epoch() on a temporary loader does not compile.
template <class Loader>
concept EpochOfTemporary = requires(Loader loader) { std::move(loader).epoch(0); };
template <class Loader>
concept EpochOfNamed = requires(const Loader& loader) { loader.epoch(0); };

TEST_CASE("DataLoader: epoch() of a temporary loader is refused at compile time, of a named one allowed") {
  CHECK_FALSE(EpochOfTemporary<data::DataLoader<data::TensorDataset>>);
  CHECK(EpochOfNamed<data::DataLoader<data::TensorDataset>>);
}
