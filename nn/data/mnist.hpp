#pragma once
// MNIST-format data sets (IDX files, plain or gzip-compressed): the original digits, Fashion-MNIST,
// or any folder holding {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz].
#include <string>

#include "nabla/core/tensor.hpp"

namespace nabla::data {

// An IDX file as a tensor: unsigned-byte data becomes int64 values of the file's shape. Wrong
// magic, impossible sizes, truncated or corrupt files raise nabla::Error naming the file and the
// byte offset (in the uncompressed stream).
Tensor read_idx(const std::string& path);

struct MnistOptions {
  bool train = true;    // the 60,000 training images, else the 10,000 test images
  double mean = 0.2860;  // normalisation after scaling to [0, 1]; Fashion-MNIST's (MNIST: 0.1307)
  double std = 0.3530;   // (MNIST: 0.3081)
};

// images: (N, 1, 28, 28) float32, normalised; labels: (N) int64.
struct Mnist {
  Tensor images;
  Tensor labels;
  int64_t size() const { return labels.size(0); }
};

// Reads <folder>/{train|t10k}-images-idx3-ubyte[.gz] and the matching labels.
Mnist load_mnist(const std::string& folder, const MnistOptions& options = {});

}  // namespace nabla::data
