#pragma once
// The validators the example programs' flags share (CLI11): a value out of range is refused when the command line
// is parsed, with CLI11's message, before anything is loaded or trained.
#include <CLI/CLI.hpp>

#include "common/checkpoint.hpp"

namespace examples {

inline const CLI::Range kEpochs{1, kMaxEpochs};
inline const CLI::Range kThreads{0, 1024};

}  // namespace examples
