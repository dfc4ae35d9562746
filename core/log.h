#pragma once
// Private: the library's spdlog logger, its level from NABLA_LOG_LEVEL (debug|info|warn|error|off;
// default warn).
#include <spdlog/spdlog.h>

namespace nabla::detail {
spdlog::logger& logger();
}
