// tools/onnx-conformance's program: ONNX's backend test suite through nabla::onnx::load, one line per category
// ("node: N passed, M failed, K unsupported"), then the failures with their operators and largest differences.
// Exits 1 when a test fails that is not one of the known failures (conformance.h says why those fail).
// Usage: onnx_conformance [--unsupported] [category...]   (default: node pytorch-converted pytorch-operator simple)
#include <cstring>
#include <iostream>

#include "onnx/conformance.h"

using nabla::onnx::conformance::Result;
using nabla::onnx::conformance::Status;

int main(int argc, char** argv) {
  std::vector<std::string> categories;
  bool list_unsupported = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--unsupported") == 0)
      list_unsupported = true;
    else
      categories.emplace_back(argv[i]);
  }
  if (categories.empty()) categories = {"node", "pytorch-converted", "pytorch-operator", "simple"};
  std::vector<std::pair<std::string, Result>> failures, unsupported;
  for (const std::string& category : categories) {
    int counts[3] = {0, 0, 0};
    for (Result& r : nabla::onnx::conformance::run_category(category)) {
      ++counts[static_cast<int>(r.status)];
      if (r.status == Status::Failed)
        failures.emplace_back(category, std::move(r));
      else if (r.status == Status::Unsupported)
        unsupported.emplace_back(category, std::move(r));
    }
    std::cout << category << ": " << counts[0] << " passed, " << counts[1] << " failed, " << counts[2]
              << " unsupported\n";
  }
  bool unexpected = false;
  for (const auto& [category, r] : failures) {
    const bool known = nabla::onnx::conformance::kKnownFailures.count(r.name) > 0;
    unexpected = unexpected || !known;
    std::cout << (known ? "failed (known) " : "FAILED ") << category << "/" << r.name << " [" << r.ops
              << "]: " << r.detail << "\n";
  }
  if (list_unsupported)
    for (const auto& [category, r] : unsupported)
      std::cout << "unsupported " << category << "/" << r.name << ": " << r.detail << "\n";
  return unexpected ? 1 : 0;
}
