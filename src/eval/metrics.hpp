// eval/metrics.hpp — detection metrics as Rekognition and COCO define them (docs/metrics.md).
//
// Matching (COCO, Lin et al. 2014, "Microsoft COCO: Common Objects in Context"): per image and
// label, detections in descending confidence (stable for ties) each take the unmatched
// ground-truth box of the same label with the highest IoU ≥ the IoU threshold; a detection whose
// best match is an ignore/difficult box counts neither way; such boxes are never misses.
// AP: 101-point interpolated precision (COCO). Assumed threshold: the confidence at which the
// label's F1 is highest (Rekognition Custom Labels). Degenerate ground-truth boxes (zero width or
// height; validation reports them) can never be matched and are left out. No libtorch here.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "logoscope/dataset.hpp"
#include "logoscope/detection.hpp"

namespace logoscope::eval {

/// How one detection was judged.
enum class Outcome { kTruePositive, kFalsePositive, kIgnored };

struct MatchedDetection {
  std::size_t image = 0;      ///< index into the evaluated images
  std::size_t detection = 0;  ///< index into that image's detections
  int label = 0;
  float score = 0.0F;
  Outcome outcome = Outcome::kFalsePositive;
  int gt_index = -1;          ///< matched ground-truth box (index into the sample's boxes), or -1
  double iou = 0.0;           ///< IoU with the best same-label ground truth (matched or not)
};

/// Matches detections to ground truth for every image at one IoU threshold.
/// Requires ground_truth.size() == detections.size() (aligned by index).
/// `max_detections_per_image` keeps only the top-N by score of each label per image (COCO's maxDets:
/// 100; 0 = all).
std::vector<MatchedDetection> match_detections(const std::vector<Sample>& ground_truth,
                                               const std::vector<ImageDetections>& detections,
                                               double iou_threshold,
                                               std::size_t max_detections_per_image = 100);

/// One point of a label's operating curve.
struct CurvePoint {
  float threshold = 0;
  double precision = 0;
  double recall = 0;
  double f1 = 0;
};

struct LabelMetrics {
  std::string name;
  std::int64_t ground_truth = 0;     ///< non-ignored boxes
  std::int64_t detections = 0;       ///< non-ignored detections at any score
  double ap50 = 0;                   ///< -1 when the label has no ground truth
  double ap50_95 = 0;
  double recall_at_100 = 0;          ///< recall at IoU 0.5 with ≤ 100 detections per image
  float assumed_threshold = 0;       ///< argmax-F1 confidence (0.5 when there is no detection)
  double precision = 0;              ///< at the assumed threshold
  double recall = 0;
  double f1 = 0;
  std::int64_t true_positives = 0;   ///< at the assumed threshold, IoU 0.5
  std::int64_t false_positives = 0;
  std::int64_t false_negatives = 0;
  std::vector<CurvePoint> curve;     ///< one point per distinct score, descending threshold
};

struct Metrics {
  std::vector<LabelMetrics> labels;
  double map50 = 0;        ///< mean over labels with ground truth
  double map50_95 = 0;
  double mean_f1 = 0;      ///< mean of per-label F1 at each label's assumed threshold
  double mean_precision = 0;
  double mean_recall = 0;
  // Micro totals at each label's assumed threshold.
  std::int64_t true_positives = 0;
  std::int64_t false_positives = 0;
  std::int64_t false_negatives = 0;
  double precision = 0;
  double recall = 0;
  double f1 = 0;
};

/// Computes every metric. Boxes and detections with labels outside [0, label_names.size()) are
/// ignored. Requires ground_truth.size() == detections.size().
Metrics compute_metrics(const std::vector<Sample>& ground_truth,
                        const std::vector<ImageDetections>& detections,
                        const std::vector<std::string>& label_names);

/// Recall at IoU 0.5 with ≤ 100 detections per image and label (recall@100), per ground-truth
/// size: boxes whose area is below 32², 96², 256² pixels, and the rest (COCO's small / medium /
/// large, with "huge" split off for logos that fill a photo). Over all labels.
struct SizeRecall {
  std::string bucket;         ///< "small", "medium", "large", "huge"
  double max_area = 0;        ///< upper bound of the bucket (px²; infinity for the last)
  std::int64_t ground_truth = 0;
  std::int64_t found = 0;
  [[nodiscard]] double recall() const { return ground_truth > 0 ? static_cast<double>(found) / ground_truth : -1; }
};
std::vector<SizeRecall> recall_by_size(const std::vector<Sample>& ground_truth,
                                       const std::vector<ImageDetections>& detections);

/// 101-point interpolated AP from a descending-score list of TP(1)/FP(0) flags and the number
/// of ground-truth boxes (COCO's definition). Returns -1 when num_ground_truth is 0.
double average_precision_101(const std::vector<int>& is_true_positive, std::int64_t num_ground_truth);

}  // namespace logoscope::eval
