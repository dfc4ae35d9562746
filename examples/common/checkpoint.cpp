#include "common/checkpoint.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace examples {

void save_checkpoint(const std::string& path, const std::vector<std::pair<std::string, nabla::StateDict>>& parts,
                     int epoch, const std::string& format, const nabla::Metadata& extra) {
  nabla::StateDict all;
  for (const auto& [prefix, dict] : parts)
    for (const auto& [key, tensor] : dict) all.insert(prefix + "." + key, tensor);
  nabla::Metadata metadata = extra;
  metadata["epoch"] = std::to_string(epoch);
  metadata["format"] = format;
  nabla::save(all, path, metadata);
}

const nabla::StateDict& Checkpoint::part(const std::string& prefix) const {
  const auto found = parts.find(prefix);
  NABLA_CHECK(found != parts.end(), "checkpoint '", path, "' has no '", prefix, ".*' tensors");
  return found->second;
}

Checkpoint load_checkpoint(const std::string& path, const std::string& who) {
  nabla::Metadata metadata;
  const nabla::StateDict all = nabla::load(path, &metadata);
  Checkpoint checkpoint{{}, -1, path, metadata};
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

namespace {
// A generator state as text: the engine's, then the cached normal as a hex float (exact) or "none".
std::string to_text(const nabla::RngState& state) {
  char normal[64] = "none";
  if (state.next_normal) std::snprintf(normal, sizeof normal, "%a", *state.next_normal);
  return state.engine + "\n" + normal;
}

nabla::RngState from_text(const std::string& text, const std::string& path) {
  const size_t newline = text.rfind('\n');
  NABLA_CHECK(newline != std::string::npos, "checkpoint '", path, "': its random generator state is damaged");
  nabla::RngState state{text.substr(0, newline), std::nullopt};
  const std::string normal = text.substr(newline + 1);
  if (normal != "none") {
    char* end = nullptr;
    state.next_normal = std::strtod(normal.c_str(), &end);
    NABLA_CHECK(*end == '\0' && !normal.empty(), "checkpoint '", path, "': its random generator state is damaged");
  }
  return state;
}

// A program not launched by mpirun (nor joined to a job) is a world of one, without starting MPI for it.
bool in_a_job() { return nabla::distributed::is_initialized() || nabla::distributed::is_launched(); }
int rank() { return in_a_job() ? nabla::distributed::rank() : 0; }
int world_size() { return in_a_job() ? nabla::distributed::world_size() : 1; }
}  // namespace

nabla::Metadata rng_states_of_all_ranks() {
  const std::string mine = to_text(nabla::get_rng_state());
  if (!in_a_job()) return {{"rng.ranks", "1"}, {"rng.rank0", mine}};
  const auto all = nabla::distributed::all_gather_string(mine);
  nabla::Metadata metadata{{"rng.ranks", std::to_string(all.size())}};
  for (size_t r = 0; r < all.size(); ++r) metadata["rng.rank" + std::to_string(r)] = all[r];
  return metadata;
}

bool restore_rng_state(const Checkpoint& checkpoint) {
  const auto ranks = checkpoint.metadata.find("rng.ranks");
  const auto mine = checkpoint.metadata.find("rng.rank" + std::to_string(rank()));
  if (ranks == checkpoint.metadata.end() || mine == checkpoint.metadata.end() ||
      ranks->second != std::to_string(world_size()))
    return false;
  nabla::set_rng_state(from_text(mine->second, checkpoint.path));
  return true;
}

}  // namespace examples
