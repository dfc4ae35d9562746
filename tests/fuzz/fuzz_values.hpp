#pragma once
// What the libFuzzer targets draw their cases from: size options that are mostly small but sometimes zero, negative
// or huge; inputs with now and then a NaN or an infinity; and the verdict for a defect (an abort libFuzzer records).
#include <fuzzer/FuzzedDataProvider.h>
#include <nabla/nabla.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

namespace fuzz {

using nabla::Shape;
using nabla::Tensor;


[[noreturn]] inline void defect(const std::string& what) {
  std::fprintf(stderr, "fuzz: defect: %s\n", what.c_str());
  std::abort();
}

// A size option: mostly small, sometimes zero, negative or huge.
inline int64_t option(FuzzedDataProvider& in, int64_t lo, int64_t hi) {
  static constexpr int64_t kSpecial[] = {-1,
                                         0,
                                         1 << 16,
                                         (int64_t{1} << 31) - 1,
                                         int64_t{1} << 31,
                                         int64_t{1} << 40,
                                         int64_t{1} << 62,
                                         std::numeric_limits<int64_t>::max(),
                                         std::numeric_limits<int64_t>::min()};
  if (in.ConsumeIntegralInRange<int>(0, 15) == 0) return kSpecial[in.ConsumeIntegralInRange<size_t>(0, 8)];
  return in.ConsumeIntegralInRange<int64_t>(lo, hi);
}

// D values, or now and then one (broadcast) or a wrong count.
inline std::vector<int64_t> options(FuzzedDataProvider& in, size_t dims, int64_t lo, int64_t hi) {
  const int form = in.ConsumeIntegralInRange<int>(0, 9);
  const size_t n = form == 0 ? 1 : form == 1 ? in.ConsumeIntegralInRange<size_t>(0, 4) : dims;
  std::vector<int64_t> v;
  for (size_t i = 0; i < n; ++i) v.push_back(option(in, lo, hi));
  return v;
}

inline int64_t at(const std::vector<int64_t>& v, size_t d) { return v.size() == 1 ? v[0] : v[d]; }

// An input of rank dims + 2 (sometimes dims + 1, unbatched, or any rank), with small sizes.
inline Tensor input(FuzzedDataProvider& in, size_t dims) {
  const int form = in.ConsumeIntegralInRange<int>(0, 9);
  const size_t rank = form == 0 ? in.ConsumeIntegralInRange<size_t>(0, 5) : form == 1 ? dims + 1 : dims + 2;
  Shape shape;
  for (size_t i = 0; i < rank; ++i) shape.push_back(in.ConsumeIntegralInRange<int64_t>(0, 6));
  Tensor x = nabla::randn(shape);
  if (x.numel() > 0 && in.ConsumeIntegralInRange<int>(0, 7) == 0)  // a NaN or an infinity somewhere
    x.data_ptr<float>()[in.ConsumeIntegralInRange<int64_t>(0, x.numel() - 1)] =
        in.ConsumeBool() ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  return x;
}

// A real option (a slope, an eps, a scale factor, a learning rate): mostly in [lo, hi], sometimes a special value.
inline double real(FuzzedDataProvider& in, double lo, double hi) {
  static constexpr double kSpecial[] = {0.0,
                                        -0.0,
                                        -1.0,
                                        1e-30,
                                        1e30,
                                        -1e30,
                                        1e300,
                                        std::numeric_limits<double>::quiet_NaN(),
                                        std::numeric_limits<double>::infinity(),
                                        -std::numeric_limits<double>::infinity()};
  if (in.ConsumeIntegralInRange<int>(0, 15) == 0) return kSpecial[in.ConsumeIntegralInRange<size_t>(0, 9)];
  return in.ConsumeFloatingPointInRange<double>(lo, hi);
}

inline bool finite(const Tensor& t) {
  for (float v : t.to_vector<float>())
    if (!std::isfinite(v)) return false;
  return true;
}

}  // namespace fuzz

// libFuzzer's start-up hook, for every target that includes this header (one translation unit each): a few MB are
// plenty for their shapes (beyond them a case must be refused, and fails fast instead of paging; adaptive pooling to
// a 4M-element output once took 14 s under ASan), and one thread.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  nabla::set_memory_limit(int64_t{4} << 20);
  nabla::set_num_threads(1);
  return 0;
}
