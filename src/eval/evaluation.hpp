// eval/evaluation.hpp — a full evaluation: metrics, per-image verdicts, image-level metrics and
// the mistakes worth a person's look (docs/metrics.md, "Per-image results" and "Suggestions").
//
// Per-image verdicts are taken at IoU 0.5 and at each label's threshold (by default the assumed
// threshold this evaluation computed, as Rekognition does): a prediction at or above it is a true
// positive, a false positive or ignored; one below it is "below threshold" and counts neither
// way; a ground-truth box no prediction above threshold matched is a false negative. The
// matching is the COCO one of metrics.hpp, so the per-label TP/FP/FN summed over images equal
// LabelMetrics' counts.
//
// No libtorch here: predictions from any detector can be evaluated.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "eval/metrics.hpp"
#include "logoscope/dataset.hpp"
#include "logoscope/detection.hpp"

namespace logoscope::eval {

enum class Verdict {
  kTruePositive,
  kFalsePositive,
  kFalseNegative,
  kIgnored,         ///< matched an ignore/difficult box, or is one
  kBelowThreshold,  ///< a prediction under its label's threshold
};

/// Why a false positive is one (after Hoiem et al. 2012, "Diagnosing Error in Object Detectors").
enum class FalsePositiveKind {
  kNone,
  kDuplicate,     ///< overlaps (IoU ≥ 0.5) a same-label box another prediction already took
  kLocalization,  ///< overlaps a same-label box with 0.1 ≤ IoU < 0.5
  kConfusion,     ///< overlaps (IoU ≥ 0.1) a box of another label
  kBackground,    ///< overlaps no labeled box: a likely missing label, or a real mistake
};

const char* verdict_name(Verdict verdict);
const char* false_positive_kind_name(FalsePositiveKind kind);

struct JudgedPrediction {
  Detection detection;
  Verdict verdict = Verdict::kBelowThreshold;
  FalsePositiveKind kind = FalsePositiveKind::kNone;
  int ground_truth = -1;  ///< matched box (index into the sample's boxes), or -1
  double iou = 0;         ///< IoU with the best-overlapping labeled box of the same label
};

struct JudgedBox {
  Box box;
  Verdict verdict = Verdict::kFalseNegative;  ///< kTruePositive, kFalseNegative or kIgnored
  int prediction = -1;      ///< index into ImageEvaluation::predictions that matched it, or -1
  float best_score = 0;     ///< highest score of a same-label prediction with IoU ≥ 0.5 (any score)
  double best_iou_any = 0;  ///< highest IoU with any prediction of any label and score
};

struct ImageEvaluation {
  std::string image;  ///< as in the ground truth
  int width = 0;
  int height = 0;
  std::vector<JudgedBox> ground_truth;        ///< same order as the sample's boxes
  std::vector<JudgedPrediction> predictions;  ///< descending score
  std::int64_t true_positives = 0;
  std::int64_t false_positives = 0;
  std::int64_t false_negatives = 0;
};

/// "Does this image show the label?" — for finding posts with a logo. An image is a positive for a
/// label when it has a regular (not ignore/difficult) box of it; images whose only boxes of the
/// label are ignore/difficult are left out of that label. The image's score is its highest
/// prediction score for the label (0 when none).
struct ImageLevelLabelMetrics {
  std::string name;
  std::int64_t positive_images = 0;
  std::int64_t negative_images = 0;
  double ap = -1;        ///< 101-point AP over images ranked by score; -1 without positives
  float threshold = 0;   ///< the box-level threshold (what `detect` uses by default)
  double precision = 0;  ///< at `threshold`
  double recall = 0;
  double f1 = 0;
  std::int64_t true_positives = 0;  ///< images at `threshold`
  std::int64_t false_positives = 0;
  std::int64_t false_negatives = 0;
};

struct ImageLevelMetrics {
  std::vector<ImageLevelLabelMetrics> labels;
  double mean_ap = 0;  ///< over labels with positive images
  double mean_f1 = 0;
};

/// A place where the labels are likely wrong.
struct Suggestion {
  enum class Kind {
    kMissingLabel,   ///< a confident background false positive: probably an unlabeled logo
    kWrongLabel,     ///< a missed box where a confident prediction of another label sits
    kNeverDetected,  ///< a missed box no prediction of any label overlaps (IoU ≥ 0.3): check it
  };
  Kind kind = Kind::kMissingLabel;
  std::size_t image = 0;  ///< index into Evaluation::images
  int index = 0;          ///< prediction index (kMissingLabel) or box index (others)
  Box box;                ///< where
  int label = 0;          ///< the suggested (missing) or the labeled (others) label
  int other_label = -1;   ///< kWrongLabel: what the model says it is
  float score = 0;        ///< the prediction's score (0 for kNeverDetected)
};

const char* suggestion_kind_name(Suggestion::Kind kind);

struct EvaluationOptions {
  /// Per-label thresholds for the verdicts; empty = each label's assumed threshold from this
  /// evaluation's metrics (0.5 for labels without ground truth).
  std::vector<float> thresholds;
  /// Missing-label suggestions need a score ≥ max(threshold, this).
  float min_suggestion_score = 0.3F;
};

struct Evaluation {
  std::vector<std::string> labels;
  Metrics metrics;
  ImageLevelMetrics image_level;
  std::vector<float> thresholds;        ///< used for the verdicts, per label
  std::vector<ImageEvaluation> images;  ///< aligned with the ground truth's samples
  std::vector<Suggestion> suggestions;  ///< missing labels by score, then wrong labels by score,
                                        ///< then never-detected boxes by area
  std::int64_t true_positives = 0;
  std::int64_t false_positives = 0;
  std::int64_t false_negatives = 0;
};

/// Evaluates `detections` (aligned by index with ground_truth.samples; labels index
/// ground_truth.labels) against the ground truth.
Evaluation evaluate(const Dataset& ground_truth, const std::vector<ImageDetections>& detections,
                    const EvaluationOptions& options = {});

/// Image-level metrics on their own (evaluate() fills Evaluation::image_level with them).
ImageLevelMetrics compute_image_level(const std::vector<Sample>& ground_truth,
                                      const std::vector<ImageDetections>& detections,
                                      const std::vector<std::string>& label_names,
                                      const std::vector<float>& thresholds);

}  // namespace logoscope::eval
