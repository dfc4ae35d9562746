// libFuzzer target: loading a safetensors checkpoint (header length, JSON header, offsets, dtypes, data,
// metadata checksums, quantization parameters) and then loading it into a module. Every input must load or raise
// nabla::Error.
#include <nabla/nabla.hpp>

#include "fuzz_files.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  nabla::set_memory_limit(int64_t{32} << 20);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::as_file(data, size, ".safetensors");
  try {
    nabla::Metadata metadata;
    const nabla::StateDict state = nabla::load(path, &metadata);
    for (const auto& [name, tensor] : state)  // every value read
      (void)(tensor.is_quantized() ? tensor.dequantize() : tensor.to(nabla::kFloat32)).sum();
    nabla::nn::Linear linear({.in_features = 2, .out_features = 2});
    linear.load_state_dict(state, false);
  } catch (const nabla::Error&) {
  }
  return 0;
}
