#include "eval/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "logoscope/result.hpp"

namespace logoscope::eval {

namespace {

Box as_box(const Detection& d) {
  return Box{d.x0, d.y0, d.x1, d.y1, d.label};
}

bool counts_as_ignore(const Box& box) {
  return box.ignore || box.difficult;
}

// Detection indices of one image in descending score, ties in input order, the top `limit` of
// each label (pycocotools applies maxDets per image and category).
std::vector<std::size_t> ranked(const std::vector<Detection>& detections, std::size_t limit) {
  std::vector<std::size_t> order(detections.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return detections[a].score > detections[b].score; });
  if (limit == 0) return order;
  std::map<int, std::size_t> per_label;
  std::vector<std::size_t> kept;
  kept.reserve(order.size());
  for (const std::size_t index : order) {
    if (++per_label[detections[index].label] <= limit) kept.push_back(index);
  }
  return kept;
}

}  // namespace

std::vector<MatchedDetection> match_detections(const std::vector<Sample>& ground_truth,
                                               const std::vector<ImageDetections>& detections,
                                               double iou_threshold, std::size_t max_detections_per_image) {
  LOGOSCOPE_CHECK(ground_truth.size() == detections.size());
  std::vector<MatchedDetection> matches;
  for (std::size_t image_idx = 0; image_idx < ground_truth.size(); ++image_idx) {
    const auto& boxes = ground_truth[image_idx].boxes;
    const auto& dets = detections[image_idx].detections;
    std::vector<bool> taken(boxes.size(), false);
    for (const std::size_t det_idx : ranked(dets, max_detections_per_image)) {
      const Detection& det = dets[det_idx];
      const Box det_box = as_box(det);
      MatchedDetection match{image_idx, det_idx, det.label, det.score, Outcome::kFalsePositive, -1, 0.0};
      double best_regular = iou_threshold;
      int best_regular_idx = -1;
      double best_ignore = iou_threshold;
      int best_ignore_idx = -1;
      for (std::size_t gt_idx = 0; gt_idx < boxes.size(); ++gt_idx) {
        const Box& gt = boxes[gt_idx];
        if (gt.label != det.label || gt.area() <= 0) continue;
        const double iou = box_iou(det_box, gt);
        if (!counts_as_ignore(gt)) match.iou = std::max(match.iou, iou);
        if (counts_as_ignore(gt)) {
          if (iou >= best_ignore) {
            best_ignore = iou;
            best_ignore_idx = static_cast<int>(gt_idx);
          }
        } else if (!taken[gt_idx] && iou >= best_regular) {
          best_regular = iou;
          best_regular_idx = static_cast<int>(gt_idx);
        }
      }
      if (best_regular_idx >= 0) {
        taken[static_cast<std::size_t>(best_regular_idx)] = true;
        match.outcome = Outcome::kTruePositive;
        match.gt_index = best_regular_idx;
      } else if (best_ignore_idx >= 0) {
        match.outcome = Outcome::kIgnored;
        match.gt_index = best_ignore_idx;
      }
      matches.push_back(match);
    }
  }
  return matches;
}

double average_precision_101(const std::vector<int>& is_true_positive, std::int64_t num_ground_truth) {
  if (num_ground_truth <= 0) return -1.0;
  const std::size_t n = is_true_positive.size();
  std::vector<double> precision(n);
  std::vector<double> recall(n);
  std::int64_t tp = 0;
  for (std::size_t i = 0; i < n; ++i) {
    tp += is_true_positive[i];
    precision[i] = static_cast<double>(tp) / static_cast<double>(i + 1);
    recall[i] = static_cast<double>(tp) / static_cast<double>(num_ground_truth);
  }
  for (std::size_t i = n; i-- > 1;) precision[i - 1] = std::max(precision[i - 1], precision[i]);
  double sum = 0;
  for (int step = 0; step <= 100; ++step) {
    const double r = step / 100.0;
    const auto it = std::lower_bound(recall.begin(), recall.end(), r);
    if (it != recall.end()) sum += precision[static_cast<std::size_t>(it - recall.begin())];
  }
  return sum / 101.0;
}

Metrics compute_metrics(const std::vector<Sample>& ground_truth,
                        const std::vector<ImageDetections>& detections,
                        const std::vector<std::string>& label_names) {
  LOGOSCOPE_CHECK(ground_truth.size() == detections.size());
  const std::size_t label_count = label_names.size();
  Metrics metrics;
  metrics.labels.resize(label_count);
  for (std::size_t label = 0; label < label_count; ++label) metrics.labels[label].name = label_names[label];
  for (const auto& sample : ground_truth) {
    for (const auto& box : sample.boxes) {
      if (box.label >= 0 && static_cast<std::size_t>(box.label) < label_count && !counts_as_ignore(box) &&
          box.area() > 0) {
        ++metrics.labels[static_cast<std::size_t>(box.label)].ground_truth;
      }
    }
  }

  // Per IoU threshold: a descending-score TP/FP list per label (ignored detections dropped).
  std::vector<std::vector<double>> ap_per_threshold(label_count);
  for (int step = 0; step < 10; ++step) {
    const double iou_threshold = (50.0 + 5.0 * step) / 100.0;  // exact decimals: 0.50, 0.55, …, 0.95
    const auto matches = match_detections(ground_truth, detections, iou_threshold);
    std::vector<std::vector<const MatchedDetection*>> per_label(label_count);
    for (const auto& match : matches) {
      if (match.outcome == Outcome::kIgnored) continue;
      if (match.label < 0 || static_cast<std::size_t>(match.label) >= label_count) continue;
      per_label[static_cast<std::size_t>(match.label)].push_back(&match);
    }
    for (std::size_t label = 0; label < label_count; ++label) {
      auto& list = per_label[label];
      std::stable_sort(list.begin(), list.end(), [](const MatchedDetection* a, const MatchedDetection* b) {
        return a->score > b->score;
      });
      std::vector<int> flags(list.size());
      for (std::size_t i = 0; i < list.size(); ++i)
        flags[i] = list[i]->outcome == Outcome::kTruePositive ? 1 : 0;
      LabelMetrics& lm = metrics.labels[label];
      ap_per_threshold[label].push_back(average_precision_101(flags, lm.ground_truth));
      if (step != 0) continue;

      lm.detections = static_cast<std::int64_t>(list.size());
      const std::int64_t total_tp = std::accumulate(flags.begin(), flags.end(), std::int64_t{0});
      lm.recall_at_100 =
          lm.ground_truth > 0 ? static_cast<double>(total_tp) / static_cast<double>(lm.ground_truth) : 0.0;
      std::int64_t tp = 0;
      // Best F1 so far as the exact fraction 2TP / (detections + GT), compared by cross-multiplying
      // so that ties are found exactly.
      std::int64_t best_num = -1;
      std::int64_t best_den = 1;
      lm.assumed_threshold = 0.5F;
      lm.false_negatives = lm.ground_truth;
      for (std::size_t i = 0; i < list.size(); ++i) {
        tp += flags[i];
        if (i + 1 < list.size() && list[i + 1]->score == list[i]->score) continue;
        CurvePoint point;
        point.threshold = list[i]->score;
        const auto fp = static_cast<std::int64_t>(i + 1) - tp;
        point.precision = static_cast<double>(tp) / static_cast<double>(i + 1);
        point.recall =
            lm.ground_truth > 0 ? static_cast<double>(tp) / static_cast<double>(lm.ground_truth) : 0.0;
        point.f1 = point.precision + point.recall > 0
                       ? 2 * point.precision * point.recall / (point.precision + point.recall)
                       : 0.0;
        lm.curve.push_back(point);
        const std::int64_t num = 2 * tp;
        const std::int64_t den = static_cast<std::int64_t>(i + 1) + lm.ground_truth;
        if (lm.ground_truth > 0 && num * best_den > best_num * den) {
          best_num = num;
          best_den = den;
          lm.assumed_threshold = point.threshold;
          lm.precision = point.precision;
          lm.recall = point.recall;
          lm.f1 = point.f1;
          lm.true_positives = tp;
          lm.false_positives = fp;
          lm.false_negatives = lm.ground_truth - tp;
        }
      }
      if (lm.ground_truth == 0) {
        // No ground truth: every detection at or above the default threshold is a false positive.
        lm.false_positives = std::count_if(list.begin(), list.end(), [&](const MatchedDetection* m) {
          return m->score >= lm.assumed_threshold;
        });
      }
    }
  }

  int with_gt = 0;
  for (std::size_t label = 0; label < label_count; ++label) {
    LabelMetrics& lm = metrics.labels[label];
    if (lm.ground_truth == 0) {
      lm.ap50 = -1;
      lm.ap50_95 = -1;
    } else {
      lm.ap50 = ap_per_threshold[label][0];
      lm.ap50_95 = std::accumulate(ap_per_threshold[label].begin(), ap_per_threshold[label].end(), 0.0) /
                   static_cast<double>(ap_per_threshold[label].size());
      ++with_gt;
      metrics.map50 += lm.ap50;
      metrics.map50_95 += lm.ap50_95;
      metrics.mean_f1 += lm.f1;
      metrics.mean_precision += lm.precision;
      metrics.mean_recall += lm.recall;
    }
    metrics.true_positives += lm.true_positives;
    metrics.false_positives += lm.false_positives;
    metrics.false_negatives += lm.false_negatives;
  }
  if (with_gt > 0) {
    metrics.map50 /= with_gt;
    metrics.map50_95 /= with_gt;
    metrics.mean_f1 /= with_gt;
    metrics.mean_precision /= with_gt;
    metrics.mean_recall /= with_gt;
  }
  const auto tp = static_cast<double>(metrics.true_positives);
  metrics.precision =
      tp + metrics.false_positives > 0 ? tp / (tp + static_cast<double>(metrics.false_positives)) : 0;
  metrics.recall =
      tp + metrics.false_negatives > 0 ? tp / (tp + static_cast<double>(metrics.false_negatives)) : 0;
  metrics.f1 = metrics.precision + metrics.recall > 0
                   ? 2 * metrics.precision * metrics.recall / (metrics.precision + metrics.recall)
                   : 0;
  return metrics;
}

std::vector<SizeRecall> recall_by_size(const std::vector<Sample>& ground_truth,
                                       const std::vector<ImageDetections>& detections) {
  std::vector<SizeRecall> buckets = {{"small", 32.0 * 32.0, 0, 0},
                                     {"medium", 96.0 * 96.0, 0, 0},
                                     {"large", 256.0 * 256.0, 0, 0},
                                     {"huge", std::numeric_limits<double>::infinity(), 0, 0}};
  auto bucket_of = [&](const Box& box) -> SizeRecall& {
    for (auto& bucket : buckets) {
      if (box.area() < bucket.max_area) return bucket;
    }
    return buckets.back();
  };
  std::vector<std::vector<char>> found(ground_truth.size());
  for (std::size_t image = 0; image < ground_truth.size(); ++image) found[image].assign(ground_truth[image].boxes.size(), 0);
  for (const auto& match : match_detections(ground_truth, detections, 0.5, 100)) {
    if (match.outcome == Outcome::kTruePositive && match.gt_index >= 0) {
      found[match.image][static_cast<std::size_t>(match.gt_index)] = 1;
    }
  }
  for (std::size_t image = 0; image < ground_truth.size(); ++image) {
    const auto& boxes = ground_truth[image].boxes;
    for (std::size_t index = 0; index < boxes.size(); ++index) {
      const Box& box = boxes[index];
      if (box.ignore || box.area() <= 0) continue;
      SizeRecall& bucket = bucket_of(box);
      ++bucket.ground_truth;
      bucket.found += found[image][index];
    }
  }
  return buckets;
}

}  // namespace logoscope::eval
