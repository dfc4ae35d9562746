#include "ops/onednn.h"

#include <atomic>

#include "nabla/core/error.hpp"
#include "core/log.h"
#include "core/runtime.h"
#include "nabla/core/runtime.hpp"
#include "core/tensor_impl.h"

namespace nabla {
namespace {
std::atomic<uint64_t> created{0};
}

uint64_t primitives_created() { return created.load(); }

namespace onednn {

dnnl::engine& engine() {
  static dnnl::engine instance = [] {
    detail::ensure_runtime();
    return dnnl::engine(dnnl::engine::kind::cpu, 0);
  }();
  return instance;
}

dnnl::stream& stream() {
  static dnnl::stream instance(engine());
  return instance;
}

dnnl::memory::dims dims(const Shape& shape) { return dnnl::memory::dims(shape.begin(), shape.end()); }

dnnl::memory::desc desc_of(const Tensor& t) {
  NABLA_CHECK(t.dtype() == kFloat32, "oneDNN ops take float32 tensors, got ", dtype_name(t.dtype()));
  return dnnl::memory::desc(dims(t.shape()), dnnl::memory::data_type::f32, dims(t.strides()));
}

dnnl::memory memory_of(const dnnl::memory::desc& md, const Tensor& t) {
  return dnnl::memory(md, engine(), t.impl()->data());
}

dnnl::memory memory_of(const Tensor& t) { return memory_of(desc_of(t), t); }

void execute(const dnnl::primitive& p, const std::unordered_map<int, dnnl::memory>& args) {
  p.execute(stream(), args);
  stream().wait();
}

void note_created(const char* op, const std::string& key, const dnnl::primitive_desc& pd) {
  ++created;
  detail::logger().debug("new {} primitive {}: {}", op, key, pd.impl_info_str());
}

}  // namespace onednn
}  // namespace nabla
