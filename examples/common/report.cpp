#include "common/report.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nabla/core/file.hpp>
#include <sstream>

namespace examples {

std::vector<EpochMetrics> read_metrics_csv(const std::string& path) {
  std::vector<EpochMetrics> rows;
  if (!std::filesystem::exists(path)) return rows;
  std::istringstream in(nabla::read_file(path, "read_metrics_csv"));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    EpochMetrics m{};
    if (std::sscanf(line.c_str(), "%d,%lf,%lf,%lf,%lf,%lf", &m.epoch, &m.train_loss, &m.test_loss, &m.test_accuracy,
                    &m.seconds, &m.samples_per_second) == 6)
      rows.push_back(m);
  }
  return rows;
}

void write_metrics_csv(const std::string& path, const std::vector<EpochMetrics>& rows) {
  std::ostringstream out;
  out << "epoch,train_loss,test_loss,test_accuracy,seconds,samples_per_second\n";
  for (const auto& m : rows)
    out << m.epoch << "," << m.train_loss << "," << m.test_loss << "," << m.test_accuracy << "," << m.seconds << ","
        << m.samples_per_second << "\n";
  nabla::write_file(path, out.str(), "write_metrics_csv");
}

MetricsLog::MetricsLog(std::string csv_path, std::string svg_path, std::string title, int first_epoch)
    : csv_path_(std::move(csv_path)), svg_path_(std::move(svg_path)), title_(std::move(title)) {
  // Refused now, not after the first epoch's training.
  if (!csv_path_.empty()) nabla::check_writable_file(csv_path_, "metrics CSV");
  if (!svg_path_.empty()) nabla::check_writable_file(svg_path_, "training curve");
  if (!csv_path_.empty()) rows_ = read_metrics_csv(csv_path_);
  std::erase_if(rows_, [&](const EpochMetrics& m) { return m.epoch >= first_epoch; });
}

void MetricsLog::add(const EpochMetrics& row) {
  rows_.push_back(row);
  if (!csv_path_.empty()) write_metrics_csv(csv_path_, rows_);
  if (!svg_path_.empty()) write_training_curve_svg(svg_path_, title_, rows_);
}

std::string confusion_report(const std::vector<std::string>& classes, const std::vector<std::vector<int64_t>>& matrix) {
  const size_t n = classes.size();
  size_t width = 9;
  for (const auto& c : classes) width = std::max(width, c.size() + 2);
  std::ostringstream out;
  char cell[64];
  out << "confusion matrix (rows: true class, columns: predicted)\n" << std::string(width, ' ');
  for (const auto& c : classes) out << std::string(width - c.size(), ' ') << c;
  out << "\n";
  int64_t total = 0, correct = 0;
  for (size_t i = 0; i < n; ++i) {
    out << classes[i] << std::string(width - classes[i].size(), ' ');
    for (size_t j = 0; j < n; ++j) {
      std::snprintf(cell, sizeof cell, "%*lld", static_cast<int>(width), static_cast<long long>(matrix[i][j]));
      out << cell;
      total += matrix[i][j];
      if (i == j) correct += matrix[i][j];
    }
    out << "\n";
  }
  out << "\n" << std::string(width, ' ') << "precision   recall       F1  support\n";
  double f1_sum = 0;
  for (size_t c = 0; c < n; ++c) {
    int64_t predicted = 0, actual = 0;
    for (size_t k = 0; k < n; ++k) {
      predicted += matrix[k][c];
      actual += matrix[c][k];
    }
    const double tp = static_cast<double>(matrix[c][c]);
    const double precision = predicted ? tp / predicted : 0, recall = actual ? tp / actual : 0;
    const double f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
    f1_sum += f1;
    std::snprintf(cell, sizeof cell, "%9.4f%9.4f%9.4f%9lld", precision, recall, f1, static_cast<long long>(actual));
    out << classes[c] << std::string(width - classes[c].size(), ' ') << cell << "\n";
  }
  std::snprintf(cell, sizeof cell, "accuracy %.2f%% (%lld/%lld), macro F1 %.4f", total ? 100.0 * correct / total : 0.0,
                static_cast<long long>(correct), static_cast<long long>(total), n ? f1_sum / n : 0.0);
  out << cell << "\n";
  return out.str();
}

namespace {

// One panel: a polyline per series over epochs, with min/max labels on the y axis.
void panel(std::ostream& svg, double x0, const std::string& title,
           const std::vector<std::pair<std::string, std::vector<double>>>& series,
           const std::vector<std::string>& colors) {
  constexpr double width = 360, height = 240, left = 50, top = 30;
  double lo = 1e300, hi = -1e300;
  size_t n = 0;
  for (const auto& [name, values] : series) {
    for (double v : values) lo = std::min(lo, v), hi = std::max(hi, v);
    n = std::max(n, values.size());
  }
  if (hi <= lo) hi = lo + 1;
  const auto px = [&](size_t i) { return x0 + left + (n > 1 ? width * i / (n - 1) : width / 2); };
  const auto py = [&](double v) { return top + height * (hi - v) / (hi - lo); };
  svg << "<text x='" << x0 + left << "' y='18' font-size='14'>" << title << "</text>\n";
  svg << "<rect x='" << x0 + left << "' y='" << top << "' width='" << width << "' height='" << height
      << "' fill='none' stroke='#999'/>\n";
  svg << "<text x='" << x0 + 4 << "' y='" << top + 10 << "' font-size='10'>" << hi << "</text>\n";
  svg << "<text x='" << x0 + 4 << "' y='" << top + height << "' font-size='10'>" << lo << "</text>\n";
  for (size_t i = 0; i < n; ++i)
    svg << "<text x='" << px(i) - 3 << "' y='" << top + height + 14 << "' font-size='10'>" << i + 1 << "</text>\n";
  svg << "<text x='" << x0 + left + width / 2 - 15 << "' y='" << top + height + 28 << "' font-size='11'>epoch</text>\n";
  for (size_t s = 0; s < series.size(); ++s) {
    const auto& [name, values] = series[s];
    svg << "<polyline fill='none' stroke='" << colors[s] << "' stroke-width='2' points='";
    for (size_t i = 0; i < values.size(); ++i) svg << px(i) << "," << py(values[i]) << " ";
    svg << "'/>\n";
    for (size_t i = 0; i < values.size(); ++i)
      svg << "<circle cx='" << px(i) << "' cy='" << py(values[i]) << "' r='3' fill='" << colors[s] << "'/>\n";
    svg << "<text x='" << x0 + left + 8 << "' y='" << top + 16 + 14 * s << "' font-size='11' fill='" << colors[s]
        << "'>" << name << "</text>\n";
  }
}

}  // namespace

void write_training_curve_svg(const std::string& path, const std::string& title,
                              const std::vector<EpochMetrics>& rows) {
  std::vector<double> train_loss, test_loss, accuracy;
  for (const auto& m : rows) {
    train_loss.push_back(m.train_loss);
    test_loss.push_back(m.test_loss);
    accuracy.push_back(m.test_accuracy);
  }
  std::ostringstream svg;
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='860' height='320' font-family='sans-serif'>\n"
      << "<rect width='100%' height='100%' fill='white'/>\n<title>" << title << "</title>\n";
  panel(svg, 0, title + ": loss", {{"train loss", train_loss}, {"test loss", test_loss}}, {"#1f77b4", "#d62728"});
  panel(svg, 430, "test accuracy (%)", {{"test accuracy", accuracy}}, {"#2ca02c"});
  svg << "</svg>\n";
  nabla::write_file(path, svg.str(), "write_training_curve_svg");
}

}  // namespace examples
