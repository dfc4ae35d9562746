#include "nabla/core/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <iostream>

namespace nabla {
namespace {

// Whether fd shows on a terminal. Under mpirun a rank's stdout is a pseudo-terminal even when mpirun's own
// output goes to a file or a pipe (`mpirun ... | tee log`), so there the launcher's stdout decides: the parent
// process's (mpirun on one machine; on others Open MPI's daemon, whose output is not a terminal).
bool is_terminal(int fd) {
  if (!::isatty(fd)) return false;
  if (!std::getenv("OMPI_COMM_WORLD_RANK") && !std::getenv("PMI_RANK")) return true;
  const std::string parent_fd = "/proc/" + std::to_string(::getppid()) + "/fd/" + std::to_string(fd);
  char target[256] = {};
  const ssize_t n = ::readlink(parent_fd.c_str(), target, sizeof target - 1);
  const std::string path(target, n > 0 ? static_cast<size_t>(n) : 0);
  return path.rfind("/dev/pts/", 0) == 0 || path.rfind("/dev/tty", 0) == 0;
}

}  // namespace

ProgressBar::ProgressBar(std::string label, int64_t total, std::ostream& out, int64_t every, std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      every_(every),
      out_(out),
      terminal_(&out == &std::cout   ? is_terminal(STDOUT_FILENO)
                : &out == &std::cerr ? is_terminal(STDERR_FILENO)
                                     : false),
      start_(std::chrono::steady_clock::now()) {}

void ProgressBar::update(int64_t done, int64_t items, const std::string& status) {
  done_ = done;
  items_ = items;
  if (terminal_ || done_ % every_ == 0) draw(status, false);
}

void ProgressBar::finish(const std::string& status) { draw(status, true); }

void ProgressBar::draw(const std::string& status, bool final_line) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(items_) / seconds : 0.0;
  const double left = done_ > 0 ? seconds * static_cast<double>(total_ - done_) / static_cast<double>(done_) : 0.0;
  constexpr int width = 24;
  const int filled = total_ > 0 ? static_cast<int>(width * done_ / total_) : width;
  char line[256];
  std::snprintf(line, sizeof line, "%s [%s%s%s] %lld/%lld %s | %.0f %s/s | %s %d:%02d", label_.c_str(),
                std::string(filled, '=').c_str(), filled < width ? ">" : "",
                std::string(width - filled - (filled < width), ' ').c_str(), static_cast<long long>(done_),
                static_cast<long long>(total_), status.c_str(), rate, unit_.c_str(), final_line ? "took" : "ETA",
                static_cast<int>((final_line ? seconds : left) / 60),
                static_cast<int>(final_line ? seconds : left) % 60);
  if (terminal_) out_ << "\r\033[K" << line << (final_line ? "\n" : "") << std::flush;
  else out_ << line << "\n" << std::flush;
}

}  // namespace nabla
