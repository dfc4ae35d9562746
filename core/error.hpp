#pragma once
/// @file
/// nabla::Error and the one macro every check in the library goes through.
/// @ingroup runtime
#include <sstream>
#include <stdexcept>
#include <string>

namespace nabla {
/// @addtogroup runtime
/// @{

/// Every error Nabla raises on bad input: the message names the op or layer, the expected and the
/// actual shapes, and what to change.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
template <class... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  std::ostringstream message;
  (message << ... << parts);
  throw Error(message.str());
}
}  // namespace detail

/// @}
}  // namespace nabla

// The message parts are only evaluated when the check fails.
/// Throws nabla::Error with the message built from the arguments (streamed together) when `condition` is false.
#define NABLA_CHECK(condition, ...)                       \
  do {                                                    \
    if (!(condition)) ::nabla::detail::fail(__VA_ARGS__); \
  } while (0)
