// libFuzzer target: nabla::onnx::parse on any bytes, and a forward of what it loads on a small input of the declared
// shape (symbolic dims as 2). Each input must load and run or raise nabla::Error.
#include <nabla/nabla.hpp>
#include <nabla/nn/onnx.hpp>

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  nabla::set_memory_limit(int64_t{32} << 20);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    nabla::onnx::Model model = nabla::onnx::parse(std::string(reinterpret_cast<const char*>(data), size), "fuzz.onnx");
    std::vector<nabla::Tensor> inputs;
    for (const nabla::onnx::ValueInfo& input : model.inputs()) {
      nabla::Shape shape;
      for (int64_t d : input.shape) shape.push_back(d < 0 ? 2 : d);
      nabla::check_allocatable(shape, input.dtype, "fuzz");
      if (nabla::numel(shape) > (int64_t{1} << 20)) return 0;
      inputs.push_back(nabla::ones(shape, input.dtype));
    }
    nabla::NoGradGuard no_grad;
    (void)model.forward(inputs);
  } catch (const nabla::Error&) {
  }
  return 0;
}
