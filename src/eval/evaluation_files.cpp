#include "eval/evaluation_files.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "core/paths.hpp"
#include "core/text.hpp"
#include "eval/metrics_json.hpp"

using nlohmann::ordered_json;

namespace logoscope::eval {

namespace {

constexpr const char* kAttribute = "bounding-box";
constexpr std::size_t kMaxCurvePoints = 400;

double two_decimals(double value) {
  return std::round(value * 100.0) / 100.0;
}

std::string iso8601_now() { return utc_time_text(std::time(nullptr), "%Y-%m-%dT%H:%M:%S"); }

ordered_json box_json(const Box& box) {
  return ordered_json{{"left", two_decimals(box.x0)},
                      {"top", two_decimals(box.y0)},
                      {"width", two_decimals(box.width())},
                      {"height", two_decimals(box.height())}};
}

ordered_json detection_box_json(const Detection& det) {
  return box_json(Box{det.x0, det.y0, det.x1, det.y1, det.label});
}

ordered_json class_map_json(const std::vector<std::string>& labels) {
  ordered_json map = ordered_json::object();
  for (std::size_t label = 0; label < labels.size(); ++label) map[std::to_string(label)] = labels[label];
  return map;
}

const std::string& label_name(const Evaluation& evaluation, int label) {
  static const std::string unknown = "?";
  return label >= 0 && static_cast<std::size_t>(label) < evaluation.labels.size()
             ? evaluation.labels[static_cast<std::size_t>(label)]
             : unknown;
}

// One manifest line: source-ref plus the bounding-box attribute and its metadata twin.
ordered_json manifest_line(const ImageEvaluation& image, const std::vector<Box>& boxes,
                           const std::vector<float>& confidences, const std::vector<std::string>& labels,
                           const std::string& out_dir, const std::string& creation_date, bool human) {
  ordered_json attribute = ordered_json::object();
  if (image.width > 0 && image.height > 0) {
    attribute["image_size"] =
        ordered_json::array({ordered_json{{"width", image.width}, {"height", image.height}, {"depth", 3}}});
  }
  ordered_json annotations = ordered_json::array();
  ordered_json objects = ordered_json::array();
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    ordered_json annotation{{"class_id", boxes[i].label}};
    annotation.update(box_json(boxes[i]));
    if (boxes[i].ignore) annotation["logoscope-ignore"] = true;
    if (boxes[i].difficult) annotation["logoscope-difficult"] = true;
    annotations.push_back(std::move(annotation));
    objects.push_back(ordered_json{{"confidence", two_decimals(confidences[i])}});
  }
  attribute["annotations"] = std::move(annotations);
  ordered_json line{{"source-ref", ref_for_writing(image.image, out_dir)}};
  line[kAttribute] = std::move(attribute);
  line[std::string(kAttribute) + "-metadata"] = ordered_json{
      {"objects", std::move(objects)},          {"class-map", class_map_json(labels)},
      {"type", "groundtruth/object-detection"}, {"human-annotated", human ? "yes" : "no"},
      {"creation-date", creation_date},         {"job-name", human ? "logoscope" : "logoscope-suggestions"}};
  return line;
}

ordered_json suggestion_json(const Evaluation& evaluation, const Suggestion& s) {
  ordered_json entry{{"kind", suggestion_kind_name(s.kind)},
                     {"image", evaluation.images[s.image].image},
                     {"label", label_name(evaluation, s.label)},
                     {"box", box_json(s.box)}};
  if (s.kind == Suggestion::Kind::kWrongLabel) entry["model_says"] = label_name(evaluation, s.other_label);
  if (s.kind != Suggestion::Kind::kNeverDetected) entry["confidence"] = two_decimals(s.score * 100.0);
  return entry;
}

// Keeps at most `limit` points of each label's curve: evenly spaced by index, always with the
// first, the last and the assumed-threshold point (the highest F1).
nlohmann::json thin_curves(nlohmann::json metrics, std::size_t limit) {
  for (auto& label : metrics["labels"]) {
    if (!label.contains("curve")) continue;
    auto& points = label["curve"]["points"];
    if (points.size() <= limit) continue;
    std::size_t best = 0;
    for (std::size_t i = 0; i < points.size(); ++i) {
      if (points[i][3].get<double>() > points[best][3].get<double>()) best = i;
    }
    std::set<std::size_t> indices{0, points.size() - 1, best};
    const double step = static_cast<double>(points.size() - 1) / static_cast<double>(limit - 3);
    for (std::size_t k = 0; k < limit - 3; ++k) {
      indices.insert(static_cast<std::size_t>(std::lround(static_cast<double>(k) * step)));
    }
    nlohmann::json kept = nlohmann::json::array();
    for (const std::size_t index : indices) kept.push_back(points[index]);
    label["curve"]["points_total"] = points.size();
    points = std::move(kept);
  }
  return metrics;
}

}  // namespace

nlohmann::json rekognition_summary_json(const Evaluation& evaluation, const std::string& project_name,
                                        std::int64_t training_images, const std::string& end_timestamp) {
  std::vector<std::size_t> order(evaluation.metrics.labels.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return evaluation.metrics.labels[a].f1 > evaluation.metrics.labels[b].f1;
  });
  nlohmann::json labels = nlohmann::json::array();
  nlohmann::json names = nlohmann::json::array();
  double mean_recall_at_100 = 0;
  std::size_t scored = 0;
  for (const std::size_t index : order) {
    const auto& lm = evaluation.metrics.labels[index];
    if (lm.ground_truth == 0) continue;  // Rekognition lists the labels of the test set
    std::int64_t images = 0;
    for (const auto& il : evaluation.image_level.labels) {
      if (il.name == lm.name) images = il.positive_images;
    }
    labels.push_back({{"Label", lm.name},
                      {"NumberOfTestingImages", images},
                      {"Metrics",
                       {{"F1Score", lm.f1},
                        {"Precision", lm.precision},
                        {"Recall", lm.recall},
                        {"Threshold", static_cast<double>(lm.assumed_threshold)}}}});
    names.push_back(lm.name);
    mean_recall_at_100 += lm.recall_at_100;
    ++scored;
  }
  if (scored > 0) mean_recall_at_100 /= static_cast<double>(scored);
  const std::string name = project_name.empty() ? "logoscope" : project_name;
  return {{"Version", 1},
          {"EvaluationDetails",
           {{"ProjectVersionArn",
             fmt::format("arn:aws:rekognition:local:000000000000:project/{0}/version/{0}/1", name)},
            {"EvaluationEndTimestamp", end_timestamp},
            {"Labels", names},
            {"NumberOfTrainingImages", training_images},
            {"NumberOfTestingImages", evaluation.images.size()}}},
          {"AggregatedEvaluationResults",
           {{"F1Score", evaluation.metrics.mean_f1},
            {"Precision", evaluation.metrics.mean_precision},
            {"Recall", evaluation.metrics.mean_recall},
            {"AveragePrecision", evaluation.metrics.map50},
            {"AverageRecall", mean_recall_at_100}}},
          {"LabelEvaluationResults", labels}};
}

nlohmann::json evaluation_summary_json(const Evaluation& evaluation, const EvaluationSources& sources,
                                       std::size_t review_limit) {
  nlohmann::json image_level = nlohmann::json::array();
  for (const auto& lm : evaluation.image_level.labels) {
    image_level.push_back({{"name", lm.name},
                           {"positive_images", lm.positive_images},
                           {"negative_images", lm.negative_images},
                           {"ap", lm.ap},
                           {"threshold", as_confidence(lm.threshold)},
                           {"precision", lm.precision},
                           {"recall", lm.recall},
                           {"f1", lm.f1},
                           {"true_positives", lm.true_positives},
                           {"false_positives", lm.false_positives},
                           {"false_negatives", lm.false_negatives}});
  }
  std::size_t boxes = 0;
  std::size_t predictions = 0;
  for (const auto& image : evaluation.images) {
    boxes += image.ground_truth.size();
    predictions += image.predictions.size();
  }
  nlohmann::json review = {{"missing_label", nlohmann::json::array()},
                           {"wrong_label", nlohmann::json::array()},
                           {"never_detected", nlohmann::json::array()}};
  nlohmann::json review_counts = {{"missing_label", 0}, {"wrong_label", 0}, {"never_detected", 0}};
  for (const auto& s : evaluation.suggestions) {
    const char* kind = suggestion_kind_name(s.kind);
    review_counts[kind] = review_counts[kind].get<int>() + 1;
    if (review[kind].size() < review_limit)
      review[kind].push_back(nlohmann::json(suggestion_json(evaluation, s)));
  }
  nlohmann::json thresholds = nlohmann::json::object();
  for (std::size_t label = 0; label < evaluation.labels.size(); ++label) {
    thresholds[evaluation.labels[label]] = as_confidence(evaluation.thresholds[label]);
  }
  // Version 2: every confidence (thresholds, curves) on the 0-100 scale; version 1 had fractions.
  return {{"format", "logoscope-evaluation"},
          {"version", 2},
          {"confidence_scale", "0-100"},
          {"sources",
           {{"model", sources.model},
            {"ground_truth", sources.ground_truth},
            {"predictions", sources.predictions}}},
          {"images", evaluation.images.size()},
          {"ground_truth_boxes", boxes},
          {"predictions", predictions},
          {"iou_threshold", 0.5},
          {"thresholds", thresholds},
          {"per_image_totals",
           {{"true_positives", evaluation.true_positives},
            {"false_positives", evaluation.false_positives},
            {"false_negatives", evaluation.false_negatives}}},
          {"metrics", thin_curves(metrics_to_json(evaluation.metrics, true), kMaxCurvePoints)},
          {"image_level",
           {{"mean_ap", evaluation.image_level.mean_ap},
            {"mean_f1", evaluation.image_level.mean_f1},
            {"labels", image_level}}},
          {"review_counts", review_counts},
          {"review", review}};
}

std::string evaluation_manifest_text(const Evaluation& evaluation, const std::string& out_dir) {
  const std::string date = iso8601_now();
  std::string out;
  for (const auto& image : evaluation.images) {
    std::vector<Box> boxes;
    std::vector<float> confidences;
    ordered_json ground_truth = ordered_json::array();
    for (std::size_t b = 0; b < image.ground_truth.size(); ++b) {
      const JudgedBox& gt = image.ground_truth[b];
      boxes.push_back(gt.box);
      confidences.push_back(1.0F);
      ordered_json entry{{"index", b},
                         {"label", label_name(evaluation, gt.box.label)},
                         {"verdict", verdict_name(gt.verdict)}};
      entry["box"] = box_json(gt.box);
      if (gt.prediction >= 0) entry["prediction"] = gt.prediction;
      entry["best_confidence"] = two_decimals(gt.best_score * 100.0);
      entry["best_iou_any"] = two_decimals(gt.best_iou_any);
      ground_truth.push_back(std::move(entry));
    }
    ordered_json predictions = ordered_json::array();
    std::int64_t below_threshold = 0;
    for (std::size_t p = 0; p < image.predictions.size(); ++p) {
      const JudgedPrediction& pred = image.predictions[p];
      if (pred.verdict == Verdict::kBelowThreshold) {
        ++below_threshold;
        continue;
      }
      ordered_json entry{{"index", p},
                         {"label", label_name(evaluation, pred.detection.label)},
                         {"confidence", two_decimals(pred.detection.score * 100.0)},
                         {"verdict", verdict_name(pred.verdict)}};
      if (pred.kind != FalsePositiveKind::kNone)
        entry["false_positive_kind"] = false_positive_kind_name(pred.kind);
      entry["box"] = detection_box_json(pred.detection);
      if (pred.ground_truth >= 0) entry["ground_truth"] = pred.ground_truth;
      entry["iou"] = two_decimals(pred.iou);
      predictions.push_back(std::move(entry));
    }
    ordered_json line = manifest_line(image, boxes, confidences, evaluation.labels, out_dir, date, true);
    line["logoscope-evaluation"] =
        ordered_json{{"true_positives", image.true_positives},   {"false_positives", image.false_positives},
                     {"false_negatives", image.false_negatives}, {"below_threshold", below_threshold},
                     {"ground_truth", std::move(ground_truth)},  {"predictions", std::move(predictions)}};
    out += line.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
    out += '\n';
  }
  return out;
}

std::string suggestions_manifest_text(const Evaluation& evaluation, const std::string& out_dir) {
  std::vector<std::vector<const Suggestion*>> by_image(evaluation.images.size());
  for (const auto& s : evaluation.suggestions) {
    if (s.kind == Suggestion::Kind::kMissingLabel) by_image[s.image].push_back(&s);
  }
  const std::string date = iso8601_now();
  std::string out;
  for (std::size_t i = 0; i < by_image.size(); ++i) {
    if (by_image[i].empty()) continue;
    std::vector<Box> boxes;
    std::vector<float> confidences;
    for (const Suggestion* s : by_image[i]) {
      boxes.push_back(s->box);
      confidences.push_back(s->score);
    }
    out += manifest_line(evaluation.images[i], boxes, confidences, evaluation.labels, out_dir, date, false)
               .dump(-1, ' ', false, ordered_json::error_handler_t::replace);
    out += '\n';
  }
  return out;
}

std::string format_evaluation_summary(const Evaluation& evaluation) {
  std::ostringstream out;
  out << format_metrics_table(evaluation.metrics);
  out << fmt::format(
      "images: {}   at the thresholds above: {} true positives, {} false positives, {} false negatives\n",
      evaluation.images.size(), evaluation.true_positives, evaluation.false_positives,
      evaluation.false_negatives);
  out << fmt::format("image level (does the image show the label?): mean AP {:.3f}, mean F1 {:.3f}\n",
                     evaluation.image_level.mean_ap, evaluation.image_level.mean_f1);
  std::size_t missing = 0;
  std::size_t wrong = 0;
  std::size_t never = 0;
  for (const auto& s : evaluation.suggestions) {
    (s.kind == Suggestion::Kind::kMissingLabel ? missing
     : s.kind == Suggestion::Kind::kWrongLabel ? wrong
                                               : never) += 1;
  }
  out << fmt::format(
      "to review: {} likely missing labels, {} possibly wrong labels, {} boxes never detected\n", missing,
      wrong, never);
  return out.str();
}

}  // namespace logoscope::eval
