// The data pipeline's throughput: images/s of a DataLoader over an ImageFolder (decode, transforms, collate), for
// tools/bench/data.py, which runs torchvision's twin (data_twin.py) beside it. Prints "M,<metric>,threads=W,
// batch=B,med=X" lines: augment_imgs_per_s (decode + RandomCrop(28, padding=2) + RandomHorizontalFlip + ToTensor +
// Normalize + collate, the MobileNet example's pipeline) and decode_imgs_per_s (decode + collate only), after an
// untimed pass that brings the files into the page cache.
//
//   build/tools/bench/bench_data --root data/fashion-png/train --workers 2 --images 10000 --repeats 3
#include <CLI/CLI.hpp>
#include <nabla/nabla.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

using namespace nabla;

namespace {

transforms::Transform pipeline(bool augment) {
  if (!augment) return [](const Tensor& x) { return x; };
  return transforms::Compose({transforms::RandomCrop({.size = {28}, .padding = {2}}),
                              transforms::RandomHorizontalFlip(), transforms::ToTensor(),
                              transforms::Normalize({.mean = {0.2860}, .std = {0.3530}})});
}

// One epoch over `images` random files of the folder, from the loader's start to its last batch.
double images_per_second(const std::string& root, bool augment, int64_t images, int64_t workers, int64_t batch,
                         uint64_t seed) {
  const auto folder = std::make_shared<const datasets::ImageFolder>(
      root, datasets::ImageFolderOptions{.transform = pipeline(augment), .mode = io::ImageReadMode::GRAY});
  std::vector<int64_t> subset = data::Generator(0).randperm(folder->size());  // the same files every epoch
  subset.resize(static_cast<size_t>(std::min(images, folder->size())));
  const auto start = std::chrono::steady_clock::now();
  data::DataLoader loader(data::Subset(folder, subset),
                          {.batch_size = batch, .shuffle = true, .num_workers = workers, .seed = seed});
  int64_t seen = 0;
  for (auto& [x, y] : loader.epoch(0)) seen += x.size(0);
  return static_cast<double>(seen) / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"DataLoader throughput over an ImageFolder"};
  std::string root;
  int64_t workers = 2, images = 10000, batch = 128, repeats = 3;
  app.add_option("--root", root, "an ImageFolder root (class folders of PNG or JPEG files)")->required();
  app.add_option("--workers", workers, "loader threads")->capture_default_str();
  app.add_option("--images", images, "images per epoch")->capture_default_str();
  app.add_option("--batch", batch, "batch size")->capture_default_str();
  app.add_option("--repeats", repeats, "epochs measured (the median is printed)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  set_num_threads(1);  // the loop thread only collects; the workers do the work
  images_per_second(root, false, images, workers, batch, 0);  // untimed: the files into the page cache
  std::vector<double> rates[2];                               // decode, augment: alternated, each repeat
  for (int64_t r = 0; r < repeats; ++r)
    for (const bool augment : {true, false})
      rates[augment].push_back(images_per_second(root, augment, images, workers, batch, static_cast<uint64_t>(r)));
  for (const bool augment : {true, false}) {
    std::sort(rates[augment].begin(), rates[augment].end());
    std::printf("M,%s,threads=%lld,batch=%lld,med=%.1f\n", augment ? "augment_imgs_per_s" : "decode_imgs_per_s",
                static_cast<long long>(workers), static_cast<long long>(batch),
                rates[augment][rates[augment].size() / 2]);
  }
}
