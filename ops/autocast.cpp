// Whether bfloat16 pays on this CPU: one small convolution timed in both types, once per process.
#include "nabla/ops/autocast.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <unordered_map>

#include "nabla/autograd/node.hpp"
#include "nabla/core/autocast.hpp"
#include "core/log.h"
#include "core/runtime.h"
#include "core/tensor_impl.h"
#include "ops/onednn.h"

namespace nabla::autocast {

namespace {

// One forward convolution (64 to 64 channels, 3x3, 28x28, batch 4) in one dtype, ready to run.
struct ProbeConv {
  explicit ProbeConv(dnnl::memory::data_type dtype) {
    using Tag = dnnl::memory::format_tag;
    const dnnl::memory::dims src{4, 64, 28, 28}, weights{64, 64, 3, 3}, one{1, 1};
    const auto any = [&](const dnnl::memory::dims& d) { return dnnl::memory::desc(d, dtype, Tag::any); };
    const dnnl::convolution_forward::primitive_desc pd(
        {dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, any(src), any(weights), any(src), one,
         one, one},
        onednn::engine());
    conv = dnnl::convolution_forward(pd);
    args = {{DNNL_ARG_SRC, dnnl::memory(pd.src_desc(), onednn::engine())},
            {DNNL_ARG_WEIGHTS, dnnl::memory(pd.weights_desc(), onednn::engine())},
            {DNNL_ARG_DST, dnnl::memory(pd.dst_desc(), onednn::engine())}};
  }
  double seconds() const {
    const auto start = std::chrono::steady_clock::now();
    conv.execute(onednn::stream(), args);
    onednn::stream().wait();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  dnnl::convolution_forward conv;
  std::unordered_map<int, dnnl::memory> args;
};

bool decide() {
  const char* setting = std::getenv("NABLA_BF16");
  const std::string choice = setting ? setting : "";
  if (choice == "force" || choice == "off") {
    detail::logger().info("autocast: NABLA_BF16={}: bfloat16 {}", choice, choice == "force" ? "on" : "off");
    return choice == "force";
  }
  try {
    // After one warm-up run each, the best of eight, the two types alternating, so that load from other
    // processes falls on both alike.
    const ProbeConv f32_conv(dnnl::memory::data_type::f32), bf16_conv(dnnl::memory::data_type::bf16);
    f32_conv.seconds();
    bf16_conv.seconds();
    double f32 = 1e9, bf16 = 1e9;
    for (int run = 0; run < 8; ++run) {
      f32 = std::min(f32, f32_conv.seconds());
      bf16 = std::min(bf16, bf16_conv.seconds());
    }
    const bool pays = bf16 * 1.2 < f32;  // a clear gain, not noise
    detail::logger().info("autocast: a bfloat16 convolution runs {:.2f}x as fast as float32 here ({:.0f} vs {:.0f} "
                          "us): {}",
                          f32 / bf16, bf16 * 1e6, f32 * 1e6,
                          pays ? "bfloat16 on" : "float32 kept (NABLA_BF16=force runs bfloat16 anyway)");
    return pays;
  } catch (const dnnl::error& e) {  // no bfloat16 kernel on this CPU
    detail::logger().info("autocast: no bfloat16 convolution on this CPU ({}): float32 kept", e.what());
    return false;
  }
}

}  // namespace

bool bfloat16_pays() {
  static const bool pays = decide();
  return pays;
}

Dtype lower_precision_dtype() { return is_autocast_enabled() && bfloat16_pays() ? get_autocast_dtype() : kFloat32; }

namespace {

// The bfloat16 copies of parameters, by storage and place, with the version each was made from.
struct CastCopy {
  uint64_t version;
  Tensor copy;
};
std::mutex cast_mutex;
std::map<std::tuple<uint64_t, int64_t, Shape>, CastCopy> cast_cache;

Tensor cached_copy(const Tensor& parameter, Dtype dtype) {
  const auto key = std::tuple{parameter.impl()->storage->id, parameter.storage_offset(), parameter.shape()};
  std::lock_guard lock(cast_mutex);
  auto it = cast_cache.find(key);
  if (it == cast_cache.end() || it->second.version != parameter.version()) {
    if (cast_cache.size() > 256) cast_cache.clear();  // parameters of models long gone
    detail::count_weight_copy();
    it = cast_cache.insert_or_assign(key, CastCopy{parameter.version(), parameter.detach().to(dtype)}).first;
  }
  return it->second.copy;
}

}  // namespace

Tensor lower_precision_operand(const Tensor& t) {
  if (!is_autocast_enabled() || !t.defined()) return t;
  const Dtype dtype = lower_precision_dtype();
  if (t.dtype() == dtype || !is_floating_point(t.dtype())) return t;
  if (!t.is_leaf() || !t.requires_grad()) return t.to(dtype);
  // A parameter: its cached copy, tied to it in the graph by a cast's backward (the gradient comes back float32).
  return autograd::record(
      "ToCopyBackward0", cached_copy(t, dtype), {t},
      [source = t.dtype()](const Tensor& g, const autograd::Needs&) { return autograd::Grads{g.to(source)}; },
      autograd::Saves::Nothing);
}

}  // namespace nabla::autocast
