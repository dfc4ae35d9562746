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

// `extra`: more metadata, e.g. rng_states_of_all_ranks().
void save_checkpoint(const std::string& path, const std::vector<std::pair<std::string, nabla::StateDict>>& parts,
                     int epoch, const std::string& format, const nabla::Metadata& extra = {});

struct Checkpoint {
  std::map<std::string, nabla::StateDict> parts;  // by prefix, the prefix taken off the keys
  int epoch;
  std::string path;
  nabla::Metadata metadata;
  // The part under `prefix`; an error naming the file when it has none.
  const nabla::StateDict& part(const std::string& prefix) const;
};
// Reads a file save_checkpoint wrote; `who` names the program in errors.
Checkpoint load_checkpoint(const std::string& path, const std::string& who);

// Exact resume: every rank's random generator (its dropout masks, its noise), as metadata entries "rng.rank<r>"
// with "rng.ranks". Collective: every rank calls it (under mpirun), before rank 0 saves.
nabla::Metadata rng_states_of_all_ranks();
// Puts this rank's generator where the checkpoint's run had it, so the resumed run draws what the uninterrupted one
// would have. False (the generator left alone) when the checkpoint has none for this job: an older checkpoint, or one
// from a run with another number of ranks.
bool restore_rng_state(const Checkpoint& checkpoint);

}  // namespace examples
