#pragma once
// Test helpers: PyTorch fixtures, closeness checks and the finite-difference gradient check that
// every op's test uses.
#include <doctest/doctest.h>
#include <unistd.h>
#include <nabla/nabla.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>
#include <xtensor/xnpy.hpp>
#include <zlib.h>

namespace nabla::test {

// tests/fixtures/<name>.npy, written by tools/make_fixtures.py.
inline Tensor fixture(const std::string& name) {
  const std::string path = std::string(NABLA_FIXTURES) + "/" + name + ".npy";
  std::ifstream probe(path + "");
  REQUIRE_MESSAGE(probe.good(), "missing fixture " << path << " (run tools/make_fixtures.py)");
  if (name.find("target") != std::string::npos || name.find("randint") != std::string::npos ||
      name.find("randperm") != std::string::npos || name == "mlp_y") {
    const auto a = xt::load_npy<int64_t>(path);
    return from_vector(std::vector<int64_t>(a.begin(), a.end()), Shape(a.shape().begin(), a.shape().end()));
  }
  const auto a = xt::load_npy<float>(path);
  return from_vector(std::vector<float>(a.begin(), a.end()), Shape(a.shape().begin(), a.shape().end()));
}

// The cases of a fixture index file (tests/fixtures/<file>, written by the tools/make_*_fixtures.py
// scripts): one per line, as "key=value" fields, plus the whole line under "line" for messages.
// With `kind`, only the cases whose kind starts with it.
using FixtureCase = std::map<std::string, std::string>;
inline std::vector<FixtureCase> fixture_cases(const std::string& file, const std::string& kind = "") {
  std::ifstream in(std::string(NABLA_FIXTURES) + "/" + file);
  REQUIRE_MESSAGE(in.good(), "missing fixture index " << file);
  std::vector<FixtureCase> cases;
  for (std::string line; std::getline(in, line);) {
    FixtureCase fields{{"line", line}};
    std::stringstream s(line);
    for (std::string item; s >> item;) fields[item.substr(0, item.find('='))] = item.substr(item.find('=') + 1);
    if (fields["kind"].rfind(kind, 0) == 0) cases.push_back(std::move(fields));
  }
  return cases;
}

// The flat float32 array tests/fixtures/<name>.npy (name with its folder, e.g. "conv/case000").
inline std::vector<float> fixture_floats(const std::string& name) {
  const auto a = xt::load_npy<float>(std::string(NABLA_FIXTURES) + "/" + name + ".npy");
  return {a.begin(), a.end()};
}

// "3,4,5" → {3, 4, 5}: the lists in fixture index files.
inline std::vector<int64_t> numbers(const std::string& text) {
  std::vector<int64_t> out;
  std::stringstream s(text);
  for (std::string item; std::getline(s, item, ',');) out.push_back(std::stoll(item));
  return out;
}

// Every element within atol + rtol·|expected|; reports the first element that is not.
inline void check_close(const Tensor& actual, const Tensor& expected, double atol = 1e-5, double rtol = 1e-4) {
  REQUIRE(actual.defined());
  REQUIRE(actual.shape() == expected.shape());
  const auto a = actual.to_vector<float>(), e = expected.to_vector<float>();
  for (size_t i = 0; i < a.size(); ++i) {
    const bool ok = std::fabs(a[i] - e[i]) <= atol + rtol * std::fabs(e[i]) || (std::isnan(a[i]) && std::isnan(e[i]));
    if (!ok) {
      FAIL_CHECK("element " << i << " of shape " << shape_str(actual.shape()) << ": got " << a[i] << ", expected "
                            << e[i]);
      return;
    }
  }
}

struct GradcheckOptions {
  double eps = 1e-2;    // central-difference step (f32 needs a large one)
  double atol = 2e-2;
  double rtol = 2e-2;
  int max_elements = 48;  // per input: larger inputs are sampled evenly
};

// Compares the backward of fn with central finite differences of Σ fn(inputs)·w for a fixed random
// w, for every float input (or a sample of its elements).
inline void gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn, const std::vector<Tensor>& inputs,
                      const GradcheckOptions& options = {}) {
  std::vector<Tensor> leaves;
  for (const auto& t : inputs) leaves.push_back(t.dtype() == kFloat32 ? t.detach().clone().requires_grad_() : t);
  const Tensor out = fn(leaves);
  const Tensor w = randn(out.shape());
  (out * w).sum().backward();

  const auto weighted_sum = [&](const std::vector<Tensor>& args) {
    NoGradGuard no_grad;
    const auto y = fn(args).to_vector<float>(), wv = w.to_vector<float>();
    double s = 0;
    for (size_t i = 0; i < y.size(); ++i) s += static_cast<double>(y[i]) * wv[i];
    return s;
  };
  for (size_t i = 0; i < leaves.size(); ++i) {
    if (inputs[i].dtype() != kFloat32) continue;
    REQUIRE_MESSAGE(leaves[i].grad().defined(), "input " << i << " got no gradient");
    const auto analytic = leaves[i].grad().to_vector<float>();
    const int64_t n = inputs[i].numel();
    const int64_t stride = std::max<int64_t>(1, n / options.max_elements);
    for (int64_t k = 0; k < n; k += stride) {
      std::vector<Tensor> plus, minus;
      for (const auto& t : inputs) {
        plus.push_back(t.clone());
        minus.push_back(t.clone());
      }
      plus[i].data_ptr<float>()[k] += static_cast<float>(options.eps);
      minus[i].data_ptr<float>()[k] -= static_cast<float>(options.eps);
      const double numeric = (weighted_sum(plus) - weighted_sum(minus)) / (2 * options.eps);
      const bool ok = std::fabs(analytic[k] - numeric) <= options.atol + options.rtol * std::fabs(numeric);
      if (!ok) {
        FAIL_CHECK("gradient of input " << i << " element " << k << ": backward gives " << analytic[k]
                                        << ", finite differences give " << numeric);
        return;
      }
    }
  }
}

// The largest |a - b| over the largest |b|.
inline double relative_difference(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  const std::vector<float> x = a.contiguous().to_vector<float>(), y = b.contiguous().to_vector<float>();
  double diff = 0, scale = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    diff = std::max(diff, std::abs(static_cast<double>(x[i]) - y[i]));
    scale = std::max(scale, std::abs(static_cast<double>(y[i])));
  }
  return diff / std::max(scale, 1e-30);
}

// The bytes of a gzipped fixture (tests/fixtures/onnx/<twin>/model.onnx.gz: kept small in the repository).
inline std::string gunzip(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  REQUIRE_MESSAGE(file != nullptr, "missing fixture " << path);
  std::string bytes;
  char buffer[1 << 16];
  for (int n; (n = gzread(file, buffer, sizeof buffer)) > 0;) bytes.append(buffer, static_cast<size_t>(n));
  gzclose(file);
  return bytes;
}

// PyTorch's export of a reference twin (tools/make_onnx_fixtures.py), loaded.
inline onnx::Model torch_twin(const std::string& name) {
  const std::string path = std::string(NABLA_FIXTURES) + "/onnx/" + name + "/model.onnx.gz";
  return onnx::parse(gunzip(path), path);
}

// A file name in the temporary folder, unique to this process: <tmp>/nabla_test_<pid>_<name>.
inline std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("nabla_test_" + std::to_string(::getpid()) + "_" + name)).string();
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// ---- the layer fixtures of tools/make_layer_fixtures.py (tests/fixtures/layers/<id>_<name>.npy)

inline Tensor layer_golden(const FixtureCase& c, const std::string& name, const Shape& shape) {
  return from_vector(fixture_floats("layers/" + c.at("id") + "_" + name), shape);
}

// One forward and backward of `forward` on the case's x<suffix> and g<suffix> against its y<suffix> and dx<suffix>.
inline void check_layer_step(const FixtureCase& c, const std::function<Tensor(const Tensor&)>& forward, const Shape& in,
                             const Shape& out, const std::string& suffix = "", double atol = 1e-5, double rtol = 1e-4) {
  Tensor x = layer_golden(c, "x" + suffix, in).requires_grad_();
  const Tensor y = forward(x);
  check_close(y, layer_golden(c, "y" + suffix, out), atol, rtol);
  y.backward(layer_golden(c, "g" + suffix, out));
  check_close(x.grad(), layer_golden(c, "dx" + suffix, in), 2 * atol, 10 * rtol);
}

// A module a test builds from a fixture line, and its forward.
struct TestLayer {
  std::shared_ptr<nn::Module> module;
  std::function<Tensor(const Tensor&)> forward;
};

template <class M, class Options>
TestLayer test_layer(const Options& options) {
  auto m = std::make_shared<M>(options);
  return {m, [m](const Tensor& x) { return m->forward(x); }};
}

}  // namespace nabla::test
