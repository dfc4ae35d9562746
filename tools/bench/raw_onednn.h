#pragma once
// What the raw-oneDNN twins (onednn_dsblock, onednn_mnist_reduced, onednn_mnist_bf16_train) share: dev-time
// programs on the oneDNN API alone, no Nabla code. The engine and stream, the list of steps one timed pass runs,
// a value's move into the layout a primitive wants (a reorder step where it is not there yet), the ReLU post-op,
// and the "M,<metric>,..." line mnist_reference.py prints.
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <vector>

namespace raw {

inline dnnl::engine eng(dnnl::engine::kind::cpu, 0);
inline dnnl::stream strm(eng);
inline std::vector<std::function<void()>> steps;  // one pass, in order

// `from` in layout `want`: itself, or a new memory plus a reorder step (counted in the time).
inline dnnl::memory in_layout(const dnnl::memory& from, const dnnl::memory::desc& want) {
  if (from.get_desc() == want) return from;
  dnnl::memory to(want, eng);
  dnnl::reorder r(from, to);
  steps.push_back([=] { r.execute(strm, {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}}); });
  return to;
}

inline dnnl::primitive_attr relu_post_op() {
  dnnl::primitive_attr attr;
  dnnl::post_ops ops;
  ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
  attr.set_post_ops(ops);
  return attr;
}

// "M,<metric>,threads=T,batch=B,med=... min=... max=... n=K<extra>", as mnist_reference.py prints its measurements.
inline void print_rates(const char* metric, int threads, int batch, std::vector<double> rates, const char* extra = "") {
  std::sort(rates.begin(), rates.end());
  std::printf("M,%s,threads=%d,batch=%d,med=%.1f min=%.1f max=%.1f n=%zu%s\n", metric, threads, batch,
              rates[rates.size() / 2], rates.front(), rates.back(), rates.size(), extra);
}

}  // namespace raw
