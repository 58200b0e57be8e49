// Metric values computed by hand on small cases (the arithmetic is in each test's comment).
#include <gtest/gtest.h>

#include "eval/metrics.hpp"

namespace logoscope::eval {
namespace {

Sample gt(std::vector<Box> boxes) {
  Sample sample;
  sample.boxes = std::move(boxes);
  return sample;
}

ImageDetections dets(std::vector<Detection> detections) {
  ImageDetections image;
  image.detections = std::move(detections);
  return image;
}

TEST(AveragePrecision, PerfectRankingIsOne) {
  EXPECT_DOUBLE_EQ(average_precision_101({1, 1, 1}, 3), 1.0);
}

TEST(AveragePrecision, HandComputedInterpolation) {
  // TP, FP, TP with 2 ground truths: precision 1, 1/2, 2/3; recall 1/2, 1/2, 1.
  // Interpolated precision: r ≤ 0.5 → max(1, .5, .667) = 1 (51 points: 0.00..0.50);
  // r in (0.5, 1] → 2/3 (50 points). AP = (51·1 + 50·2/3) / 101.
  EXPECT_NEAR(average_precision_101({1, 0, 1}, 2), (51.0 + 50.0 * 2.0 / 3.0) / 101.0, 1e-12);
  // Missing ground truth caps recall: one TP of 4 → recall 0.25: points 0..0.25 (26) at precision 1.
  EXPECT_NEAR(average_precision_101({1}, 4), 26.0 / 101.0, 1e-12);
  EXPECT_EQ(average_precision_101({}, 0), -1.0);
  EXPECT_EQ(average_precision_101({}, 3), 0.0);
}

TEST(Matching, HighestScoreTakesTheBoxAndDuplicatesAreFalsePositives) {
  const std::vector<Sample> truth = {gt({{0, 0, 10, 10, 0}})};
  const std::vector<ImageDetections> found = {dets({{0, 0, 10, 10, 0, 0.6F}, {1, 0, 10, 10, 0, 0.9F}})};
  const auto matches = match_detections(truth, found, 0.5);
  ASSERT_EQ(matches.size(), 2U);
  EXPECT_EQ(matches[0].score, 0.9F);
  EXPECT_EQ(matches[0].outcome, Outcome::kTruePositive);
  EXPECT_EQ(matches[1].outcome, Outcome::kFalsePositive);
}

TEST(Matching, IgnoreBoxesCountNeitherWay) {
  Box ignored{20, 20, 30, 30, 0};
  ignored.ignore = true;
  const std::vector<Sample> truth = {gt({{0, 0, 10, 10, 0}, ignored})};
  const std::vector<ImageDetections> found = {dets({{20, 20, 30, 30, 0, 0.8F}, {0, 0, 10, 10, 0, 0.7F}})};
  const auto metrics = compute_metrics(truth, found, {"logo"});
  EXPECT_EQ(metrics.labels[0].ground_truth, 1);
  EXPECT_EQ(metrics.labels[0].detections, 1);
  EXPECT_DOUBLE_EQ(metrics.labels[0].ap50, 1.0);
  EXPECT_DOUBLE_EQ(metrics.labels[0].f1, 1.0);
}

TEST(Metrics, AssumedThresholdMaximisesF1) {
  // Two images, 3 ground-truth boxes. Ranked: 0.9 TP, 0.8 FP, 0.7 TP, 0.3 FP, 0.2 TP.
  // F1 after each: 1/(1+0.5·(0+2))... computed: k=1 P1 R1/3 F1 .5; k=2 P.5 R1/3 F1 .4;
  // k=3 P2/3 R2/3 F1 .667; k=4 P.5 R2/3 F1 .571; k=5 P.6 R1 F1 .75 → threshold 0.2.
  const std::vector<Sample> truth = {gt({{0, 0, 10, 10, 0}, {20, 0, 30, 10, 0}}), gt({{0, 0, 10, 10, 0}})};
  const std::vector<ImageDetections> found = {
      dets({{0, 0, 10, 10, 0, 0.9F}, {50, 50, 60, 60, 0, 0.8F}, {20, 0, 30, 10, 0, 0.7F}}),
      dets({{40, 40, 45, 45, 0, 0.3F}, {0, 0, 10, 10, 0, 0.2F}})};
  const auto metrics = compute_metrics(truth, found, {"logo"});
  const auto& label = metrics.labels[0];
  EXPECT_FLOAT_EQ(label.assumed_threshold, 0.2F);
  EXPECT_NEAR(label.f1, 0.75, 1e-12);
  EXPECT_NEAR(label.precision, 0.6, 1e-12);
  EXPECT_NEAR(label.recall, 1.0, 1e-12);
  EXPECT_EQ(label.true_positives, 3);
  EXPECT_EQ(label.false_positives, 2);
  EXPECT_EQ(label.false_negatives, 0);
  ASSERT_EQ(label.curve.size(), 5U);
  // AP: precisions 1, .5, .667, .5, .6 → interpolated 1 (r ≤ 1/3: 34 points), .667 (1/3 < r ≤ 2/3:
  // 33 points), .6 (r > 2/3: 34 points).
  EXPECT_NEAR(label.ap50, (34.0 + 33.0 * 2.0 / 3.0 + 34.0 * 0.6) / 101.0, 1e-12);
}

TEST(Metrics, TiesInConfidenceAreOneCurvePoint) {
  const std::vector<Sample> truth = {gt({{0, 0, 10, 10, 0}})};
  const std::vector<ImageDetections> found = {dets({{0, 0, 10, 10, 0, 0.5F}, {30, 30, 40, 40, 0, 0.5F}})};
  const auto metrics = compute_metrics(truth, found, {"logo"});
  ASSERT_EQ(metrics.labels[0].curve.size(), 1U);
  EXPECT_NEAR(metrics.labels[0].f1, 2 * 0.5 * 1.0 / 1.5, 1e-12);
}

TEST(Metrics, NoDetectionsAndNoGroundTruth) {
  const std::vector<Sample> truth = {gt({{0, 0, 10, 10, 0}})};
  const std::vector<ImageDetections> found = {dets({{0, 0, 10, 10, 1, 0.9F}})};
  const auto metrics = compute_metrics(truth, found, {"a", "b"});
  EXPECT_EQ(metrics.labels[0].ap50, 0.0);
  EXPECT_EQ(metrics.labels[0].f1, 0.0);
  EXPECT_EQ(metrics.labels[0].false_negatives, 1);
  EXPECT_EQ(metrics.labels[1].ap50, -1.0);
  EXPECT_EQ(metrics.labels[1].false_positives, 1);
  EXPECT_DOUBLE_EQ(metrics.map50, 0.0);  // only label "a" has ground truth
}

TEST(Metrics, StricterIouLowersAp5095) {
  // IoU of [0,0,10,10] with [0,0,10,8] is 0.8: a hit for 0.50..0.80 (7 of 10 thresholds).
  const std::vector<Sample> truth = {gt({{0, 0, 10, 10, 0}})};
  const std::vector<ImageDetections> found = {dets({{0, 0, 10, 8, 0, 0.9F}})};
  const auto metrics = compute_metrics(truth, found, {"logo"});
  EXPECT_DOUBLE_EQ(metrics.labels[0].ap50, 1.0);
  EXPECT_NEAR(metrics.labels[0].ap50_95, 0.7, 1e-12);
}

}  // namespace
}  // namespace logoscope::eval

namespace logoscope::eval {
namespace {

TEST(Metrics, DegenerateGroundTruthIsLeftOut) {
  const std::vector<Sample> truth = {gt({{0, 0, 10, 10, 0}, {3, 5, 3, 5, 0}})};
  const std::vector<ImageDetections> found = {dets({{0, 0, 10, 10, 0, 0.9F}})};
  const auto metrics = compute_metrics(truth, found, {"logo"});
  EXPECT_EQ(metrics.labels[0].ground_truth, 1);
  EXPECT_DOUBLE_EQ(metrics.labels[0].recall, 1.0);
  EXPECT_EQ(metrics.labels[0].false_negatives, 0);
}

}  // namespace
}  // namespace logoscope::eval
