#pragma once
// The examples' training checkpoints: several state dicts ("model", "optimizer", or a GAN's two networks and
// two optimizers) in one safetensors file under prefixes ("model.conv1.weight"), with the finished epoch and the
// example's name in the metadata. nabla::save writes it atomically: a killed save leaves the previous one.
#include <nabla/nabla.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace examples {

// Epochs are counted in an int: a run, and a checkpoint's epoch, stay far below this (epoch + 1 cannot overflow).
inline constexpr int kMaxEpochs = 1'000'000;

void save_checkpoint(const std::string& path, const std::vector<std::pair<std::string, nabla::StateDict>>& parts,
                     int epoch, const std::string& format);

struct Checkpoint {
  std::map<std::string, nabla::StateDict> parts;  // by prefix, the prefix taken off the keys
  int epoch;
  std::string path;
  // The part under `prefix`; an error naming the file when it has none.
  const nabla::StateDict& part(const std::string& prefix) const;
};
// Reads a file save_checkpoint wrote; `who` names the program in errors.
Checkpoint load_checkpoint(const std::string& path, const std::string& who);

}  // namespace examples
