// IDX reading through zlib's gz* functions, which read plain and gzip-compressed files alike.
#include "nabla/nn/data/mnist.hpp"

#include <zlib.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "nabla/core/error.hpp"
#include "nabla/core/file.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/ops/elementwise.hpp"

namespace nabla::data {
namespace {

struct GzFile {
  gzFile file;
  ~GzFile() {
    if (file) gzclose(file);
  }
};

// Reads exactly `size` bytes at `offset` (of the uncompressed stream), or fails naming both.
void read_exactly(const GzFile& in, const std::string& path, void* out, size_t size, size_t offset, const char* what) {
  size_t done = 0;
  while (done < size) {
    const int chunk = static_cast<int>(std::min<size_t>(size - done, 1u << 30));
    const int got = gzread(in.file, static_cast<char*>(out) + done, static_cast<unsigned>(chunk));
    if (got < 0) {
      int code = 0;
      const char* message = gzerror(in.file, &code);
      nabla::detail::fail("read_idx: '", path, "' is corrupt at byte offset ", offset + done, " (", what,
                          "): ", message);
    }
    if (got == 0)
      nabla::detail::fail("read_idx: '", path, "' is truncated: reading ", what, ", the file ends at byte offset ",
                          offset + done);
    done += static_cast<size_t>(got);
  }
}

}  // namespace

Tensor read_idx(const std::string& path) {
  check_readable_file(path, "read_idx");  // gzread of a directory or /dev/zero would not end cleanly
  GzFile in{gzopen(path.c_str(), "rb")};
  NABLA_CHECK(in.file != nullptr, "read_idx: cannot open '", path, "'");
  unsigned char magic[4];
  read_exactly(in, path, magic, 4, 0, "the magic number");
  NABLA_CHECK(magic[0] == 0 && magic[1] == 0, "read_idx: '", path, "' is not an IDX file: at byte offset 0, the magic "
              "number should start with two zero bytes, got ", int(magic[0]), " ", int(magic[1]));
  NABLA_CHECK(magic[2] == 0x08, "read_idx: '", path, "': at byte offset 2, the data type is 0x", std::hex,
              int(magic[2]), std::dec, "; only unsigned bytes (0x08) are supported");
  const int rank = magic[3];
  NABLA_CHECK(rank >= 1 && rank <= 4, "read_idx: '", path, "': at byte offset 3, the rank is ", rank,
              "; expected 1 to 4 dimensions");
  Shape shape;
  for (int d = 0; d < rank; ++d) {
    unsigned char be[4];
    read_exactly(in, path, be, 4, 4 + 4 * d, "a dimension");
    shape.push_back((int64_t(be[0]) << 24) | (int64_t(be[1]) << 16) | (int64_t(be[2]) << 8) | int64_t(be[3]));
  }
  const size_t header = 4 + 4 * static_cast<size_t>(rank);
  check_allocatable(shape, kInt64, "read_idx: '" + path + "': the header at byte offset 4");
  const auto count = static_cast<size_t>(numel(shape));
  // Read in chunks, so that a forged header claiming gigabytes costs only what the file really holds.
  const std::string what =
      "data (the header's shape " + shape_str(shape) + " needs " + std::to_string(count) + " bytes)";
  std::vector<unsigned char> bytes;
  while (bytes.size() < count) {
    const size_t before = bytes.size(), chunk = std::min<size_t>(count - before, size_t{1} << 24);
    bytes.resize(before + chunk);
    read_exactly(in, path, bytes.data() + before, chunk, header + before, what.c_str());
  }
  unsigned char extra;
  NABLA_CHECK(gzread(in.file, &extra, 1) == 0, "read_idx: '", path, "': trailing bytes after the data at byte offset ",
              header + bytes.size(), "; the header's shape ", shape_str(shape), " does not match the file");
  Tensor out = empty(shape, kInt64);
  std::copy(bytes.begin(), bytes.end(), out.data_ptr<int64_t>());
  return out;
}

namespace {

std::string find_file(const std::string& folder, const std::string& stem) {
  for (const char* suffix : {"", ".gz"})
    if (std::filesystem::exists(folder + "/" + stem + suffix)) return folder + "/" + stem + suffix;
  nabla::detail::fail("load_mnist: no '", stem, "' or '", stem, ".gz' in '", folder,
                      "'; point at a folder of MNIST-format IDX files (e.g. /usr/share/datasets/fashion-mnist)");
}

// The split's images (N, rows, columns) and labels (N) as read_idx gives them, checked against each other.
std::pair<Tensor, Tensor> read_split(const std::string& folder, bool train, const char* who) {
  const std::string split = train ? "train" : "t10k";
  const std::string images_path = find_file(folder, split + "-images-idx3-ubyte");
  const std::string labels_path = find_file(folder, split + "-labels-idx1-ubyte");
  const Tensor images = read_idx(images_path), labels = read_idx(labels_path);
  NABLA_CHECK(images.dim() == 3, who, ": '", images_path, "' holds a ", images.dim(), "-D array ",
              shape_str(images.shape()), "; expected images (N, rows, columns)");
  NABLA_CHECK(labels.dim() == 1 && labels.size(0) == images.size(0), who, ": '", labels_path, "' holds ",
              shape_str(labels.shape()), " but '", images_path, "' holds ", images.size(0), " images");
  return {images, labels};
}

}  // namespace

Mnist load_mnist(const std::string& folder, const MnistOptions& options) {
  const auto [images, labels] = read_split(folder, options.train, "load_mnist");
  const Tensor scaled = images.to(kFloat32).unsqueeze(1) * (1.0 / 255.0);
  return {(scaled - options.mean) * (1.0 / options.std), labels};
}

}  // namespace nabla::data

namespace nabla::datasets {

MNIST::MNIST(const std::string& root, MNISTOptions options) : transform_(std::move(options.transform)) {
  auto [images, labels] = data::read_split(root, options.train, "MNIST");
  images_ = images.to(kUInt8).unsqueeze(1).contiguous();
  labels_ = labels.to_vector<int64_t>();
}

MNIST::Sample MNIST::get(int64_t index) const {
  data::detail::check_index("MNIST", index, size());
  const Tensor image = images_.select(0, index).clone();  // its own storage: a transform may write into it
  return {transform_ ? transform_(image) : image, labels_[static_cast<size_t>(index)]};
}

}  // namespace nabla::datasets
