#pragma once
// What the examples leave behind after each epoch: a metrics CSV and a training-curve picture (SVG,
// opens in any browser), rewritten whole each time so an interrupted run still has both.
#include <cstdint>
#include <string>
#include <vector>

namespace examples {

struct EpochMetrics {
  int epoch;
  double train_loss;
  double test_loss;
  double test_accuracy;  // percent
  double seconds;
  double samples_per_second;
};

// Reads the rows an earlier run wrote (for --resume); missing file → no rows.
std::vector<EpochMetrics> read_metrics_csv(const std::string& path);
void write_metrics_csv(const std::string& path, const std::vector<EpochMetrics>& rows);
// The confusion matrix (rows: true class, columns: predicted) followed by each class's precision,
// recall, F1 and support, and the accuracy and macro F1, as a printable table.
std::string confusion_report(const std::vector<std::string>& classes, const std::vector<std::vector<int64_t>>& matrix);

// Two panels: train/test loss and test accuracy per epoch.
void write_training_curve_svg(const std::string& path, const std::string& title, const std::vector<EpochMetrics>& rows);

// A run's metrics CSV and training curve, both rewritten after each epoch. A run resumed at `first_epoch` keeps the
// rows an earlier run wrote for the epochs before it. An empty path: that file is not written.
class MetricsLog {
 public:
  MetricsLog(std::string csv_path, std::string svg_path, std::string title, int first_epoch);
  void add(const EpochMetrics& row);

 private:
  std::string csv_path_, svg_path_, title_;
  std::vector<EpochMetrics> rows_;
};

}  // namespace examples
