#pragma once

/// @file
/// Nabla's version (semantic versioning; CHANGELOG.md says what each version brought). CMakeLists.txt reads its
/// project version from the three numbers below, so the headers, the library and the CMake package's version file
/// (find_package(nabla 0.1)) cannot disagree.
/// @ingroup runtime

/// The major version (breaking changes).
#define NABLA_VERSION_MAJOR 0
/// The minor version (new features; the CMake package accepts the same major.minor).
#define NABLA_VERSION_MINOR 1
/// The patch version (fixes).
#define NABLA_VERSION_PATCH 0
#define NABLA_VERSION "0.1.0"  ///< the three numbers as text (CMake checks that they agree)

namespace nabla {
/// @addtogroup runtime
/// @{

/// The version of the library the program is linked with: NABLA_VERSION as the library was compiled (a program
/// built against one install's headers and linked with another's can compare the two).
const char* version();

/// @}
}  // namespace nabla
