// operator<< for Tensor: PyTorch's repr (torch/_tensor_str.py), so printed values can be compared
// with PyTorch's by eye: precision 4, summarised beyond 1000 elements with 3 edge items, 80 columns.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <ostream>
#include <sstream>

#include "nabla/autograd/node.hpp"
#include "nabla/ops/quantize.hpp"
#include "core/tensor_impl.h"

namespace nabla {
namespace {

constexpr int kPrecision = 4;
constexpr int64_t kThreshold = 1000;
constexpr int64_t kEdgeItems = 3;
constexpr int kLineWidth = 80;

// "," then `newlines` line breaks and `indent` spaces. Built by appending: GCC 12 warns falsely (-Wrestrict, its bug
// 105329) on `"," + std::string(n, c)`.
std::string break_after_comma(size_t newlines, size_t indent) {
  std::string s = ",";
  s.append(newlines, '\n');
  s.append(indent, ' ');
  return s;
}

std::string printf_str(const char* format, double value, int precision = kPrecision) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, precision, value);
  return buffer;
}

// PyTorch's _Formatter: one number style and width for the whole tensor.
class Formatter {
 public:
  Formatter(Dtype dtype, const std::vector<double>& values) : dtype_(dtype) {
    if (!is_floating_point(dtype_)) {
      for (double v : values) width_ = std::max(width_, format_raw(v).size());
      return;
    }
    std::vector<double> finite;
    for (double v : values)
      if (std::isfinite(v) && v != 0.0) finite.push_back(std::fabs(v));
    if (finite.empty()) return;
    const auto [lo, hi] = std::minmax_element(finite.begin(), finite.end());
    int_mode_ = std::all_of(finite.begin(), finite.end(), [](double v) { return v == std::ceil(v); });
    sci_mode_ = *hi / *lo > 1000.0 || *hi > 1e8 || (!int_mode_ && *lo < 1e-4);
    for (double v : values)
      if (std::isfinite(v) && v != 0.0) width_ = std::max(width_, format_raw(v).size() + (int_mode_ && !sci_mode_));
  }

  std::string format(double v) const {
    std::string s = format_raw(v);
    if (is_floating_point(dtype_) && int_mode_ && !sci_mode_ && std::isfinite(v)) s += ".";
    return std::string(width_ > s.size() ? width_ - s.size() : 0, ' ') + s;
  }
  size_t width() const { return width_; }

 private:
  std::string format_raw(double v) const {
    if (dtype_ == kBool) return v != 0.0 ? "True" : "False";
    if (!is_floating_point(dtype_)) return std::to_string(static_cast<int64_t>(v));
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    if (sci_mode_) return printf_str("%.*e", v);
    if (int_mode_) return printf_str("%.*f", v, 0);
    return printf_str("%.*f", v);
  }

  Dtype dtype_;
  bool int_mode_ = true, sci_mode_ = false;
  size_t width_ = 1;
};

// Walks the elements PyTorch prints (edge items only when summarising) over a contiguous copy.
struct Printer {
  const std::vector<double>& values;
  const Shape& shape;
  bool summarize;

  std::vector<int64_t> shown(int64_t dim) const {
    std::vector<int64_t> idx;
    const int64_t n = shape[dim];
    if (summarize && n > 2 * kEdgeItems) {
      for (int64_t i = 0; i < kEdgeItems; ++i) idx.push_back(i);
      idx.push_back(-1);  // the "..."
      for (int64_t i = n - kEdgeItems; i < n; ++i) idx.push_back(i);
    } else {
      for (int64_t i = 0; i < n; ++i) idx.push_back(i);
    }
    return idx;
  }

  int64_t block(int64_t dim) const {
    int64_t b = 1;
    for (size_t d = dim + 1; d < shape.size(); ++d) b *= shape[d];
    return b;
  }

  void collect(int64_t dim, int64_t base, std::vector<double>& out) const {
    if (dim == static_cast<int64_t>(shape.size())) return out.push_back(values[base]);
    for (int64_t i : shown(dim))
      if (i >= 0) collect(dim + 1, base + i * block(dim), out);
  }

  std::string str(int64_t dim, int64_t base, int indent, const Formatter& f) const {
    const int64_t rank = static_cast<int64_t>(shape.size());
    if (rank == 0) return f.format(values[0]);
    if (dim == rank - 1) {  // a row, wrapped to the line width
      std::vector<std::string> items;
      for (int64_t i : shown(dim)) items.push_back(i < 0 ? " ..." : f.format(values[base + i]));
      const size_t per_line = std::max<size_t>(1, (kLineWidth - indent) / (f.width() + 2));
      std::string s = "[";
      for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) s += i % per_line == 0 ? break_after_comma(1, indent + 1) : ", ";
        s += items[i];
      }
      return s + "]";
    }
    const std::string separator = break_after_comma(rank - dim - 1, indent + 1);
    std::string s = "[";
    bool first = true;
    for (int64_t i : shown(dim)) {
      if (!first) s += separator;
      first = false;
      s += i < 0 ? "..." : str(dim + 1, base + i * block(dim), indent + 1, f);
    }
    return s + "]";
  }
};

std::string shape_tuple(const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

}  // namespace

std::string to_string(const Tensor& tensor) {
  if (!tensor.defined()) return "[ Tensor (undefined) ]";
  const std::string prefix = "tensor(";
  const int indent = static_cast<int>(prefix.size());
  std::vector<std::string> suffixes;
  std::string body;
  // A quantized tensor prints the values it stands for, then its size, dtype and parameters.
  const Tensor shown = tensor.is_quantized() ? tensor.dequantize() : tensor;
  if (tensor.is_quantized()) suffixes.push_back("size=" + shape_tuple(tensor.shape()));
  if (tensor.numel() == 0) {
    body = "[]";
    if (tensor.dim() != 1 && !tensor.is_quantized()) suffixes.push_back("size=" + shape_tuple(tensor.shape()));
  } else {
    std::vector<double> values;
    if (shown.dtype() == kInt64) {
      for (int64_t v : shown.to_vector<int64_t>()) values.push_back(static_cast<double>(v));
    } else {
      values = shown.to_vector<double>();
    }
    const Printer printer{values, shown.shape(), shown.numel() > kThreshold};
    std::vector<double> printed;
    printer.collect(0, 0, printed);
    body = printer.str(0, 0, indent, Formatter(shown.dtype(), printed));
  }
  // PyTorch names the dtype unless it is one a literal of these values would get (float32, int64, bool).
  if (tensor.is_quantized()) {
    suffixes.push_back(std::string("dtype=torch.") + (tensor.dtype() == kUInt8 ? "quint8" : "qint8"));
    suffixes.push_back(std::string("quantization_scheme=torch.") + qscheme_name(tensor.qscheme()));
    if (tensor.qscheme() == QScheme::PerChannelAffine) {
      suffixes.push_back("scale=" + to_string(tensor.q_per_channel_scales()));
      suffixes.push_back("zero_point=" + to_string(tensor.q_per_channel_zero_points()));
      suffixes.push_back("axis=" + std::to_string(tensor.q_per_channel_axis()));
    } else {
      suffixes.push_back("scale=" + python_float(tensor.q_scale()));
      suffixes.push_back("zero_point=" + std::to_string(tensor.q_zero_point()));
    }
  } else if (tensor.dtype() != kFloat32 && tensor.dtype() != kInt64 && tensor.dtype() != kBool) {
    suffixes.push_back(std::string("dtype=torch.") + dtype_name(tensor.dtype()));
  }
  if (tensor.grad_fn())
    suffixes.push_back("grad_fn=<" + tensor.grad_fn()->name + ">");
  else if (tensor.requires_grad())
    suffixes.push_back("requires_grad=True");

  std::string s = prefix + body;
  const size_t newline = s.rfind('\n');  // PyTorch's len(s) - s.rfind('\n') + 1, where rfind may be -1
  size_t last_line = newline == std::string::npos ? s.size() + 2 : s.size() - newline + 1;
  for (const auto& suffix : suffixes) {
    if (last_line + suffix.size() + 2 > kLineWidth) {
      s += break_after_comma(1, indent) + suffix;
      last_line = indent + suffix.size();
    } else {
      s += ", " + suffix;
      last_line += suffix.size() + 2;
    }
  }
  return s + ")";
}

std::ostream& operator<<(std::ostream& os, const Tensor& tensor) { return os << to_string(tensor); }

}  // namespace nabla
