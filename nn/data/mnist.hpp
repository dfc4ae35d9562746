#pragma once
/// @file
/// MNIST-format data sets (IDX files, plain or gzip-compressed): the original digits, Fashion-MNIST,
/// or any folder holding {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz].
/// @ingroup data
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "nabla/core/tensor.hpp"
#include "nabla/nn/data/dataset.hpp"

namespace nabla::data {
/// @addtogroup data
/// @{

/// An IDX file as a tensor: unsigned-byte data becomes int64 values of the file's shape. Wrong
/// magic, impossible sizes, truncated or corrupt files raise nabla::Error naming the file and the
/// byte offset (in the uncompressed stream).
Tensor read_idx(const std::string& path);

/// The options of load_mnist.
struct MnistOptions {
  bool train = true;     ///< the 60,000 training images, else the 10,000 test images
  double mean = 0.2860;  ///< normalisation after scaling to [0, 1]; Fashion-MNIST's (MNIST: 0.1307)
  double std = 0.3530;   ///< (MNIST: 0.3081)
};

/// images: (N, 1, 28, 28) float32, normalised; labels: (N) int64.
struct Mnist {
  Tensor images;                                   ///< (N, 1, 28, 28) float32, normalised
  Tensor labels;                                   ///< (N) int64
  int64_t size() const { return labels.size(0); }  ///< the number of images
};

/// Reads `folder/{train|t10k}-images-idx3-ubyte[.gz]` and the matching labels.
Mnist load_mnist(const std::string& folder, const MnistOptions& options = {});

/// @}
}  // namespace nabla::data

namespace nabla::datasets {
/// @addtogroup data
/// @{

/// The options of datasets::MNIST, in torchvision's order.
struct MNISTOptions {
  bool train = true;  ///< the 60,000 training images, else the 10,000 test images
  /// applied to each uint8 (1, 28, 28) image, e.g. transforms::ToTensor()
  std::function<Tensor(const Tensor&)> transform{};
};

/// torchvision.datasets.MNIST over a folder of IDX files (MNIST, Fashion-MNIST): sample i is (transform(image), label)
/// with the image a uint8 (1, 28, 28) tensor, as read_image gives a grey PNG (ToTensor makes it float in [0, 1]).
class MNIST : public data::Dataset<std::pair<Tensor, int64_t>> {
 public:
  /// Reads the IDX files under `root` (a nabla::Error naming a missing or corrupt one).
  explicit MNIST(const std::string& root, MNISTOptions options = {});
  int64_t size() const override { return images_.size(0); }        ///< the number of images
  Sample get(int64_t index) const override;                        ///< (transform(image), label)
  const Tensor& data() const { return images_; }                   ///< uint8 (N, 1, 28, 28)
  const std::vector<int64_t>& targets() const { return labels_; }  ///< the labels, in order

 private:
  Tensor images_;
  std::vector<int64_t> labels_;
  std::function<Tensor(const Tensor&)> transform_;
};

/// @}
}  // namespace nabla::datasets
