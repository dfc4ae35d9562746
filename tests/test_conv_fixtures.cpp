// The conv modules against PyTorch on 104 configurations (tools/make_conv_fixtures.py): output and
// the three gradients, for 1-D/2-D/3-D, strides, numeric/asymmetric/'valid'/'same' padding, dilation,
// groups (depthwise, channel multipliers), bias, the four padding modes, transposed convs with
// output_padding and output_size (including the case oneDNN rejects), unbatched, batch 0, size-1 dims.
#include "helpers.hpp"

using namespace nabla;

namespace {

using test::numbers;

using Fields = test::FixtureCase;

template <size_t D>
Padding<D> padding_of(const std::string& text) {
  if (text == "same" || text == "valid") return Padding<D>(text);
  return Padding<D>(numbers(text));
}

// Splits the flat fixture into consecutive tensors of the given shapes.
struct Reader {
  std::vector<float> data;
  size_t at = 0;
  Tensor next(const Shape& shape) {
    const auto n = static_cast<size_t>(numel(shape));
    REQUIRE(at + n <= data.size());
    Tensor t = from_vector(std::vector<float>(data.begin() + at, data.begin() + at + n), shape);
    at += n;
    return t;
  }
};

template <class Module>
void check_module(Module& module, const Fields& f, Reader& r, const std::vector<int64_t>& output_size) {
  const Shape input = numbers(f.at("input"));
  Tensor x = r.next(input).requires_grad_();
  {
    NoGradGuard no_grad;
    module.weight.copy_(r.next(module.weight.shape()));
    if (module.bias.defined()) module.bias.copy_(r.next(module.bias.shape()));
  }
  Tensor y;
  if constexpr (requires { module.forward(x, output_size); }) y = module.forward(x, output_size);
  else y = module.forward(x);
  const Tensor g = r.next(y.shape());
  test::check_close(y, r.next(y.shape()), 1e-4, 1e-4);
  y.backward(g);
  test::check_close(x.grad(), r.next(input), 1e-4, 1e-4);
  test::check_close(module.weight.grad(), r.next(module.weight.shape()), 2e-4, 1e-4);
  if (module.bias.defined()) test::check_close(module.bias.grad(), r.next(module.bias.shape()), 2e-4, 1e-4);
  CHECK(r.at == r.data.size());  // every number in the fixture was compared
}

template <size_t D>
void check_case(const Fields& f, Reader& r) {
  const Shape input = numbers(f.at("input"));
  const int64_t in = input[input.size() - D - 1], out = std::stoll(f.at("out"));
  if (f.at("transposed") == "1") {
    nn::ConvTransposeNd<D> module({.in_channels = in,
                                   .out_channels = out,
                                   .kernel_size = numbers(f.at("kernel")),
                                   .stride = numbers(f.at("stride")),
                                   .padding = numbers(f.at("padding")),
                                   .output_padding = numbers(f.at("output_padding")),
                                   .groups = std::stoll(f.at("groups")),
                                   .bias = f.at("bias") == "1",
                                   .dilation = numbers(f.at("dilation"))});
    const std::string size = f.at("output_size");
    check_module(module, f, r, size == "-" ? std::vector<int64_t>{} : numbers(size));
  } else {
    nn::ConvNd<D> module({.in_channels = in, .out_channels = out, .kernel_size = numbers(f.at("kernel")),
                          .stride = numbers(f.at("stride")), .padding = padding_of<D>(f.at("padding")),
                          .dilation = numbers(f.at("dilation")), .groups = std::stoll(f.at("groups")),
                          .bias = f.at("bias") == "1", .padding_mode = f.at("mode")});
    check_module(module, f, r, {});
  }
}

}  // namespace

TEST_CASE("conv modules match PyTorch on every fixture configuration") {
  int count = 0;
  for (const auto& f : test::fixture_cases("conv/cases.txt")) {
    CAPTURE(f.at("line"));
    Reader r{test::fixture_floats("conv/" + f.at("name"))};
    switch (std::stoi(f.at("dims"))) {
      case 1: check_case<1>(f, r); break;
      case 2: check_case<2>(f, r); break;
      case 3: check_case<3>(f, r); break;
    }
    ++count;
  }
  CHECK(count == 104);  // every line of conv/cases.txt
}
