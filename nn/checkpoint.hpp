#pragma once
// Checkpoints in the safetensors format (an 8-byte little-endian header length, a JSON header of
// name → {dtype, shape, data_offsets}, then the raw little-endian data), with PyTorch's key names:
// weights move both ways with `safetensors.torch.save_file/load_file`.
//
// Saving writes a temporary file, flushes it to disk and renames it over the target, so a failed or
// killed save never destroys the previous checkpoint. Loading checks every size and offset: a
// truncated or corrupt file raises nabla::Error naming the file and the byte offset.
#include <map>
#include <string>

#include "nabla/core/ordered_dict.hpp"
#include "nabla/nn/module.hpp"

namespace nabla {

using Metadata = std::map<std::string, std::string>;

void save(const StateDict& tensors, const std::string& path, const Metadata& metadata = {});
StateDict load(const std::string& path, Metadata* metadata = nullptr);

void save(const nn::Module& module, const std::string& path);
void load(nn::Module& module, const std::string& path, bool strict = true);

}  // namespace nabla
