#include "nabla/core/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace nabla {

ProgressBar::ProgressBar(std::string label, int64_t total, std::ostream& out, int64_t every, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), every_(every), out_(out),
      terminal_(&out == &std::cout ? ::isatty(STDOUT_FILENO) : &out == &std::cerr ? ::isatty(STDERR_FILENO) : false),
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
