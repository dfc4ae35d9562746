// safetensors reading and writing. nlohmann-json (Debian's nlohmann-json3-dev) parses the header.
#include "nabla/nn/checkpoint.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "nabla/core/error.hpp"
#include "nabla/core/factory.hpp"
#include "core/tensor_impl.h"

namespace nabla {
namespace {

const char* safetensors_dtype(Dtype dtype) {
  switch (dtype) {
    case Dtype::Float32: return "F32";
    case Dtype::Int64: return "I64";
    case Dtype::Bool: return "BOOL";
  }
  return "?";
}

bool parse_dtype(const std::string& name, Dtype& dtype) {
  if (name == "F32") dtype = kFloat32;
  else if (name == "I64") dtype = kInt64;
  else if (name == "BOOL") dtype = kBool;
  else return false;
  return true;
}

// Owns a file descriptor; closes it on every path out.
struct File {
  int fd;
  ~File() {
    if (fd >= 0) ::close(fd);
  }
};

void write_all(int fd, const void* data, size_t size, const std::string& path) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t written = ::write(fd, p, size);
    if (written < 0 && errno == EINTR) continue;
    NABLA_CHECK(written > 0, "save: writing '", path, "' failed: ", std::strerror(errno));
    p += written;
    size -= static_cast<size_t>(written);
  }
}

void write_file_atomically(const std::string& path, const std::vector<std::pair<const void*, size_t>>& parts) {
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  try {
    File file{::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
    NABLA_CHECK(file.fd >= 0, "save: cannot create '", temporary, "': ", std::strerror(errno));
    for (const auto& [data, size] : parts) write_all(file.fd, data, size, temporary);
    NABLA_CHECK(::fsync(file.fd) == 0, "save: flushing '", temporary, "' failed: ", std::strerror(errno));
  } catch (...) {
    std::filesystem::remove(temporary);
    throw;
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    std::filesystem::remove(temporary);
    detail::fail("save: cannot replace '", path, "': ", std::strerror(error));
  }
  // Make the rename itself durable.
  const std::filesystem::path parent = std::filesystem::absolute(path).parent_path();
  File dir{::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir.fd >= 0) ::fsync(dir.fd);
}

}  // namespace

void save(const StateDict& tensors, const std::string& path, const Metadata& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<Tensor> dense;
  size_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    NABLA_CHECK(tensor.defined(), "save: tensor '", name, "' is undefined (an uninitialized parameter of a lazy "
                "module? Run a forward pass first, so it knows its shape)");
    NABLA_CHECK(name != "__metadata__", "save: '__metadata__' is reserved by the safetensors format");
    dense.push_back(tensor.contiguous());
    const size_t bytes = static_cast<size_t>(tensor.numel()) * element_size(tensor.dtype());
    header[name] = {{"dtype", safetensors_dtype(tensor.dtype())},
                    {"shape", tensor.shape()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // pad the header to 8 bytes with spaces, as the format does
  const uint64_t length = text.size();           // little-endian on x86, as the format wants

  std::vector<std::pair<const void*, size_t>> parts{{&length, sizeof length}, {text.data(), text.size()}};
  for (const Tensor& t : dense)
    parts.emplace_back(t.impl()->data(), static_cast<size_t>(t.numel()) * element_size(t.dtype()));
  write_file_atomically(path, parts);
}

StateDict load(const std::string& path, Metadata* metadata) {
  std::ifstream in(path, std::ios::binary);
  NABLA_CHECK(in, "load: cannot open '", path, "': ", std::strerror(errno));
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  const auto fail_at = [&](size_t offset, const auto&... what) {
    detail::fail("load: '", path, "' is not a valid safetensors file: at byte offset ", offset, ": ", what...);
  };
  if (bytes.size() < 8) fail_at(0, "the file has ", bytes.size(), " bytes, too few for the 8-byte header length");
  uint64_t header_size = 0;
  std::memcpy(&header_size, bytes.data(), 8);
  if (header_size > bytes.size() - 8)
    fail_at(8, "the header claims ", header_size, " bytes but only ", bytes.size() - 8, " follow (truncated file?)");
  const size_t data_start = 8 + header_size;

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + static_cast<std::ptrdiff_t>(data_start));
  } catch (const nlohmann::json::parse_error& e) {
    fail_at(8 + e.byte, "the JSON header does not parse (", e.what(), ")");
  }
  if (!header.is_object()) fail_at(8, "the JSON header is not an object");

  StateDict out;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (metadata && entry.is_object())
        for (const auto& [key, value] : entry.items())
          if (value.is_string()) (*metadata)[key] = value.get<std::string>();
      continue;
    }
    const bool well_formed = entry.is_object() && entry.contains("dtype") && entry["dtype"].is_string() &&
                             entry.contains("shape") && entry["shape"].is_array() && entry.contains("data_offsets") &&
                             entry["data_offsets"].is_array() && entry["data_offsets"].size() == 2;
    if (!well_formed) fail_at(8, "the header entry for '", name, "' lacks dtype, shape or data_offsets");
    Dtype dtype{};
    if (!parse_dtype(entry["dtype"].get<std::string>(), dtype))
      fail_at(8, "tensor '", name, "' has dtype ", entry["dtype"].get<std::string>(), ", which Nabla does not hold");
    Shape shape;
    for (const auto& d : entry["shape"]) {
      if (!d.is_number_unsigned()) fail_at(8, "tensor '", name, "' has a malformed shape");
      shape.push_back(d.get<int64_t>());
    }
    const auto begin = entry["data_offsets"][0].get<uint64_t>(), end = entry["data_offsets"][1].get<uint64_t>();
    const auto size = checked_nbytes(shape, dtype);
    if (!size) fail_at(data_start + begin, "tensor '", name, "' has the impossible shape ", shape_str(shape));
    const auto expected = static_cast<uint64_t>(*size);
    if (end < begin || end - begin != expected)
      fail_at(data_start + begin, "tensor '", name, "' of shape ", shape_str(shape), " needs ", expected,
              " bytes but its data_offsets span ", end - begin);
    if (end > bytes.size() - data_start)
      fail_at(data_start + begin, "tensor '", name, "' runs past the end of the file (ends at byte ", data_start + end,
              " of ", bytes.size(), "; truncated file?)");
    Tensor t = empty(shape, dtype);
    std::memcpy(t.impl()->mutable_data(), bytes.data() + data_start + begin, expected);
    out.insert(name, t);
  }
  return out;
}

void save(const nn::Module& module, const std::string& path) { save(module.state_dict(), path); }

void load(nn::Module& module, const std::string& path, bool strict) { module.load_state_dict(load(path), strict); }

}  // namespace nabla
