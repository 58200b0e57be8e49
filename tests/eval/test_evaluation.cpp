// Evaluations: the independent golden example (tools/reference/example, values worked out by hand
// and reproduced by tools/reference/detection_metrics_reference.py), predictions files, per-image
// verdicts, image-level metrics, suggestions and the evaluation files.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "dataset/formats.hpp"
#include "eval/evaluation.hpp"
#include "eval/evaluation_files.hpp"
#include "eval/predictions.hpp"
#include "support/temp_dir.hpp"

namespace logoscope::eval {
namespace {

const std::string kExample = std::string(LOGOSCOPE_SOURCE_DIR) + "/tools/reference/example";

bool has_problem(const Problems& problems, const std::string& kind) {
  for (const auto& p : problems) {
    if (p.kind == kind) return true;
  }
  return false;
}

const LabelMetrics& label(const Metrics& metrics, const std::string& name) {
  for (const auto& lm : metrics.labels) {
    if (lm.name == name) return lm;
  }
  throw std::runtime_error("no label " + name);
}

TEST(ReferenceExample, MatchesTheHandComputedValues) {
  Problems problems;
  auto truth = dataset::read_dataset(kExample + "/gt.manifest", dataset::DatasetFormat::kManifest, problems);
  ASSERT_TRUE(truth) << truth.error().message;
  auto records = read_predictions(kExample + "/predictions.jsonl", problems);
  ASSERT_TRUE(records) << records.error().message;
  const auto aligned = align_predictions(*truth, *records, kExample, problems);
  EXPECT_TRUE(has_problem(problems, "missing_prediction"));    // img4
  EXPECT_TRUE(has_problem(problems, "unmatched_prediction"));  // img9
  EXPECT_TRUE(has_problem(problems, "detector_error"));        // img5

  std::ifstream in(kExample + "/expected.json");
  const auto expected = nlohmann::json::parse(in);
  const Evaluation evaluation = evaluate(*truth, aligned);
  for (const auto& [name, values] : expected["labels"].items()) {
    SCOPED_TRACE(name);
    const LabelMetrics& lm = label(evaluation.metrics, name);
    EXPECT_EQ(lm.true_positives, values["tp"].get<std::int64_t>());
    EXPECT_EQ(lm.false_positives, values["fp"].get<std::int64_t>());
    EXPECT_EQ(lm.ground_truth, values["ground_truth"].get<std::int64_t>());
    if (lm.ground_truth == 0) {
      EXPECT_EQ(lm.ap50, -1);
      continue;
    }
    EXPECT_NEAR(lm.ap50, values["ap50"].get<double>(), 1e-9);
    EXPECT_NEAR(lm.ap50_95, values["ap50_95"].get<double>(), 1e-9);
    EXPECT_NEAR(lm.f1, values["f1"].get<double>(), 1e-9);
    EXPECT_NEAR(lm.precision, values["precision"].get<double>(), 1e-9);
    EXPECT_NEAR(lm.recall, values["recall"].get<double>(), 1e-9);
    EXPECT_NEAR(lm.assumed_threshold, values["threshold"].get<double>(), 1e-6);
    EXPECT_EQ(lm.false_negatives, values["fn"].get<std::int64_t>());
  }
  EXPECT_NEAR(evaluation.metrics.map50, expected["map50"].get<double>(), 1e-9);
  EXPECT_NEAR(evaluation.metrics.map50_95, expected["map50_95"].get<double>(), 1e-9);
  EXPECT_NEAR(evaluation.metrics.mean_f1, expected["mean_f1"].get<double>(), 1e-9);
}

Dataset two_label_truth() {
  Dataset data;
  data.labels = {"acme", "globex"};
  Sample a;
  a.image = "a.jpg";
  a.width = 200;
  a.height = 100;
  a.boxes = {{10, 10, 50, 50, 0}, {100, 10, 140, 50, 1}, {150, 60, 190, 95, 0}};
  Sample b;
  b.image = "b.jpg";
  b.width = 200;
  b.height = 100;
  data.samples = {a, b};
  return data;
}

TEST(Evaluate, VerdictsAtThresholdsAndFalsePositiveKinds) {
  const Dataset truth = two_label_truth();
  std::vector<ImageDetections> found(2);
  found[0].detections = {
      {10, 10, 50, 50, 0, 0.9F},    // TP on acme box 0
      {11, 10, 51, 50, 0, 0.8F},    // duplicate of box 0
      {100, 10, 140, 50, 0, 0.7F},  // confusion: sits on the globex box
      {20, 60, 40, 80, 0, 0.2F},    // below the 0.5 threshold
      {150, 60, 175, 95, 0, 0.6F},  // on acme box 2: IoU 875 / 1400 = 0.625 → TP
  };
  found[1].detections = {{60, 20, 90, 50, 1, 0.95F}};  // background: a likely missing globex
  EvaluationOptions options;
  options.thresholds = {0.5F, 0.5F};
  const Evaluation evaluation = evaluate(truth, found, options);
  const auto& a = evaluation.images[0];
  ASSERT_EQ(a.predictions.size(), 5U);
  EXPECT_EQ(a.predictions[0].verdict, Verdict::kTruePositive);
  EXPECT_EQ(a.predictions[1].verdict, Verdict::kFalsePositive);
  EXPECT_EQ(a.predictions[1].kind, FalsePositiveKind::kDuplicate);
  EXPECT_EQ(a.predictions[2].verdict, Verdict::kFalsePositive);
  EXPECT_EQ(a.predictions[2].kind, FalsePositiveKind::kConfusion);
  EXPECT_EQ(a.predictions[3].verdict, Verdict::kTruePositive);  // 0.6 on box 2 (IoU 0.625)
  EXPECT_EQ(a.predictions[4].verdict, Verdict::kBelowThreshold);
  EXPECT_EQ(a.ground_truth[0].verdict, Verdict::kTruePositive);
  EXPECT_EQ(a.ground_truth[1].verdict, Verdict::kFalseNegative);  // globex never found as globex
  EXPECT_EQ(a.ground_truth[2].verdict, Verdict::kTruePositive);
  EXPECT_EQ(a.true_positives, 2);
  EXPECT_EQ(a.false_positives, 2);
  EXPECT_EQ(a.false_negatives, 1);
  const auto& b = evaluation.images[1];
  ASSERT_EQ(b.predictions.size(), 1U);
  EXPECT_EQ(b.predictions[0].kind, FalsePositiveKind::kBackground);

  // Per-image totals agree with the per-label counts at the same thresholds.
  EXPECT_EQ(evaluation.true_positives, 2);
  EXPECT_EQ(evaluation.false_positives, 3);
  EXPECT_EQ(evaluation.false_negatives, 1);

  // Suggestions: the background globex (missing label), the globex box where acme sits (wrong label).
  ASSERT_EQ(evaluation.suggestions.size(), 2U);
  EXPECT_EQ(evaluation.suggestions[0].kind, Suggestion::Kind::kMissingLabel);
  EXPECT_EQ(evaluation.suggestions[0].image, 1U);
  EXPECT_EQ(evaluation.suggestions[0].label, 1);
  EXPECT_EQ(evaluation.suggestions[1].kind, Suggestion::Kind::kWrongLabel);
  EXPECT_EQ(evaluation.suggestions[1].label, 1);
  EXPECT_EQ(evaluation.suggestions[1].other_label, 0);
}

TEST(Evaluate, TotalsEqualPerLabelCountsAtAssumedThresholds) {
  const Dataset truth = two_label_truth();
  std::vector<ImageDetections> found(2);
  found[0].detections = {{10, 10, 50, 50, 0, 0.9F}, {100, 12, 140, 50, 1, 0.4F}, {0, 0, 5, 5, 1, 0.3F}};
  found[1].detections = {{60, 20, 90, 50, 0, 0.35F}};
  const Evaluation evaluation = evaluate(truth, found);  // assumed thresholds
  std::int64_t tp = 0;
  std::int64_t fp = 0;
  std::int64_t fn = 0;
  for (const auto& lm : evaluation.metrics.labels) {
    tp += lm.true_positives;
    fp += lm.false_positives;
    fn += lm.false_negatives;
  }
  EXPECT_EQ(evaluation.true_positives, tp);
  EXPECT_EQ(evaluation.false_positives, fp);
  EXPECT_EQ(evaluation.false_negatives, fn);
}

TEST(Evaluate, NeverDetectedBoxesAreSuggestedLargestFirst) {
  Dataset truth = two_label_truth();
  const std::vector<ImageDetections> none(2);
  const Evaluation evaluation = evaluate(truth, none);
  ASSERT_EQ(evaluation.suggestions.size(), 3U);
  for (const auto& s : evaluation.suggestions) EXPECT_EQ(s.kind, Suggestion::Kind::kNeverDetected);
  EXPECT_GE(evaluation.suggestions[0].box.area(), evaluation.suggestions[1].box.area());
  EXPECT_EQ(evaluation.metrics.labels[0].ap50, 0.0);
  EXPECT_EQ(evaluation.false_negatives, 3);
}

TEST(ImageLevel, HandComputed) {
  // Four images for acme: two with the logo (scores .9 and none), two without (.6 and none).
  std::vector<Sample> truth(4);
  truth[0].boxes = {{0, 0, 10, 10, 0}};
  truth[1].boxes = {{0, 0, 10, 10, 0}};
  Box ignored{0, 0, 10, 10, 0};
  ignored.ignore = true;
  std::vector<Sample> with_ignored = truth;
  with_ignored.push_back(Sample{});
  with_ignored.back().boxes = {ignored};
  std::vector<ImageDetections> found(5);
  found[0].detections = {{50, 50, 60, 60, 0, 0.9F}};  // wrong place: still "the image shows acme"
  found[2].detections = {{0, 0, 10, 10, 0, 0.6F}};
  found[4].detections = {{0, 0, 10, 10, 0, 0.99F}};  // image with only an ignore box: left out
  const auto metrics = compute_image_level(with_ignored, found, {"acme"}, {0.5F});
  ASSERT_EQ(metrics.labels.size(), 1U);
  const auto& lm = metrics.labels[0];
  EXPECT_EQ(lm.positive_images, 2);
  EXPECT_EQ(lm.negative_images, 2);
  EXPECT_EQ(lm.true_positives, 1);
  EXPECT_EQ(lm.false_positives, 1);
  EXPECT_EQ(lm.false_negatives, 1);
  EXPECT_DOUBLE_EQ(lm.precision, 0.5);
  EXPECT_DOUBLE_EQ(lm.recall, 0.5);
  // Ranked: .9 positive, .6 negative → precision 1 up to recall .5 (51 points), never reaches 1.
  EXPECT_NEAR(lm.ap, 51.0 / 101.0, 1e-12);
}

TEST(Predictions, BadLinesAreProblemsNamingLineAndField) {
  const std::string text =
      "{\"image\": \"a.jpg\", \"CustomLabels\": [{\"Name\": \"acme\", \"Confidence\": 150, "
      "\"PixelBox\": {\"x0\": 1, \"y0\": 1, \"x1\": 5, \"y1\": 5}}]}\n"
      "not json\n"
      "\n"
      "{\"CustomLabels\": []}\n"
      "{\"image\": \"b.jpg\", \"CustomLabels\": [{\"Confidence\": 50}, {\"Name\": \"acme\", \"Confidence\": "
      "50}]}\n"
      "{\"image\": \"c.jpg\", \"CustomLabels\": [{\"Name\": \"acme\", \"Confidence\": 50, "
      "\"PixelBox\": {\"x0\": 1, \"y0\": 1, \"x1\": \"5\", \"y1\": 5}}]}\n";
  Problems problems;
  const auto records = parse_predictions(text, "p.jsonl", problems);
  ASSERT_EQ(records.size(), 3U);  // a, b, c (their bad labels skipped)
  EXPECT_TRUE(records[0].labels.empty());
  EXPECT_TRUE(records[1].labels.empty());
  ASSERT_GE(problems.size(), 6U);
  EXPECT_EQ(problems[0].where.line, 1);
  EXPECT_EQ(problems[0].field, "CustomLabels[0].Confidence");
  EXPECT_EQ(problems[1].kind, "bad_json");
  EXPECT_EQ(problems[1].where.line, 2);
  EXPECT_EQ(problems[2].where.line, 4);
  EXPECT_EQ(problems[2].field, "image");
  EXPECT_EQ(problems[3].field, "CustomLabels[0].Name");
  EXPECT_EQ(problems[4].field, "CustomLabels[1].Geometry.BoundingBox");
  EXPECT_EQ(problems[5].field, "CustomLabels[0].PixelBox.x1");
  EXPECT_EQ(problems[5].where.line, 6);
}

// Found by fuzz/fuzz_predictions: nlohmann-json reports a number beyond double's range as
// out_of_range, not parse_error; it ended the process instead of naming the line.
TEST(Predictions, NumberOverflowIsABadLineNotACrash) {
  const std::string text =
      "{\"image\": \"a.jpg\", \"CustomLabels\": []}\n"
      "{\"image\": \"b.jpg\", \"width\": 5555555555008E12423158, \"CustomLabels\": []}\n";
  Problems problems;
  const auto records = parse_predictions(text, "p.jsonl", problems);
  ASSERT_EQ(records.size(), 1U);
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_EQ(problems[0].kind, "bad_json");
  EXPECT_EQ(problems[0].where.line, 2);
  EXPECT_NE(problems[0].message.find("number overflow"), std::string::npos) << problems[0].message;
}

TEST(Predictions, DuplicateLinesAndUnknownLabels) {
  Dataset truth = two_label_truth();
  const std::string text =
      "{\"image\": \"a.jpg\", \"width\": 200, \"height\": 100, \"CustomLabels\": [{\"Name\": \"initech\", "
      "\"Confidence\": 80, \"Geometry\": {\"BoundingBox\": {\"Left\": 0.5, \"Top\": 0.5, \"Width\": 0.25, "
      "\"Height\": 0.5}}}]}\n"
      "{\"image\": \"a.jpg\", \"CustomLabels\": []}\n";
  Problems problems;
  const auto records = parse_predictions(text, "p.jsonl", problems);
  const auto aligned = align_predictions(truth, records, ".", problems);
  EXPECT_TRUE(has_problem(problems, "duplicate_prediction"));
  EXPECT_TRUE(has_problem(problems, "missing_prediction"));  // b.jpg
  ASSERT_EQ(truth.labels.size(), 3U);
  EXPECT_EQ(truth.labels[2], "initech");
  ASSERT_EQ(aligned[0].detections.size(), 1U);
  EXPECT_DOUBLE_EQ(aligned[0].detections[0].x0, 100);
  EXPECT_DOUBLE_EQ(aligned[0].detections[0].y1, 100);
  EXPECT_EQ(aligned[0].detections[0].label, 2);
}

TEST(EvaluationFiles, ManifestsReadBackAsDatasets) {
  const Dataset truth = two_label_truth();
  std::vector<ImageDetections> found(2);
  found[0].detections = {{10, 10, 50, 50, 0, 0.9F}};
  found[1].detections = {{60, 20, 90, 50, 1, 0.95F}};
  EvaluationOptions options;
  options.thresholds = {0.5F, 0.5F};
  const Evaluation evaluation = evaluate(truth, found, options);
  testing::TempDir dir;
  const std::string manifest = dir.file("evaluation.manifest");
  const std::string patch = dir.file("suggested-labels.manifest");
  {
    std::ofstream(manifest) << evaluation_manifest_text(evaluation, dir.path());
    std::ofstream(patch) << suggestions_manifest_text(evaluation, dir.path());
  }
  dataset::ReadOptions no_probe;
  no_probe.probe_missing_sizes = false;
  Problems problems;
  const auto back = dataset::read_dataset(manifest, dataset::DatasetFormat::kManifest, problems, no_probe);
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_EQ(back->samples.size(), 2U);
  EXPECT_EQ(back->samples[0].boxes.size(), 3U);
  EXPECT_DOUBLE_EQ(back->samples[0].boxes[2].x1, 190);

  const auto suggested = dataset::read_dataset(patch, dataset::DatasetFormat::kManifest, problems, no_probe);
  ASSERT_TRUE(suggested) << suggested.error().message;
  ASSERT_EQ(suggested->samples.size(), 1U);
  ASSERT_EQ(suggested->samples[0].boxes.size(), 1U);
  EXPECT_EQ(suggested->labels[static_cast<std::size_t>(suggested->samples[0].boxes[0].label)], "globex");

  const auto summary = evaluation_summary_json(evaluation, {});
  EXPECT_EQ(summary["review_counts"]["missing_label"], 1);
  EXPECT_EQ(summary["per_image_totals"]["true_positives"], 1);
  EXPECT_EQ(summary["metrics"]["labels"][0]["name"], "acme");
}

}  // namespace
}  // namespace logoscope::eval

namespace logoscope::eval {
namespace {

TEST(EvaluationFiles, SummaryCurvesAreThinnedButKeepTheBestPoint) {
  Dataset truth;
  truth.labels = {"acme"};
  // 20 images × 60 background detections with distinct scores (COCO keeps 100 per image).
  std::vector<ImageDetections> found(20);
  truth.samples.resize(20);
  truth.samples[0].boxes = {{0, 0, 10, 10, 0}};
  for (int image = 0; image < 20; ++image) {
    for (int i = 0; i < 60; ++i) {
      const int k = image * 60 + i;
      found[static_cast<std::size_t>(image)].detections.push_back(
          {100.0 + i, 0, 110.0 + i, 10, 0, static_cast<float>(k) / 2400.0F});
    }
  }
  found[0].detections.push_back({0, 0, 10, 10, 0, 0.2501F});  // the one hit, mid-ranked
  const Evaluation evaluation = evaluate(truth, found);
  const auto summary = evaluation_summary_json(evaluation, {});
  const auto& curve = summary["metrics"]["labels"][0]["curve"];
  EXPECT_EQ(curve["points_total"], 1201U);
  EXPECT_EQ(curve["points_total"], evaluation.metrics.labels[0].curve.size());
  ASSERT_LE(curve["points"].size(), 400U);
  double best = 0;
  for (const auto& point : curve["points"]) best = std::max(best, point[3].get<double>());
  EXPECT_DOUBLE_EQ(best, evaluation.metrics.labels[0].f1);
  EXPECT_FLOAT_EQ(curve["points"].back()[0].get<float>(),
                  evaluation.metrics.labels[0].curve.back().threshold);
}

}  // namespace
}  // namespace logoscope::eval
