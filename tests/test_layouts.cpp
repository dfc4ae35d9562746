// Layouts that travel (ops/onednn.h): every op that can receive or produce a oneDNN layout gives the same
// values and gradients with propagation on and off, the layout never shows through the API, and a MNIST
// training step runs at most two activation reorders.
#include <filesystem>
#include <thread>

#include "helpers.hpp"
#include "mnist/net.hpp"

using namespace nabla;
namespace F = nabla::nn::functional;

namespace {

// Runs `f` with propagation on or off (restoring the setting), with the generator at the same state.
template <class Fn>
auto with_propagation(bool on, Fn&& f) {
  const bool before = layout_propagation();
  set_layout_propagation(on);
  manual_seed(0);
  auto result = f();
  set_layout_propagation(before);
  return result;
}

// `f` returns tensors (results and gradients); with propagation on and off they must be equal, up to
// `atol` (float reassociation in a kernel that reads another layout).
template <class Fn>
void check_same_both_ways(Fn&& f, double atol = 0.0) {
  const std::vector<Tensor> on = with_propagation(true, f), off = with_propagation(false, f);
  REQUIRE(on.size() == off.size());
  for (size_t i = 0; i < on.size(); ++i) {
    CAPTURE(i);
    REQUIRE(on[i].defined());
    CHECK(on[i].shape() == off[i].shape());
    CHECK(on[i].strides() == off[i].strides());
    test::check_close(on[i], off[i], atol, 0.0);
  }
}

// The loss sum(y * r) for a fixed random r: a gradient that is not all ones.
Tensor weighted_sum(const Tensor& y) { return (y * randn(y.shape())).sum(); }

// Results and input/weight gradients of conv → relu → conv(1x1) with these options.
template <size_t D>
std::vector<Tensor> conv_chain(const Shape& input, int64_t out_channels, int64_t groups, ConvFuncOptions<D> options) {
  Shape weight_shape{out_channels, input[1] / groups};
  for (size_t d = 0; d < D; ++d) weight_shape.push_back(3);
  Tensor x = randn(input).requires_grad_(), w = randn(weight_shape).requires_grad_(),
         b = randn({out_channels}).requires_grad_();
  Shape pointwise{5, out_channels};
  for (size_t d = 0; d < D; ++d) pointwise.push_back(1);
  Tensor w2 = randn(pointwise).requires_grad_();
  options.groups = groups;
  const Tensor h = F::relu(convolution(x, w, b, to_params(options, "conv"), D, "conv"));
  const Tensor y = convolution(h, w2, {}, to_params(ConvFuncOptions<D>{}, "conv"), D, "conv");
  weighted_sum(y).backward();
  return {h, y, x.grad(), w.grad(), b.grad(), w2.grad()};
}

}  // namespace

TEST_CASE("convolutions 1-3-D give the same values and gradients with propagation on and off") {
  check_same_both_ways([] { return conv_chain<1>({2, 4, 19}, 16, 1, {.stride = 2, .dilation = 2}); });
  check_same_both_ways([] { return conv_chain<2>({2, 6, 9, 11}, 18, 3, {.padding = 1}); });
  check_same_both_ways([] { return conv_chain<2>({3, 16, 8, 8}, 32, 1, {.padding = "same"}); });
  check_same_both_ways([] {
    return conv_chain<3>({2, 3, 5, 6, 7}, 17, 1, {.stride = {1, 2, 1}, .dilation = {2, 1, 1}});
  });
}

TEST_CASE("transposed convolutions give the same values and gradients with propagation on and off") {
  check_same_both_ways([] {
    Tensor x = randn({2, 16, 5, 6}).requires_grad_(), w1 = randn({32, 16, 1, 1}).requires_grad_();
    Tensor w2 = randn({32, 8, 4, 4}).requires_grad_(), b2 = randn({8}).requires_grad_();
    const Tensor h = F::relu(F::conv2d(x, w1, {}));
    const Tensor y = F::conv_transpose2d(h, w2, b2, {.stride = 2, .padding = 1});
    const Tensor z = F::conv_transpose1d(y.flatten(2), randn({8, 4, 3}), {}, {.stride = 2, .padding = "same"});
    weighted_sum(z).backward();
    return std::vector<Tensor>{h, y, z, x.grad(), w1.grad(), w2.grad(), b2.grad()};
  });
}

TEST_CASE("pooling on a conv's layout gives the same values and gradients with propagation on and off") {
  for (bool ceil_mode : {false, true}) {
    CAPTURE(ceil_mode);
    check_same_both_ways(
        [&] {
          Tensor x = randn({2, 3, 13, 11}).requires_grad_(), w = randn({20, 3, 3, 3}).requires_grad_();
          const Tensor h = F::relu(F::conv2d(x, w, {}));
          const Tensor m = F::max_pool2d(h, {.kernel_size = 3, .stride = 2, .padding = 1, .ceil_mode = ceil_mode});
          const Tensor a = F::avg_pool2d(h, {.kernel_size = 2, .padding = 1, .ceil_mode = ceil_mode});
          const Tensor m3 = F::max_pool3d(F::conv3d(x.unsqueeze(2), w.unsqueeze(2), {}), {.kernel_size = {1, 2, 2}});
          const Tensor m1 = F::max_pool1d(F::conv1d(x.flatten(2), w.flatten(2), {}), {.kernel_size = 3});
          (weighted_sum(m) + weighted_sum(a) + weighted_sum(m3) + weighted_sum(m1)).backward();
          return std::vector<Tensor>{m, a, m3, m1, x.grad(), w.grad()};
        },
        1e-6);
  }
}

TEST_CASE("channel counts that do not fill a block never leak padded lanes into ops with f(0) != 0") {
  for (int64_t channels : {3, 17}) {
    CAPTURE(channels);
    check_same_both_ways([&] {
      Tensor x = randn({2, 8, 6, 6}).requires_grad_(), w = randn({channels, 8, 3, 3}).requires_grad_();
      const Tensor y = F::relu(F::conv2d(x, w, {}));
      const Tensor pooled = F::max_pool2d(y, {.kernel_size = 2});
      const Tensor s = y.sigmoid(), e = (y * 0.1).exp(), a = y + 1.0, p = pooled + 1.0;
      (weighted_sum(s) + weighted_sum(e) + weighted_sum(a) + weighted_sum(p) + y.sum()).backward();
      return std::vector<Tensor>{y, s, e, a, p, x.grad(), w.grad()};
    });
  }
}

TEST_CASE("a native tensor mixes with plain ones: add, cat, where, matmul of a flattened one") {
  check_same_both_ways([] {
    Tensor x = randn({2, 16, 6, 6}).requires_grad_(), w = randn({16, 16, 3, 3}).requires_grad_();
    const Tensor y = F::relu(F::conv2d(x, w, {}, {.padding = 1}));  // native with propagation on
    const Tensor plain = randn(y.shape());
    const Tensor sum = y + plain;
    const Tensor joined = cat({y, plain}, 1);
    const Tensor chosen = where(plain > 0.0, y, plain);
    const Tensor product = matmul(y.flatten(1), randn({16 * 36, 5}));
    (weighted_sum(sum) + weighted_sum(joined) + weighted_sum(chosen) + weighted_sum(product)).backward();
    return std::vector<Tensor>{sum, joined, chosen, product, x.grad(), w.grad()};
  });
}

TEST_CASE("one activation feeding two ops, retain_graph, and gradients from branches in different layouts") {
  check_same_both_ways([] {
    Tensor x = randn({2, 8, 7, 7}).requires_grad_(), w1 = randn({16, 8, 3, 3}).requires_grad_();
    Tensor w2 = randn({16, 16, 1, 1}).requires_grad_();
    const Tensor y = F::conv2d(x, w1, {});
    const Tensor native_branch = F::conv2d(F::relu(y), w2, {});  // gives y a gradient in oneDNN's layout
    const Tensor plain_branch = y * 3.0;                         // and one in the plain layout
    const Tensor loss = weighted_sum(native_branch) + weighted_sum(plain_branch);
    loss.backward({}, /*retain_graph=*/true);
    const Tensor first = x.grad().clone();
    loss.backward();  // accumulates a second time through the retained graph
    return std::vector<Tensor>{y, native_branch, first, x.grad(), w1.grad(), w2.grad()};
  });
}

TEST_CASE("views of a native tensor see its values: narrow, select, permute, reshape, flatten") {
  check_same_both_ways([] {
    const Tensor y = F::relu(F::conv2d(randn({2, 5, 6, 6}), randn({24, 5, 3, 3}), {}));
    return std::vector<Tensor>{y.narrow(1, 3, 17).contiguous(),
                               y.select(1, 20).contiguous(),
                               y.permute({0, 2, 3, 1}).contiguous(),
                               y.reshape({2, -1}),
                               y.flatten(),
                               y.transpose(2, 3).contiguous()};
  });
}

TEST_CASE("a native tensor looks plain: strides, is_contiguous, printing, item, saving") {
  manual_seed(0);
  const Tensor x = randn({1, 3, 4, 4}), w = randn({16, 3, 3, 3});
  const Tensor on = with_propagation(true, [&] { return F::conv2d(x, w, {}); });
  const Tensor off = with_propagation(false, [&] { return F::conv2d(x, w, {}); });
  CHECK(on.strides() == off.strides());
  CHECK(on.is_contiguous());
  std::ostringstream a, b;
  a << on;
  b << off;
  CHECK(a.str() == b.str());
  CHECK(on.sum().item<float>() == off.sum().item<float>());
  const std::string path = (std::filesystem::temp_directory_path() / "nabla_layouts.safetensors").string();
  const Tensor fresh = with_propagation(true, [&] { return F::conv2d(x, w, {}); });
  StateDict state;
  state.insert("y", fresh);
  save(state, path);
  test::check_close(load(path)["y"], off, 0.0, 0.0);
}

TEST_CASE("writes reach the next conv: copy_ into a view, data_ptr, an optimizer step; detach shares, clone copies") {
  const auto run = [] {
    Tensor w = randn({16, 16, 1, 1}).requires_grad_();
    Tensor y = F::conv2d(randn({1, 16, 4, 4}), randn({16, 16, 3, 3}), {}, {.padding = 1});  // no graph: native
    const Tensor shared = y.detach(), copy = y.clone();
    {
      NoGradGuard no_grad;
      y.narrow(1, 0, 4).copy_(zeros({1, 4, 4, 4}));
    }
    const Tensor after_copy = F::conv2d(y, w, {});
    y.data_ptr<float>()[100] = 100.f;  // channel 6
    const Tensor after_write = F::conv2d(y, w, {});
    F::conv2d(y, w, {}).sum().backward();
    optim::SGD({w}, {.lr = 0.5}).step();
    const Tensor after_step = F::conv2d(y.detach(), w.detach(), {});
    return std::vector<Tensor>{after_copy, after_write, after_step, shared, copy};
  };
  check_same_both_ways(run);
  const auto results = with_propagation(true, run);
  CHECK(results[3].to_vector<float>()[100] == 100.f);  // detach shares the storage
  CHECK(results[4].to_vector<float>()[100] != 100.f);  // clone does not
  CHECK(results[3].narrow(1, 0, 4).abs().sum().item<float>() == 0.f);
}

TEST_CASE("a steady MNIST training step runs two activation reorders and builds no primitive") {
  const bool before = layout_propagation();
  set_layout_propagation(true);
  manual_seed(0);
  Net net;
  optim::Adam opt(net.parameters(), {.lr = 1e-3});
  const Tensor images = randn({8, 1, 28, 28});
  const Tensor labels = randint(0, 10, {8});
  const auto step = [&] {
    opt.zero_grad();
    F::nll_loss(net(images), labels).backward();
    opt.step();
  };
  step();
  step();
  const uint64_t reorders = layout_reorders(), primitives = primitives_created();
  step();
  MESSAGE("activation reorders in a steady step: ", layout_reorders() - reorders);
  CHECK(layout_reorders() - reorders == 2);  // the pooled activation to plain (dropout, fc1) and its gradient back
  CHECK(primitives_created() == primitives);
  set_layout_propagation(false);  // the counter sees the reorders propagation saves
  step();
  const uint64_t plain_reorders = layout_reorders();
  step();
  // Every blocked result (conv and pool outputs forward, their input gradients backward) reordered to plain at once,
  // and the convs' blocked operands made again from plain ones: 7 per step.
  CHECK(layout_reorders() - plain_reorders == 7);
  set_layout_propagation(before);
}

TEST_CASE("a few MNIST steps with dropout off are the same with propagation on and off") {
  check_same_both_ways(
      [] {
        Net net;
        net.eval();  // dropout off; the gradients still flow
        optim::Adam opt(net.parameters(), {.lr = 1e-3});
        const Tensor images = randn({16, 1, 28, 28});
        const Tensor labels = randint(0, 10, {16});
        std::vector<Tensor> losses;
        for (int i = 0; i < 3; ++i) {
          opt.zero_grad();
          Tensor loss = F::nll_loss(net(images), labels);
          loss.backward();
          opt.step();
          losses.push_back(loss.detach());
        }
        losses.push_back(net.conv1.weight.detach().clone());
        losses.push_back(net.fc1.weight.detach().clone());
        return losses;
      },
      1e-6);
}

TEST_CASE("two threads reading a native tensor at once both see its values") {
  const bool before = layout_propagation();
  set_layout_propagation(true);
  manual_seed(0);
  for (int round = 0; round < 20; ++round) {
    const Tensor y = F::conv2d(randn({2, 16, 8, 8}), randn({32, 16, 3, 3}), {});
    float a = 0, b = 0;
    std::thread first([&] { a = y.sum().item<float>(); });
    std::thread second([&] { b = y.sum().item<float>(); });
    first.join();
    second.join();
    CHECK(a == b);
  }
  set_layout_propagation(before);
}

TEST_CASE("Sequential fuses a Conv followed by a ReLU into one primitive, with the unfused values and gradients") {
  const auto compare = [](auto make_conv, const Shape& input, bool training) {
    manual_seed(0);
    auto conv = make_conv();
    nn::Sequential fused(conv, nn::ReLU(), nn::ReLU());  // the second ReLU is not fused (nothing to fuse into)
    Tensor x = randn(input).requires_grad_(training);
    const Tensor expected = F::relu(F::relu(conv(x)));
    const Tensor actual = fused(x);
    test::check_close(actual, expected, 0.0, 0.0);
    if (!training) return;
    CHECK(actual.grad_fn()->name == "ReluBackward0");
    const Tensor r = randn(expected.shape());
    const auto grads = [&](const Tensor& y) {
      x.set_grad({});
      conv.weight.set_grad({});
      conv.bias.set_grad({});
      (y * r).sum().backward();
      return std::vector<Tensor>{x.grad(), conv.weight.grad(), conv.bias.grad()};
    };
    const auto e = grads(F::relu(F::relu(conv(x)))), a = grads(fused(x));
    for (size_t i = 0; i < e.size(); ++i) test::check_close(a[i], e[i], 0.0, 0.0);
  };
  for (bool propagation : {true, false}) {
    CAPTURE(propagation);
    with_propagation(propagation, [&] {
      for (bool training : {true, false}) {
        CAPTURE(training);
        compare([] { return nn::Conv2d({.in_channels = 5, .out_channels = 17, .kernel_size = 3, .padding = 1}); },
                {2, 5, 7, 6}, training);
        compare(
            [] {
              return nn::Conv1d(
                  {.in_channels = 4, .out_channels = 8, .kernel_size = 3, .padding = 1, .padding_mode = "reflect"});
            },
            {3, 4, 9}, training);
        compare([] { return nn::Conv3d({.in_channels = 2, .out_channels = 16, .kernel_size = 2}); }, {2, 4, 4, 4},
                training);  // unbatched
      }
      return 0;
    });
  }
  // The modules and their state_dict are untouched by the fusion.
  nn::Sequential seq(nn::Conv2d({.in_channels = 1, .out_channels = 2, .kernel_size = 1}), nn::ReLU());
  CHECK(seq.state_dict().keys() == std::vector<std::string>{"0.weight", "0.bias"});
  std::ostringstream repr;
  repr << seq;
  CHECK(repr.str().find("(1): ReLU()") != std::string::npos);
}

namespace {
// A module that says whether Sequential ran it through forward_relu.
struct FusionProbe : nn::Layer<FusionProbe> {
  std::shared_ptr<int> fused_calls = std::make_shared<int>(0);
  Tensor forward(const Tensor& x) { return x * 2.0; }
  Tensor forward_relu(const Tensor& x) {
    ++*fused_calls;
    return F::relu(x * 2.0);
  }
};
}  // namespace

TEST_CASE("Sequential hands a ReLU to the module before it when that module can fuse it, and only then") {
  FusionProbe probe;
  nn::Sequential fused(probe, nn::ReLU());
  CHECK(fused(-ones({3})).sum().item<float>() == 0.f);
  CHECK(*probe.fused_calls == 1);
  FusionProbe other;
  nn::Sequential unfused(other, nn::Identity(), nn::ReLU());
  CHECK(unfused(-ones({3})).sum().item<float>() == 0.f);
  CHECK(*other.fused_calls == 0);
}

TEST_CASE("the fused conv op (ConvParams::relu) gives relu(conv(x)), in training and inference, 1-3-D") {
  manual_seed(0);
  for (int64_t dims : {1, 2, 3}) {
    CAPTURE(dims);
    Shape input{2, 3}, weight{17, 3};
    for (int64_t d = 0; d < dims; ++d) input.push_back(5), weight.push_back(3);
    Tensor x = randn(input).requires_grad_(), w = randn(weight).requires_grad_(), b = randn({17}).requires_grad_();
    ConvParams params = to_params(ConvFuncOptions<1>{}, "conv");
    params.stride = params.dilation = Shape(dims, 1);
    params.padding = Shape(dims, 1);
    ConvParams fused = params;
    fused.relu = true;
    const Tensor expected = F::relu(convolution(x, w, b, params, dims, "conv"));
    const Tensor actual = convolution(x, w, b, fused, dims, "conv");
    test::check_close(actual, expected, 0.0, 0.0);
    {
      NoGradGuard no_grad;
      test::check_close(convolution(x, w, b, fused, dims, "conv"), expected, 0.0, 0.0);
    }
    const Tensor r = randn(expected.shape());
    const auto grads = [&](const Tensor& y) {  // the same as through the unfused pair (ReLU's kink rules out gradcheck)
      for (Tensor* t : {&x, &w, &b}) t->set_grad({});
      (y * r).sum().backward();
      return std::vector<Tensor>{x.grad(), w.grad(), b.grad()};
    };
    const auto e = grads(expected), a = grads(actual);
    for (size_t i = 0; i < e.size(); ++i) test::check_close(a[i], e[i], 0.0, 0.0);
  }
}
