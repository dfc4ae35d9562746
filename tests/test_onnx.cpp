// ONNX import: ONNX's own backend test suite (the independent judge), PyTorch's exports of the four reference twins,
// training an imported model, and damaged or hostile files.
#include <algorithm>
#include <filesystem>
#include <random>
#include <set>

#include <nabla/nn/onnx.hpp>

#include "helpers.hpp"
#include "mnist/net.hpp"
#include "onnx/conformance.h"

using namespace nabla;
namespace fs = std::filesystem;
namespace conformance = nabla::onnx::conformance;

namespace {

std::string onnx_fixture(const std::string& name) { return std::string(NABLA_FIXTURES) + "/onnx/" + name; }

// How many tests of a category pass, fail and are unsupported, and the names of the failures (those not `expected`
// to fail are printed with their difference).
struct Counts {
  int passed = 0, failed = 0, unsupported = 0;
  std::set<std::string> failures;
};

Counts count(const std::string& category, const std::set<std::string>& expected = {}) {
  REQUIRE_MESSAGE(fs::exists(fs::path(conformance::kDataRoot) / category),
                  "ONNX's backend tests are missing: tools/deps installs libonnx-testdata");
  Counts c;
  for (const conformance::Result& r : conformance::run_category(category)) {
    if (r.status == conformance::Status::Passed) ++c.passed;
    if (r.status == conformance::Status::Unsupported) ++c.unsupported;
    if (r.status == conformance::Status::Failed) {
      ++c.failed;
      c.failures.insert(r.name);
      if (!expected.count(r.name)) MESSAGE(category << "/" << r.name << " [" << r.ops << "]: " << r.detail);
    }
  }
  return c;
}

}  // namespace

TEST_CASE("ONNX's backend suite: the supported node tests pass with ONNX's tolerances, the counts do not regress") {
  const Counts node = count("node", conformance::kKnownFailures);
  CHECK(node.failures == conformance::kKnownFailures);
  CHECK(node.passed == 497);
  CHECK(node.unsupported == 430);
  for (const char* category : {"pytorch-converted", "pytorch-operator", "simple"}) {
    CAPTURE(category);
    const Counts c = count(category);
    CHECK(c.failed == 0);
    CHECK(c.passed == (std::string(category) == "pytorch-converted"  ? 81
                       : std::string(category) == "pytorch-operator" ? 30
                                                                     : 5));
  }
}

TEST_CASE("the four reference twins exported by torch.onnx.export give PyTorch's outputs within 1e-4") {
  for (const char* name : {"mnist", "text", "mobilenet", "dcgan"}) {
    CAPTURE(name);
    onnx::Model model = test::torch_twin(name);
    const Tensor x = onnx::load_tensor(onnx_fixture(name) + "/test_data_set_0/input_0.pb");
    const Tensor expected = onnx::load_tensor(onnx_fixture(name) + "/test_data_set_0/output_0.pb");
    NoGradGuard no_grad;
    CHECK(test::relative_difference(model(x), expected) < 1e-4);
    // The batch dim is symbolic: one sample alone gives its row.
    CHECK(test::relative_difference(model(x.narrow(0, 2, 1)), expected.narrow(0, 2, 1)) < 1e-4);
  }
}

TEST_CASE("an imported model is a module: state_dict under the initializers' names, Conv+Relu fused, printable") {
  onnx::Model model = test::torch_twin("mnist");
  const StateDict state = model.state_dict();
  CHECK(state.keys() == std::vector<std::string>{"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                                                 "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"});
  CHECK(model.num_parameters() == 1199882);
  CHECK(model.op_counts(true).at("Conv+Relu") == 2);
  CHECK(model.op_counts().at("Relu") == 3);
  CHECK(model.input_names() == std::vector<std::string>{"input"});
  CHECK(model.opset() == 17);
  CHECK(to_string(model) ==
        "OnnxModel(\n  opset=17, inputs=[input], outputs=[output], nodes=Conv+Relu×2 Flatten×1 Gemm×2 LogSoftmax×1 "
        "MaxPool×1 Relu×1\n  (conv1): Module()\n  (conv2): Module()\n  (fc1): Module()\n  (fc2): Module()\n)");
  CHECK_THROWS_WITH_AS(model(randn({2, 3, 28, 28})),
                       doctest::Contains("input 'input' expected shape [?, 1, 28, 28] (? is free), got [2, 3, 28, 28]"),
                       Error);
}

TEST_CASE("an imported model trains: its gradients are those of the same network written with Nabla's layers") {
  onnx::Model imported = test::torch_twin("mnist");
  Net native;
  native.load_state_dict(imported.state_dict());
  native.eval();  // as the import: dropout would draw different masks in the two
  manual_seed(3);
  const Tensor x = randn({8, 1, 28, 28});
  const Tensor target = from_vector(std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}, {8});
  nll_loss(imported(x), target).backward();
  nll_loss(native(x), target).backward();
  const StateDict a = imported.named_parameters(), b = native.named_parameters();
  for (const auto& [name, p] : a) {
    CAPTURE(name);
    REQUIRE(p.grad().defined());
    CHECK(test::relative_difference(p.grad(), b.find(name)->grad()) < 1e-4);
  }
  // And an optimizer step on the imported parameters lowers the loss.
  optim::SGD sgd(imported.parameters(), {.lr = 0.05});
  const double before = nll_loss(imported(x), target).item<float>();
  for (int step = 0; step < 5; ++step) {
    sgd.zero_grad();
    nll_loss(imported(x), target).backward();
    sgd.step();
  }
  CHECK(nll_loss(imported(x), target).item<float>() < before);
}

TEST_CASE("in train() an imported model's BatchNorm uses batch statistics and updates its running buffers") {
  onnx::Model generator = test::torch_twin("dcgan");
  CHECK(generator.op_counts(true).at("BatchNormalization+Relu") == 2);  // one oneDNN primitive each
  const StateDict buffers = generator.named_buffers();
  REQUIRE(!buffers.keys().empty());
  const Tensor mean_before = buffers.values().front().clone();
  generator.train();
  manual_seed(1);
  (void)generator(randn({16, 64, 1, 1}));
  CHECK(test::relative_difference(buffers.values().front(), mean_before) > 1e-3);
}

TEST_CASE("what Nabla cannot run is an onnx::Unsupported naming the node, the operator, the opset and the attribute") {
  const std::string node = std::string(conformance::kDataRoot) + "/node/";
  CHECK_THROWS_WITH_AS(onnx::load(node + "test_cos/model.onnx"),
                       doctest::Contains("(Cos, opset 7): operator Cos is not supported"), onnx::Unsupported);
  CHECK_THROWS_WITH_AS(onnx::load(node + "test_resize_upsample_scales_cubic/model.onnx"),
                       doctest::Contains("(Resize, opset 13): mode 'cubic' is not supported"), onnx::Unsupported);
  CHECK_THROWS_WITH_AS(onnx::load(node + "test_maxpool_with_argmax_2d_precomputed_strides/model.onnx"),
                       doctest::Contains("(MaxPool, opset 12): storage_order=1"), onnx::Unsupported);
  CHECK_THROWS_WITH_AS(onnx::load(node + "test_cast_FLOAT_to_DOUBLE/model.onnx"),
                       doctest::Contains("element type DOUBLE is not supported"), onnx::Unsupported);
}

TEST_CASE("damaged and hostile ONNX files are errors naming the file, never crashes") {
  const std::string hostile = onnx_fixture("hostile/");
  CHECK_THROWS_WITH_AS(onnx::load(hostile + "dangling.onnx"), doctest::Contains("input 'nowhere' of node"), Error);
  CHECK_THROWS_WITH_AS(onnx::load(hostile + "cycle.onnx"), doctest::Contains("topologically sorted"), Error);
  CHECK_THROWS_WITH_AS(onnx::load(hostile + "overflow.onnx"),
                       doctest::Contains("(tensor 'w'): a float32 tensor of shape [1099511627776, 1099511627776]"),
                       Error);
  CHECK_THROWS_WITH_AS(onnx::load(hostile + "short_data.onnx"),
                       doctest::Contains("raw_data holds 8 bytes, but shape [4] of FLOAT needs 16"), Error);
  CHECK_THROWS_WITH_AS(onnx::load(hostile + "missing_output.onnx"),
                       doctest::Contains("graph output 'y' is never produced"), Error);
  CHECK_THROWS_WITH_AS(onnx::load(hostile + "absent.onnx"), doctest::Contains("absent.onnx"), Error);
  CHECK_THROWS_WITH_AS(onnx::load(hostile + "bad_auto_pad.onnx"),
                       doctest::Contains("bad_auto_pad.onnx: node #0 (AveragePool, opset 17): auto_pad 'BOGUS' is not "
                                         "one of NOTSET, SAME_UPPER, SAME_LOWER, VALID"),
                       Error);
  CHECK_THROWS_WITH_AS(onnx::load(hostile + "bad_ceil_mode.onnx"),
                       doctest::Contains("bad_ceil_mode.onnx is not a valid ONNX model: Mismatched attribute type in "
                                         "' : ceil_mode'"),
                       Error);

  // Every truncation and a few hundred byte flips of a real model: an error or a model, never a crash.
  const std::string bytes = test::gunzip(onnx_fixture("mobilenet") + "/model.onnx.gz");
  const Tensor x = randn({2, 1, 28, 28});
  int errors = 0;
  for (size_t length = 0; length < bytes.size(); length += bytes.size() / 97 + 1) {
    try {
      (void)onnx::parse(bytes.substr(0, length), "truncated.onnx");
    } catch (const Error& e) {
      ++errors;
      CHECK(std::string(e.what()).find("truncated.onnx") != std::string::npos);
    }
  }
  CHECK(errors >= 95);
  std::mt19937 random(7);
  for (int trial = 0; trial < 300; ++trial) {
    std::string damaged = bytes;
    for (int k = 0; k < 4; ++k) damaged[random() % damaged.size()] ^= static_cast<char>(1 + random() % 255);
    try {
      onnx::Model model = onnx::parse(damaged, "flipped.onnx");
      NoGradGuard no_grad;
      (void)model(x);
    } catch (const Error&) {
    }
  }
}
