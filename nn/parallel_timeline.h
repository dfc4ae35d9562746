#pragma once
// Private: instrumentation of nn::DistributedDataParallel, for benchmarks and tests (not part of the API).
#include <cstddef>
#include <vector>

#include "nabla/nn/parallel.hpp"

namespace nabla::nn::detail {

// The last backward as the reducer saw it: when each bucket's all-reduce started (milliseconds from the backward's
// first ready gradient, and how many gradients were ready then), when the backward ended and when the averages
// were in place: how much of the communication ran under the backward.
struct ReducerTimeline {
  std::vector<double> bucket_started_ms;
  std::vector<size_t> bucket_started_ready;  // gradients ready (of num_params) when each bucket started
  size_t num_params = 0;
  double backward_ended_ms = 0;
  double reduced_ms = 0;  // when every bucket's average was in place (reduced_ms - backward_ended_ms: exposed)
};

const ReducerTimeline& timeline_of(const Reducer& reducer);
size_t buckets_of(const Reducer& reducer);

}  // namespace nabla::nn::detail
