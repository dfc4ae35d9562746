// Runs one ONNX backend test: load the model (Unsupported is counted apart from failures), feed every data set's
// inputs, compare every output with ONNX's tolerances.
#include "onnx/conformance.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <nabla/nabla.hpp>
#include <nabla/nn/onnx.hpp>

namespace nabla::onnx::conformance {

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> numbered(const fs::path& folder, const std::string& prefix) {
  std::vector<fs::path> files;
  for (int64_t i = 0; fs::exists(folder / (prefix + std::to_string(i) + ".pb")); ++i)
    files.push_back(folder / (prefix + std::to_string(i) + ".pb"));
  return files;
}

// The largest |got - expected| where it exceeds atol + rtol·|expected| (NaN only against NaN), or 0 when all match.
double mismatch(const Tensor& got, const Tensor& expected, std::string& detail) {
  if (got.shape() != expected.shape()) {
    detail = "shape " + shape_str(got.shape()) + ", expected " + shape_str(expected.shape());
    return INFINITY;
  }
  const std::vector<float> a = got.to(kFloat32).contiguous().to_vector<float>();
  const std::vector<float> e = expected.to(kFloat32).contiguous().to_vector<float>();
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double diff = std::abs(static_cast<double>(a[i]) - e[i]);
    const bool ok = (std::isnan(a[i]) && std::isnan(e[i])) || a[i] == e[i] || diff <= kAtol + kRtol * std::abs(e[i]);
    if (!ok) worst = std::max(worst, std::isnan(diff) ? INFINITY : diff);
  }
  if (worst > 0) detail = "largest difference " + std::to_string(worst);
  return worst;
}

}  // namespace

Result run_test(const fs::path& folder) {
  Result result;
  result.name = folder.filename().string();
  try {
    Model model = load((folder / "model.onnx").string());
    std::string ops;
    for (const auto& [op, count] : model.op_counts()) ops += (ops.empty() ? "" : ", ") + op;
    result.ops = ops;
    NoGradGuard no_grad;
    std::vector<fs::path> sets;
    for (const auto& entry : fs::directory_iterator(folder))
      if (entry.is_directory() && entry.path().filename().string().rfind("test_data_set_", 0) == 0)
        sets.push_back(entry.path());
    std::sort(sets.begin(), sets.end());
    for (const fs::path& set : sets) {
      std::vector<Tensor> inputs, expected;
      for (const fs::path& file : numbered(set, "input_")) inputs.push_back(load_tensor(file.string()));
      for (const fs::path& file : numbered(set, "output_")) expected.push_back(load_tensor(file.string()));
      const std::vector<Tensor> outputs = model.forward(inputs);
      if (outputs.size() != expected.size()) {
        result.detail = std::to_string(outputs.size()) + " outputs, expected " + std::to_string(expected.size());
        return result;
      }
      for (size_t k = 0; k < outputs.size(); ++k) {
        std::string detail;
        const double worst = mismatch(outputs[k], expected[k], detail);
        result.max_difference = std::max(result.max_difference, worst);
        if (worst > 0) {
          result.detail = set.filename().string() + " output " + std::to_string(k) + ": " + detail;
          return result;
        }
      }
    }
    result.status = Status::Passed;
  } catch (const Unsupported& e) {
    result.status = Status::Unsupported;
    result.detail = e.what();
  } catch (const std::exception& e) {
    result.detail = e.what();
  }
  return result;
}

std::vector<Result> run_category(const std::string& category, const std::string& root) {
  std::vector<fs::path> folders;
  for (const auto& entry : fs::directory_iterator(fs::path(root) / category))
    if (fs::exists(entry.path() / "model.onnx")) folders.push_back(entry.path());
  std::sort(folders.begin(), folders.end());
  std::vector<Result> results;
  for (const fs::path& folder : folders) results.push_back(run_test(folder));
  return results;
}

}  // namespace nabla::onnx::conformance
