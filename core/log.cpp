#include "core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>

namespace nabla::detail {

spdlog::logger& logger() {
  static const std::shared_ptr<spdlog::logger> instance = [] {
    auto log = spdlog::stderr_color_mt("nabla");
    const char* level = std::getenv("NABLA_LOG_LEVEL");
    log->set_level(level ? spdlog::level::from_str(level) : spdlog::level::warn);
    log->set_pattern("[nabla %l] %v");
    return log;
  }();
  return *instance;
}

}  // namespace nabla::detail
