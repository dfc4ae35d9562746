#pragma once
/// @file
/// A progress bar for long loops: `[=====>    ] 412/938 loss 0.4123 | 2,950 img/s | ETA 0:05`.
/// On a terminal it redraws one line; otherwise (a log, a pipe, CI) it prints a plain line every
/// `every` steps and at the end, so logs stay readable.
/// @ingroup runtime
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace nabla {
/// @addtogroup runtime
/// @{

/// A progress bar for long loops (tqdm's role), as described above.
class ProgressBar {
 public:
  /// unit names what `items` counts in the rate: "img" gives "2,950 img/s".
  ProgressBar(std::string label, int64_t total, std::ostream& out, int64_t every = 100, std::string unit = "items");
  /// Moves to `done` steps; `items` counts what was processed (images), for the rate; `status` is
  /// shown after the counts (e.g. "loss 0.4123").
  void update(int64_t done, int64_t items, const std::string& status);
  void finish(const std::string& status);  ///< draws the final line with `status`

 private:
  void draw(const std::string& status, bool final_line);

  std::string label_, unit_;
  int64_t total_, done_ = 0, items_ = 0, every_;
  std::ostream& out_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_;
};

/// @}
}  // namespace nabla
