#include "eval/metrics_json.hpp"

#include <cmath>
#include <sstream>

#include <fmt/format.h>

namespace logoscope::eval {

double as_confidence(double threshold) { return std::round(threshold * 10000.0) / 100.0; }

nlohmann::json metrics_to_json(const Metrics& metrics, bool include_curves) {
  nlohmann::json labels = nlohmann::json::array();
  for (const auto& lm : metrics.labels) {
    nlohmann::json entry = {{"name", lm.name},
                            {"ground_truth", lm.ground_truth},
                            {"detections", lm.detections},
                            {"ap50", lm.ap50},
                            {"ap50_95", lm.ap50_95},
                            {"recall_at_100", lm.recall_at_100},
                            {"assumed_threshold", as_confidence(lm.assumed_threshold)},
                            {"precision", lm.precision},
                            {"recall", lm.recall},
                            {"f1", lm.f1},
                            {"true_positives", lm.true_positives},
                            {"false_positives", lm.false_positives},
                            {"false_negatives", lm.false_negatives}};
    if (include_curves) {
      nlohmann::json curve = nlohmann::json::array();
      for (const auto& point : lm.curve) {
        curve.push_back({as_confidence(point.threshold), point.precision, point.recall, point.f1});
      }
      entry["curve"] = {{"columns", {"confidence", "precision", "recall", "f1"}}, {"points", curve}};
    }
    labels.push_back(entry);
  }
  return {{"map50", metrics.map50},
          {"map50_95", metrics.map50_95},
          {"mean_f1", metrics.mean_f1},
          {"mean_precision", metrics.mean_precision},
          {"mean_recall", metrics.mean_recall},
          {"precision", metrics.precision},
          {"recall", metrics.recall},
          {"f1", metrics.f1},
          {"true_positives", metrics.true_positives},
          {"false_positives", metrics.false_positives},
          {"false_negatives", metrics.false_negatives},
          {"labels", labels}};
}

std::string format_metrics_table(const Metrics& metrics) {
  std::ostringstream out;
  std::size_t width = 10;
  for (const auto& lm : metrics.labels) width = std::max(width, lm.name.size());
  out << fmt::format("{:<{}} {:>6} {:>9} {:>6} {:>6} {:>9} {:>6} {:>5} {:>5} {:>5}\n", "label", width, "F1",
                     "precision", "recall", "AP50", "threshold", "boxes", "TP", "FP", "FN");
  // Thresholds are shown as confidences 0-100, the scale of detect --min-confidence and of
  // DetectCustomLabels' Confidence.
  for (const auto& lm : metrics.labels) {
    out << fmt::format("{:<{}} {:>6.3f} {:>9.3f} {:>6.3f} {:>6} {:>9.1f} {:>6} {:>5} {:>5} {:>5}\n", lm.name, width,
                       lm.f1, lm.precision, lm.recall, lm.ap50 < 0 ? std::string("-") : fmt::format("{:.3f}", lm.ap50),
                       100.0 * lm.assumed_threshold, lm.ground_truth, lm.true_positives, lm.false_positives,
                       lm.false_negatives);
  }
  out << fmt::format("{:<{}} {:>6.3f} {:>9.3f} {:>6.3f} {:>6.3f}   (means over labels; mAP50:95 {:.3f})\n", "mean",
                     width, metrics.mean_f1, metrics.mean_precision, metrics.mean_recall, metrics.map50, metrics.map50_95);
  out << "threshold: each label's assumed threshold (the confidence with the best F1), on the 0-100 confidence scale\n"
         "           of `detect --min-confidence` and DetectCustomLabels\n";
  return out.str();
}

}  // namespace logoscope::eval
