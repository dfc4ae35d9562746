// The kill test: a child process saves a ~50 MB checkpoint over an existing one in a loop and is SIGKILLed at
// a random moment, TRIALS times. After each kill the checkpoint at the path must load and equal one of the
// two states the child alternates between (the parent's first save is one of them), and killed saves must
// not pile up temporary files (the next save removes a dead process's). Prints the tally; exits 1 on failure.
//
//   nabla_kill_save [TRIALS] [MEGABYTES]     (the child is this program again: nabla_kill_save --child PATH MB)
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nabla/nabla.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

extern char** environ;

namespace {

using namespace nabla;

// State `tag` (1 or 2): one tensor of megabytes MiB whose every value says which state it belongs to.
StateDict state(int tag, int64_t megabytes) {
  const int64_t n = megabytes * (1 << 20) / 4;
  Tensor w = empty({n});
  float* p = w.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(tag * 1000 + i % 997);
  StateDict out;
  out.insert("weight", w);
  out.insert("tag", from_vector(std::vector<int64_t>{tag}, {1}));
  return out;
}

// Which state the loaded dict is (0: neither, or torn).
int which(const StateDict& loaded, int64_t megabytes) {
  if (!loaded.contains("tag") || !loaded.contains("weight")) return 0;
  const int64_t tag = loaded["tag"].item<int64_t>();
  if (tag != 1 && tag != 2) return 0;
  const Tensor w = loaded["weight"];
  if (w.numel() != megabytes * (1 << 20) / 4) return 0;
  const float* p = w.data_ptr<float>();
  for (int64_t i = 0; i < w.numel(); ++i)
    if (p[i] != static_cast<float>(tag * 1000 + i % 997)) return 0;
  return static_cast<int>(tag);
}

int child(const std::string& path, int64_t megabytes) {
  const StateDict states[2] = {state(1, megabytes), state(2, megabytes)};
  for (int k = 0;; k ^= 1) save(states[k], path, {{"state", std::to_string(k + 1)}});
}

size_t temporaries(const std::string& path) {
  size_t count = 0;
  const std::string prefix = std::filesystem::path(path).filename().string() + ".tmp.";
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path()))
    count += entry.path().filename().string().rfind(prefix, 0) == 0;
  return count;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--child") return child(argv[2], std::stoll(argv[3]));
  const int trials = argc > 1 ? std::stoi(argv[1]) : 200;
  const int64_t megabytes = argc > 2 ? std::stoll(argv[2]) : 50;
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("nabla_kill_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "checkpoint.safetensors").string();

  const auto start = std::chrono::steady_clock::now();
  save(state(1, megabytes), path);
  const double save_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Kill moments spread over the child's start and about three saves.
  std::mt19937 rng(14);
  std::uniform_real_distribution<double> moment(0.0, 0.05 + 3 * save_seconds);
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string(), mb = std::to_string(megabytes);
  int old_or_new = 0, bad = 0, piled = 0, mid_write = 0, seen[3] = {0, 0, 0};
  for (int t = 0; t < trials; ++t) {
    char* child_argv[] = {const_cast<char*>(self.c_str()), const_cast<char*>("--child"),
                          const_cast<char*>(path.c_str()), const_cast<char*>(mb.c_str()), nullptr};
    pid_t pid = 0;
    if (posix_spawn(&pid, self.c_str(), nullptr, nullptr, child_argv, environ) != 0) {
      std::perror("posix_spawn");
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(moment(rng)));
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    int got = 0;
    try {
      got = which(load(path), megabytes);
    } catch (const Error& e) {
      std::fprintf(stderr, "trial %d: the checkpoint does not load: %s\n", t, e.what());
    }
    ++seen[got];
    got ? ++old_or_new : ++bad;
    const size_t temps = temporaries(path);
    mid_write += temps > 0;  // the kill hit a save between creating its temporary and renaming it
    if (temps > 1) ++piled;  // at most the one this kill left, until the next save removes it
  }
  save(state(1, 1), path);  // a last save cleans up after the last kill
  const size_t left = temporaries(path);
  std::printf(
      "kill test: %d of %d killed saves left a loadable checkpoint equal to one of the two states "
      "(state 1: %d, state 2: %d), %d broken; %d kills hit a save mid-write; temporaries piled up after %d "
      "trials, %zu left at the end (%lld MB checkpoint, one save takes %.2f s)\n",
      old_or_new, trials, seen[1], seen[2], bad, mid_write, piled, left, static_cast<long long>(megabytes),
      save_seconds);
  std::filesystem::remove_all(dir);
  return bad == 0 && piled == 0 && left == 0 ? 0 : 1;
}
