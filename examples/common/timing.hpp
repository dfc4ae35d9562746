#pragma once
// What the benchmark programs print, in the reference scripts' format: "med=… min=… max=… n=…".
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace examples {

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

inline std::string stats(const std::vector<double>& v, int digits = 1) {
  char buffer[160];
  std::snprintf(buffer, sizeof buffer, "med=%.*f min=%.*f max=%.*f n=%zu", digits, median(v), digits,
                *std::min_element(v.begin(), v.end()), digits, *std::max_element(v.begin(), v.end()), v.size());
  return buffer;
}

// As the twins time: `warmup` calls of step(), then `chunks` timed chunks of `steps` calls each; per chunk, the
// rate in units per second (a step processing `units_per_step` images, or 1 for steps per second).
template <class Step>
std::vector<double> chunk_rates(Step&& step, int warmup, int chunks, int steps, double units_per_step) {
  for (int i = 0; i < warmup; ++i) step();
  std::vector<double> rates;
  for (int c = 0; c < chunks; ++c) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < steps; ++i) step();
    rates.push_back(steps * units_per_step /
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return rates;
}

}  // namespace examples
