// The version: the numbers, the text and the library's own agree (CMakeLists.txt reads the same numbers).
#include <doctest/doctest.h>

#include <nabla/nabla.hpp>

#include <string>

TEST_CASE("NABLA_VERSION spells the three numbers, and the library was built from these headers") {
  const std::string numbers = std::to_string(NABLA_VERSION_MAJOR) + "." + std::to_string(NABLA_VERSION_MINOR) + "." +
                              std::to_string(NABLA_VERSION_PATCH);
  CHECK(numbers == NABLA_VERSION);
  CHECK(std::string(nabla::version()) == NABLA_VERSION);
}
