#include "common/checkpoint.hpp"

#include <charconv>

namespace examples {

void save_checkpoint(const std::string& path, const std::vector<std::pair<std::string, nabla::StateDict>>& parts,
                     int epoch, const std::string& format) {
  nabla::StateDict all;
  for (const auto& [prefix, dict] : parts)
    for (const auto& [key, tensor] : dict) all.insert(prefix + "." + key, tensor);
  nabla::save(all, path, {{"epoch", std::to_string(epoch)}, {"format", format}});
}

const nabla::StateDict& Checkpoint::part(const std::string& prefix) const {
  const auto found = parts.find(prefix);
  NABLA_CHECK(found != parts.end(), "checkpoint '", path, "' has no '", prefix, ".*' tensors");
  return found->second;
}

Checkpoint load_checkpoint(const std::string& path, const std::string& who) {
  nabla::Metadata metadata;
  const nabla::StateDict all = nabla::load(path, &metadata);
  Checkpoint checkpoint{{}, -1, path};
  for (const auto& [key, tensor] : all) {
    const size_t dot = key.find('.');
    NABLA_CHECK(dot != std::string::npos, who, ": checkpoint '", path, "' has a key without a prefix: '", key, "'");
    checkpoint.parts[key.substr(0, dot)].insert(key.substr(dot + 1), tensor);
  }
  const std::string& text = metadata["epoch"];
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), checkpoint.epoch);
  NABLA_CHECK(error == std::errc() && end == text.data() + text.size() && checkpoint.epoch >= 0 &&
                  checkpoint.epoch < kMaxEpochs,
              who, ": checkpoint '", path, "' has no valid epoch in its metadata (got '", text, "'; expected 0 to ",
              kMaxEpochs - 1, ")");
  return checkpoint;
}

}  // namespace examples
