#include "eval/evaluation.hpp"

#include <algorithm>
#include <map>
#include <numeric>
#include <utility>

#include "logoscope/result.hpp"

namespace logoscope::eval {

namespace {

constexpr double kMatchIou = 0.5;
constexpr double kOverlapIou = 0.1;        // "touches" a labeled box (false-positive kinds)
constexpr double kNeverDetectedIou = 0.3;  // a miss no prediction comes near

Box as_box(const Detection& d) {
  return Box{d.x0, d.y0, d.x1, d.y1, d.label};
}
bool regular(const Box& box) {
  return !box.ignore && !box.difficult && box.area() > 0;
}

bool label_in_range(int label, std::size_t count) {
  return label >= 0 && static_cast<std::size_t>(label) < count;
}

float threshold_for(const std::vector<float>& thresholds, int label) {
  return label_in_range(label, thresholds.size()) ? thresholds[static_cast<std::size_t>(label)] : 0.5F;
}

FalsePositiveKind classify_false_positive(const Detection& det, const std::vector<Box>& boxes) {
  const Box det_box = as_box(det);
  double same_label = 0;
  double other_label = 0;
  for (const Box& gt : boxes) {
    if (!regular(gt)) continue;
    const double iou = box_iou(det_box, gt);
    if (gt.label == det.label) {
      same_label = std::max(same_label, iou);
    } else {
      other_label = std::max(other_label, iou);
    }
  }
  if (same_label >= kMatchIou) return FalsePositiveKind::kDuplicate;
  if (same_label >= kOverlapIou) return FalsePositiveKind::kLocalization;
  if (other_label >= kOverlapIou) return FalsePositiveKind::kConfusion;
  return FalsePositiveKind::kBackground;
}

ImageEvaluation judge_image(const Sample& sample, const ImageDetections& detections,
                            const std::vector<const MatchedDetection*>& matches,
                            const std::vector<float>& thresholds) {
  ImageEvaluation result;
  result.image = sample.image;
  result.width = sample.width > 0 ? sample.width : detections.width;
  result.height = sample.height > 0 ? sample.height : detections.height;

  // Predictions in descending score (stable), the order COCO matching used.
  std::vector<std::size_t> order(detections.detections.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return detections.detections[a].score > detections.detections[b].score;
  });
  std::vector<const MatchedDetection*> match_of(detections.detections.size(), nullptr);
  for (const MatchedDetection* match : matches) match_of[match->detection] = match;

  result.ground_truth.reserve(sample.boxes.size());
  for (const Box& box : sample.boxes) {
    JudgedBox judged;
    judged.box = box;
    judged.verdict = regular(box) ? Verdict::kFalseNegative : Verdict::kIgnored;
    result.ground_truth.push_back(judged);
  }

  for (const std::size_t det_idx : order) {
    const Detection& det = detections.detections[det_idx];
    JudgedPrediction judged;
    judged.detection = det;
    const MatchedDetection* match = match_of[det_idx];
    const bool above = match != nullptr && det.score >= threshold_for(thresholds, det.label);
    if (match != nullptr) {
      judged.iou = match->iou;
      judged.ground_truth = match->gt_index;
    }
    const int prediction_index = static_cast<int>(result.predictions.size());
    if (!above) {
      judged.verdict = Verdict::kBelowThreshold;
    } else if (match->outcome == Outcome::kTruePositive) {
      judged.verdict = Verdict::kTruePositive;
      auto& gt = result.ground_truth[static_cast<std::size_t>(match->gt_index)];
      gt.verdict = Verdict::kTruePositive;
      gt.prediction = prediction_index;
      ++result.true_positives;
    } else if (match->outcome == Outcome::kIgnored) {
      judged.verdict = Verdict::kIgnored;
    } else {
      judged.verdict = Verdict::kFalsePositive;
      judged.kind = classify_false_positive(det, sample.boxes);
      ++result.false_positives;
    }
    // Evidence for the ground truth, from every prediction whatever its score.
    const Box det_box = as_box(det);
    for (auto& gt : result.ground_truth) {
      const double iou = box_iou(det_box, gt.box);
      gt.best_iou_any = std::max(gt.best_iou_any, iou);
      if (gt.box.label == det.label && iou >= kMatchIou) gt.best_score = std::max(gt.best_score, det.score);
    }
    result.predictions.push_back(judged);
  }
  for (const auto& gt : result.ground_truth) {
    if (gt.verdict == Verdict::kFalseNegative) ++result.false_negatives;
  }
  return result;
}

void collect_suggestions(Evaluation& evaluation, float min_suggestion_score) {
  std::vector<Suggestion> missing;
  std::vector<Suggestion> wrong;
  std::vector<Suggestion> never;
  for (std::size_t image_idx = 0; image_idx < evaluation.images.size(); ++image_idx) {
    const ImageEvaluation& image = evaluation.images[image_idx];
    for (std::size_t p = 0; p < image.predictions.size(); ++p) {
      const JudgedPrediction& pred = image.predictions[p];
      if (pred.verdict != Verdict::kFalsePositive || pred.kind != FalsePositiveKind::kBackground) continue;
      if (pred.detection.score <
          std::max(threshold_for(evaluation.thresholds, pred.detection.label), min_suggestion_score)) {
        continue;
      }
      missing.push_back(Suggestion{Suggestion::Kind::kMissingLabel, image_idx, static_cast<int>(p),
                                   as_box(pred.detection), pred.detection.label, -1, pred.detection.score});
    }
    for (std::size_t b = 0; b < image.ground_truth.size(); ++b) {
      const JudgedBox& gt = image.ground_truth[b];
      if (gt.verdict != Verdict::kFalseNegative) continue;
      // The most confident above-threshold prediction of another label sitting on the box.
      const JudgedPrediction* other = nullptr;
      for (const auto& pred : image.predictions) {
        if (pred.detection.label == gt.box.label || pred.verdict == Verdict::kBelowThreshold) continue;
        if (box_iou(as_box(pred.detection), gt.box) < kMatchIou) continue;
        if (other == nullptr || pred.detection.score > other->detection.score) other = &pred;
      }
      if (other != nullptr) {
        wrong.push_back(Suggestion{Suggestion::Kind::kWrongLabel, image_idx, static_cast<int>(b), gt.box,
                                   gt.box.label, other->detection.label, other->detection.score});
      } else if (gt.best_iou_any < kNeverDetectedIou) {
        never.push_back(Suggestion{Suggestion::Kind::kNeverDetected, image_idx, static_cast<int>(b), gt.box,
                                   gt.box.label, -1, 0.0F});
      }
    }
  }
  const auto by_score = [](const Suggestion& a, const Suggestion& b) { return a.score > b.score; };
  std::stable_sort(missing.begin(), missing.end(), by_score);
  std::stable_sort(wrong.begin(), wrong.end(), by_score);
  std::stable_sort(never.begin(), never.end(),
                   [](const Suggestion& a, const Suggestion& b) { return a.box.area() > b.box.area(); });
  evaluation.suggestions = std::move(missing);
  evaluation.suggestions.insert(evaluation.suggestions.end(), wrong.begin(), wrong.end());
  evaluation.suggestions.insert(evaluation.suggestions.end(), never.begin(), never.end());
}

}  // namespace

const char* verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::kTruePositive:
      return "true_positive";
    case Verdict::kFalsePositive:
      return "false_positive";
    case Verdict::kFalseNegative:
      return "false_negative";
    case Verdict::kIgnored:
      return "ignored";
    case Verdict::kBelowThreshold:
      return "below_threshold";
  }
  return "unknown";
}

const char* false_positive_kind_name(FalsePositiveKind kind) {
  switch (kind) {
    case FalsePositiveKind::kNone:
      return "";
    case FalsePositiveKind::kDuplicate:
      return "duplicate";
    case FalsePositiveKind::kLocalization:
      return "localization";
    case FalsePositiveKind::kConfusion:
      return "confusion";
    case FalsePositiveKind::kBackground:
      return "background";
  }
  return "unknown";
}

const char* suggestion_kind_name(Suggestion::Kind kind) {
  switch (kind) {
    case Suggestion::Kind::kMissingLabel:
      return "missing_label";
    case Suggestion::Kind::kWrongLabel:
      return "wrong_label";
    case Suggestion::Kind::kNeverDetected:
      return "never_detected";
  }
  return "unknown";
}

ImageLevelMetrics compute_image_level(const std::vector<Sample>& ground_truth,
                                      const std::vector<ImageDetections>& detections,
                                      const std::vector<std::string>& label_names,
                                      const std::vector<float>& thresholds) {
  LOGOSCOPE_CHECK(ground_truth.size() == detections.size());
  ImageLevelMetrics result;
  int with_positives = 0;
  for (std::size_t label = 0; label < label_names.size(); ++label) {
    const int label_id = static_cast<int>(label);
    ImageLevelLabelMetrics lm;
    lm.name = label_names[label];
    lm.threshold = threshold_for(thresholds, label_id);
    std::vector<std::pair<float, int>> ranked;  // (image score, positive) for images with a prediction
    for (std::size_t i = 0; i < ground_truth.size(); ++i) {
      bool positive = false;
      bool ignored_only = false;
      for (const Box& box : ground_truth[i].boxes) {
        if (box.label != label_id) continue;
        if (regular(box)) {
          positive = true;
        } else {
          ignored_only = true;
        }
      }
      if (!positive && ignored_only) continue;
      float score = -1;
      for (const Detection& det : detections[i].detections) {
        if (det.label == label_id) score = std::max(score, det.score);
      }
      (positive ? lm.positive_images : lm.negative_images) += 1;
      const bool predicted = score >= 0 && score >= lm.threshold;
      if (positive && predicted) ++lm.true_positives;
      if (!positive && predicted) ++lm.false_positives;
      if (positive && !predicted) ++lm.false_negatives;
      if (score >= 0) ranked.emplace_back(score, positive ? 1 : 0);
    }
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<int> flags;
    flags.reserve(ranked.size());
    for (const auto& entry : ranked) flags.push_back(entry.second);
    lm.ap = average_precision_101(flags, lm.positive_images);
    const auto tp = static_cast<double>(lm.true_positives);
    lm.precision = lm.true_positives + lm.false_positives > 0
                       ? tp / static_cast<double>(lm.true_positives + lm.false_positives)
                       : 0;
    lm.recall = lm.positive_images > 0 ? tp / static_cast<double>(lm.positive_images) : 0;
    lm.f1 = lm.precision + lm.recall > 0 ? 2 * lm.precision * lm.recall / (lm.precision + lm.recall) : 0;
    if (lm.positive_images > 0) {
      ++with_positives;
      result.mean_ap += lm.ap;
      result.mean_f1 += lm.f1;
    }
    result.labels.push_back(std::move(lm));
  }
  if (with_positives > 0) {
    result.mean_ap /= with_positives;
    result.mean_f1 /= with_positives;
  }
  return result;
}

Evaluation evaluate(const Dataset& ground_truth, const std::vector<ImageDetections>& detections,
                    const EvaluationOptions& options) {
  LOGOSCOPE_CHECK(ground_truth.samples.size() == detections.size());
  Evaluation evaluation;
  evaluation.labels = ground_truth.labels;
  evaluation.metrics = compute_metrics(ground_truth.samples, detections, ground_truth.labels);
  evaluation.thresholds.resize(ground_truth.labels.size(), 0.5F);
  for (std::size_t label = 0; label < ground_truth.labels.size(); ++label) {
    if (label < options.thresholds.size()) {
      evaluation.thresholds[label] = options.thresholds[label];
    } else if (options.thresholds.empty()) {
      evaluation.thresholds[label] = evaluation.metrics.labels[label].assumed_threshold;
    }
  }
  evaluation.image_level =
      compute_image_level(ground_truth.samples, detections, ground_truth.labels, evaluation.thresholds);

  const auto matches = match_detections(ground_truth.samples, detections, kMatchIou);
  std::vector<std::vector<const MatchedDetection*>> by_image(detections.size());
  for (const auto& match : matches) by_image[match.image].push_back(&match);
  evaluation.images.reserve(detections.size());
  for (std::size_t i = 0; i < detections.size(); ++i) {
    evaluation.images.push_back(
        judge_image(ground_truth.samples[i], detections[i], by_image[i], evaluation.thresholds));
    evaluation.true_positives += evaluation.images.back().true_positives;
    evaluation.false_positives += evaluation.images.back().false_positives;
    evaluation.false_negatives += evaluation.images.back().false_negatives;
  }
  collect_suggestions(evaluation, options.min_suggestion_score);
  return evaluation;
}

}  // namespace logoscope::eval
