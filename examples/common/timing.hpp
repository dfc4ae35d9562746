#pragma once
// What the benchmark programs print, in the reference scripts' format: "med=… min=… max=… n=…".
#include <algorithm>
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

}  // namespace examples
