#pragma once
/// @file
/// Checkpoints in the safetensors format (an 8-byte little-endian header length, a JSON header of
/// name → {dtype, shape, data_offsets}, then the raw little-endian data), with PyTorch's key names:
/// weights move both ways with `safetensors.torch.save_file/load_file`.
///
/// Saving writes a temporary file, flushes it to disk and renames it over the target, so a failed or
/// killed save never destroys the previous checkpoint (and the next save removes what a killed one left).
/// Loading checks every size and offset, that the tensors tile the data exactly, and bools: a truncated
/// or corrupt file raises nabla::Error naming the file and the byte offset. Files Nabla writes also carry
/// CRC-32s of their data and of their header text in the metadata ("nabla.crc32", "nabla.header_crc32"),
/// which load checks when present, so a flipped byte anywhere is caught; other tools ignore them.
/// @ingroup checkpoints
#include <map>
#include <string>

#include "nabla/core/ordered_dict.hpp"
#include "nabla/nn/module.hpp"

namespace nabla {
/// @addtogroup checkpoints
/// @{

/// string metadata stored in a safetensors header ("__metadata__")
using Metadata = std::map<std::string, std::string>;

/// Writes `tensors` (and `metadata`) as a safetensors file, atomically: the previous file survives a failed save.
void save(const StateDict& tensors, const std::string& path, const Metadata& metadata = {});
/// Reads a safetensors file; its metadata into `*metadata` when given. A corrupt file is a nabla::Error naming the file
/// and the byte offset.
StateDict load(const std::string& path, Metadata* metadata = nullptr);

/// Saves module.state_dict() (torch.save(model.state_dict()) in safetensors, with PyTorch's key names).
void save(const nn::Module& module, const std::string& path);
/// Loads a file into module.load_state_dict(..., strict).
void load(nn::Module& module, const std::string& path, bool strict = true);

/// @}
}  // namespace nabla
