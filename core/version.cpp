#include "nabla/core/version.hpp"

namespace nabla {

const char* version() { return NABLA_VERSION; }

}  // namespace nabla
