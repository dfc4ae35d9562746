// ReLU on the values where they lie: a conv's blocked output (a native copy, ops/onednn.h) is read and
// written in its own layout, so a ReLU between two oneDNN ops costs no reorder. It is one vectorised pass
// of our own, not oneDNN's eltwise primitive, whose ReLU turns NaN into 0 where PyTorch's keeps it.
#include "nabla/autograd/node.hpp"
#include "nabla/core/factory.hpp"
#include "nabla/ops/elementwise.hpp"
#include "ops/activation.h"
#include "ops/kernels.h"
#include "ops/onednn.h"

namespace nabla {
namespace {

// y = relu(x) over n floats (a blocked layout's padding included: zeros stay zeros); returns whether a NaN
// went through.
bool relu_forward(const float* x, float* y, int64_t n) {
  int nan = 0;
#pragma omp parallel for simd reduction(| : nan) if (n > (1 << 16))
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    nan |= v != v;
    y[i] = v <= 0.f ? 0.f : v;  // NaN compares false: it stays NaN
  }
  return nan != 0;
}

// PyTorch's threshold_backward: the gradient passes where the output is not <= 0 (positive, or NaN).
void relu_backward(const float* y, const float* g, float* gx, int64_t n) {
#pragma omp parallel for simd if (n > (1 << 16))
  for (int64_t i = 0; i < n; ++i) gx[i] = y[i] <= 0.f ? 0.f : g[i];
}

float* floats(const dnnl::memory& m) { return static_cast<float*>(m.get_data_handle()); }
int64_t count(const dnnl::memory::desc& md) { return static_cast<int64_t>(md.get_size() / sizeof(float)); }

}  // namespace

Tensor detail::record_relu(const Tensor& input, const Tensor& output) {
  return autograd::record(
      "ReluBackward0", output, {input},
      [output](const Tensor& grad, const autograd::Needs&) {
        const dnnl::memory::desc layout = onednn::layout_of(output);
        Tensor y_keep, grad_keep;
        const dnnl::memory y = onednn::read_as(output, layout, y_keep);
        const dnnl::memory g = onednn::read_as(onednn::dense(grad), layout, grad_keep);
        onednn::Output gx(output.shape(), layout, output);
        relu_backward(floats(y), floats(g), floats(gx.memory()), count(layout));
        return autograd::Grads{gx.finish()};
      },
      autograd::Saves::Output);
}

Tensor relu(const Tensor& input) {
  kernels::check_float(input, "relu");
  const Tensor x = onednn::dense(input.detach());
  const dnnl::memory::desc layout = onednn::layout_of(x);
  Tensor x_keep;
  const dnnl::memory src = onednn::read_as(x, layout, x_keep);
  onednn::Output y(x.shape(), layout, x);
  const bool nan = relu_forward(floats(src), floats(y.memory()), count(layout));
  const Tensor out = y.finish();
  if (!nan) onednn::mark_nan_free(out);
  return detail::record_relu(input, out);
}

}  // namespace nabla
