#pragma once
// --export-onnx FILE, as every example takes it: the trained model traced on one example input and written as an
// ONNX model (opset 17, any batch size) for onnxruntime, OpenVINO, TensorRT or nabla::onnx::load.
#include <CLI/CLI.hpp>
#include <nabla/nabla.hpp>

#include <iostream>
#include <string>

namespace examples {

inline void add_export_onnx_option(CLI::App& app, std::string& path) {
  app.add_option("--export-onnx", path, "write the trained model to this ONNX file (opset 17, dynamic batch)");
}

template <class M>
void export_onnx(M& model, const nabla::Tensor& example_input, const std::string& path) {
  if (path.empty()) return;
  nabla::onnx::export_model(model, example_input, path);
  std::cout << "exported " << path << " (ONNX opset 17, any batch size)\n";
}

}  // namespace examples
