#pragma once
/// @file
/// datasets::ImageFolder: images sorted into one folder per class, as torchvision.datasets.ImageFolder reads them:
///
/// @code
///   root/ankle_boot/0001.png, root/ankle_boot/0002.png, ..., root/bag/0003.png, ...
/// @endcode
///
/// The classes are the sorted folder names (class_to_idx: name → index); the samples are each class's files with one
/// of `extensions`, walked in sorted order (subfolders included), so the sample list is torchvision's. Sample i is
/// (transform(loader(path)), class index). The default loader is io::read_image in RGB, as torchvision's PIL loader
/// (pass .mode = io::ImageReadMode::GRAY for grey images).
/// @ingroup data
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nabla/core/tensor.hpp"
#include "nabla/nn/data/dataset.hpp"
#include "nabla/nn/data/image.hpp"

namespace nabla::datasets {
/// @addtogroup data
/// @{

/// The options of ImageFolder.
struct ImageFolderOptions {
  /// applied to each image (uint8 (C, H, W)), e.g. a transforms::Compose
  std::function<Tensor(const Tensor&)> transform{};
  std::vector<std::string> extensions = {".jpg", ".jpeg", ".png"};  ///< compared lower-cased
  std::function<Tensor(const std::string& path)> loader{};          ///< default: io::read_image(path, mode)
  io::ImageReadMode mode = io::ImageReadMode::RGB;                  ///< the channels every image is converted to
};

/// torchvision.datasets.ImageFolder: `root/CLASS/.../IMAGE` files, classes the sorted folder names, samples in
/// torchvision's order. A root without classes or images is a nabla::Error.
class ImageFolder : public data::Dataset<std::pair<Tensor, int64_t>> {
 public:
  /// Lists the files (not yet reading them).
  explicit ImageFolder(const std::string& root, ImageFolderOptions options = {});
  int64_t size() const override { return static_cast<int64_t>(samples_->size()); }  ///< the number of images
  /// (the transformed image, its class); a damaged file is a nabla::Error naming it.
  Sample get(int64_t index) const override;

  const std::vector<std::string>& classes() const { return *classes_; }                  ///< the class names, sorted
  const std::map<std::string, int64_t>& class_to_idx() const { return *class_to_idx_; }  ///< class name → index
  const std::vector<std::pair<std::string, int64_t>>& samples() const { return *samples_; }  ///< (path, class)
  std::vector<int64_t> targets() const;              ///< every sample's class, in order
  const std::string& root() const { return root_; }  ///< the root folder

 private:
  std::string root_;
  ImageFolderOptions options_;
  /// Shared: copies of the data set (a DataLoader keeps one) do not copy the file list.
  std::shared_ptr<const std::vector<std::string>> classes_;
  std::shared_ptr<const std::map<std::string, int64_t>> class_to_idx_;
  std::shared_ptr<const std::vector<std::pair<std::string, int64_t>>> samples_;
};

/// @}
}  // namespace nabla::datasets
