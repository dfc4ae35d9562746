// The IDX reader, load_mnist, the DataLoader, and a short training run on real Fashion-MNIST.
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <numeric>

#include "helpers.hpp"
#include "mnist/net.hpp"

using namespace nabla;

namespace {

std::string temp_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("nabla_data_" + std::to_string(::getpid()) + "_" + name);
  std::filesystem::create_directories(dir);
  return dir.string();
}

std::string idx_bytes(const std::vector<uint32_t>& shape, const std::vector<uint8_t>& data) {
  std::string s{0, 0, 0x08, static_cast<char>(shape.size())};
  for (uint32_t d : shape)
    for (int shift = 24; shift >= 0; shift -= 8) s += static_cast<char>((d >> shift) & 0xff);
  return s + std::string(data.begin(), data.end());
}

void write_plain(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

void write_gzip(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

}  // namespace

TEST_CASE("read_idx reads plain and gzip-compressed IDX files alike") {
  const std::string dir = temp_dir("idx");
  const std::string bytes = idx_bytes({2, 3}, {1, 2, 3, 4, 5, 255});
  write_plain(dir + "/a.idx", bytes);
  write_gzip(dir + "/a.idx.gz", bytes);
  for (const char* name : {"/a.idx", "/a.idx.gz"}) {
    const Tensor t = data::read_idx(dir + name);
    CHECK(t.shape() == Shape{2, 3});
    CHECK(t.to_vector<int64_t>() == std::vector<int64_t>{1, 2, 3, 4, 5, 255});
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("read_idx names the file and the byte offset of what is wrong") {
  const std::string dir = temp_dir("bad");
  const std::string good = idx_bytes({2, 3}, {1, 2, 3, 4, 5, 6});
  const auto error_of = [&](const std::string& bytes, bool gzip) {
    const std::string path = dir + (gzip ? "/f.gz" : "/f");
    gzip ? write_gzip(path, bytes) : write_plain(path, bytes);
    try {
      data::read_idx(path);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(
      error_of(std::string("\x01\x00\x08\x01", 4) + good.substr(4), false).find("at byte offset 0, the magic number") !=
      std::string::npos);
  CHECK(error_of(std::string("\x00\x00\x0d\x01", 4) + good.substr(4), false)
            .find("at byte offset 2, the data type is 0xd") != std::string::npos);
  const std::string truncated = error_of(good.substr(0, good.size() - 2), true);
  CHECK(truncated.find(dir + "/f.gz' is truncated: reading data (the header's shape [2, 3] needs 6 bytes), the file "
                             "ends at byte offset 16") != std::string::npos);
  // A flipped header bit claiming a million rows: refused by its truncation, having read only what is there.
  std::string forged = good;
  forged[5] = '\x10';
  CHECK(error_of(forged, false).find("the file ends at byte offset 18") != std::string::npos);
  // Four dims of 65536: more elements than an int64 counts, or more memory than the machine has.
  CHECK(error_of(std::string("\0\0\x08\x04\0\x01\0\0\0\x01\0\0\0\x01\0\0\0\x01\0\0", 20), false).find("int64") !=
        std::string::npos);
  CHECK(error_of(std::string("\0\0\x08\x02\0\x01\0\0\x7f\0\0\0", 12), false).find("GiB of memory") !=
        std::string::npos);
  CHECK(error_of(good.substr(0, 6), false).find("truncated") != std::string::npos);
  CHECK(error_of(good + "xx", false).find("trailing bytes after the data at byte offset 18") != std::string::npos);
  // A gzip stream with damaged compressed data.
  write_gzip(dir + "/c.gz", idx_bytes({1000}, std::vector<uint8_t>(1000, 7)));
  std::string compressed;
  {
    std::ifstream in(dir + "/c.gz", std::ios::binary);
    compressed.assign(std::istreambuf_iterator<char>(in), {});
  }
  for (size_t i = 12; i < compressed.size() - 8; ++i) compressed[i] = static_cast<char>(compressed[i] ^ 0x5a);
  write_plain(dir + "/c.gz", compressed);
  CHECK_THROWS_WITH_AS(data::read_idx(dir + "/c.gz"), doctest::Contains("c.gz' is"), Error);
  CHECK_THROWS_WITH_AS(data::read_idx(dir + "/missing"), doctest::Contains("cannot open"), Error);
  std::filesystem::remove_all(dir);
}

TEST_CASE("load_mnist reads any MNIST-format folder and normalises the images") {
  const std::string dir = temp_dir("mnist");
  write_plain(dir + "/t10k-images-idx3-ubyte", idx_bytes({2, 2, 2}, {0, 255, 0, 255, 255, 0, 255, 0}));
  write_gzip(dir + "/t10k-labels-idx1-ubyte.gz", idx_bytes({2}, {3, 9}));
  const data::Mnist test = data::load_mnist(dir, {.train = false, .mean = 0.5, .std = 0.5});
  CHECK(test.images.shape() == Shape{2, 1, 2, 2});
  CHECK(test.images.to_vector<float>() == std::vector<float>{-1, 1, -1, 1, 1, -1, 1, -1});
  CHECK(test.labels.to_vector<int64_t>() == std::vector<int64_t>{3, 9});
  CHECK_THROWS_WITH_AS(data::load_mnist(dir, {.train = true}),
                       doctest::Contains("no 'train-images-idx3-ubyte' or 'train-images-idx3-ubyte.gz'"), Error);
  write_gzip(dir + "/t10k-labels-idx1-ubyte.gz", idx_bytes({3}, {3, 9, 1}));
  CHECK_THROWS_WITH_AS(data::load_mnist(dir, {.train = false}), doctest::Contains("holds [3] but"), Error);
  std::filesystem::remove_all(dir);
}

TEST_CASE("DataLoader batches in order, shuffles reproducibly per epoch, and can drop the last batch") {
  const Tensor x = arange(10, kFloat32).reshape({10, 1}), y = arange(10);
  const auto batches_of = [](const auto& loader, int64_t epoch) {
    std::vector<std::pair<Tensor, Tensor>> batches;
    for (auto& batch : loader.epoch(epoch)) batches.push_back(batch);
    return batches;
  };
  data::DataLoader plain(x, y, {.batch_size = 4});
  const auto batches = batches_of(plain, 0);
  REQUIRE(batches.size() == 3);
  CHECK(batches[0].second.to_vector<int64_t>() == std::vector<int64_t>{0, 1, 2, 3});
  CHECK(batches[2].second.to_vector<int64_t>() == std::vector<int64_t>{8, 9});
  CHECK(batches[2].first.shape() == Shape{2, 1});
  data::DataLoader dropping(x, y, {.batch_size = 4, .drop_last = true});
  CHECK(dropping.num_batches() == 2);
  data::DataLoader shuffled(x, y, {.batch_size = 10, .shuffle = true, .seed = 7});
  const auto first = batches_of(shuffled, 0)[0].second.to_vector<int64_t>();
  CHECK(first != y.to_vector<int64_t>());
  CHECK(batches_of(shuffled, 0)[0].second.to_vector<int64_t>() == first);  // same seed and epoch: same order
  CHECK(batches_of(shuffled, 1)[0].second.to_vector<int64_t>() != first);  // a new order each epoch
  auto sorted = first;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == y.to_vector<int64_t>());  // a permutation
  CHECK_THROWS_WITH_AS(data::DataLoader(x, arange(9), {.batch_size = 4}),
                       doctest::Contains("same size along dim 0, got [10, 1] and [9]"), Error);
  CHECK_THROWS_WITH_AS(data::DataLoader(x, y, {.batch_size = 0}),
                       doctest::Contains("batch_size should be a positive integer"), Error);
}

TEST_CASE("the MNIST network trains on a Fashion-MNIST subset: the loss falls") {
  const std::string folder = "/usr/share/datasets/fashion-mnist";
  REQUIRE_MESSAGE(std::filesystem::exists(folder),
                  "Fashion-MNIST is missing: tools/deps installs dataset-fashion-mnist");
  const data::Mnist train = data::load_mnist(folder, {.train = true});
  manual_seed(1);
  Net model;
  optim::Adam optimizer(model.parameters(), {.lr = 1e-3});
  data::DataLoader loader(train.images.narrow(0, 0, 6400), train.labels.narrow(0, 0, 6400),
                          {.batch_size = 32, .shuffle = true, .seed = 1});
  std::vector<float> losses;
  for (int epoch = 0; losses.size() < 300; ++epoch)
    for (const auto& [x, y] : loader.epoch(epoch)) {
      optimizer.zero_grad();
      const Tensor loss = F::nll_loss(model(x), y);
      loss.backward();
      optimizer.step();
      losses.push_back(loss.item<float>());
      if (losses.size() == 300) break;
    }
  const auto mean = [](auto begin, auto end) { return std::accumulate(begin, end, 0.0) / std::distance(begin, end); };
  const double early = mean(losses.begin(), losses.begin() + 30), late = mean(losses.end() - 30, losses.end());
  CAPTURE(early);
  CAPTURE(late);
  CHECK(losses.front() > 2.0);  // about ln(10) = 2.30 before any step
  CHECK(late < 0.6 * early);     // clearly lower after 300 steps
  CHECK(late < 0.9);
}

TEST_CASE("the MNIST example trains to the same numbers on the streaming DataLoader as on the batches of before") {
  const data::Mnist train = data::load_mnist("/usr/share/datasets/fashion-mnist", {.train = true});
  const Tensor images = train.images.narrow(0, 0, 640), labels = train.labels.narrow(0, 0, 640);
  // Before data sets: the epoch's order (seed, epoch), cut into batches by index_select.
  const auto losses_of = [&](bool streaming, int64_t workers) {
    manual_seed(1);
    Net model;
    optim::Adam optimizer(model.parameters(), {.lr = 1e-3});
    data::DataLoader loader(images, labels, {.batch_size = 64, .shuffle = true, .num_workers = workers, .seed = 1});
    std::vector<float> losses;
    const auto step = [&](const Tensor& x, const Tensor& y) {
      optimizer.zero_grad();
      const Tensor loss = F::nll_loss(model(x), y);
      loss.backward();
      optimizer.step();
      losses.push_back(loss.item<float>());
    };
    for (int64_t epoch = 1; epoch <= 2; ++epoch) {
      if (streaming) {
        for (auto& [x, y] : loader.epoch(epoch)) step(x, y);
        continue;
      }
      const auto order = data::detail::epoch_order(640, true, 1, epoch);
      for (int64_t b = 0; b < 10; ++b) {
        const Tensor idx =
            from_vector(std::vector<int64_t>(order.begin() + 64 * b, order.begin() + 64 * (b + 1)), {64});
        step(images.index_select(0, idx), labels.index_select(0, idx));
      }
    }
    return losses;
  };
  const auto before = losses_of(false, 0);
  REQUIRE(before.size() == 20);
  CHECK(losses_of(true, 0) == before);
  CHECK(losses_of(true, 2) == before);
}
