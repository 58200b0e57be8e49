// eval/metrics_json.hpp — Metrics as JSON (the evaluation summary and model.json "metrics").
#pragma once

#include <nlohmann/json.hpp>

#include "eval/metrics.hpp"

namespace logoscope::eval {

/// A score threshold in [0, 1] as a confidence on Rekognition's 0-100 scale, to 0.01.
double as_confidence(double threshold);

/// Per-label and overall numbers; with include_curves, each label's F1/precision/recall curve.
/// Confidences (`assumed_threshold`, the curves' `confidence` column) are on the 0-100 scale, as
/// everywhere a person reads one; precision, recall, F1 and AP are fractions in [0, 1].
nlohmann::json metrics_to_json(const Metrics& metrics, bool include_curves);

/// A fixed-width table like Rekognition's console: label, F1, test images, precision, recall,
/// assumed threshold, plus AP50 and TP/FP/FN.
std::string format_metrics_table(const Metrics& metrics);

}  // namespace logoscope::eval
