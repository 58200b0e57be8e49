// Tracking and exposure on scripted detections with exact ground truth: marks that move, enter,
// leave and are hidden for a moment, seen at every frame and at every third.
#include <cmath>
#include <functional>

#include <gtest/gtest.h>

#include "video/exposure.hpp"
#include "video/tracker.hpp"

namespace logoscope::video {
namespace {

constexpr double kFps = 30.0;
constexpr double kFrame = 1.0 / kFps;

// A mark of `label` visible on frames [first, last], hidden on frames [hidden_first, hidden_last],
// moving `speed` px per frame to the right.
struct Mark {
  int label = 0;
  int first = 0;
  int last = 0;
  int hidden_first = -1;
  int hidden_last = -1;
  double x = 100;
  double y = 100;
  double speed = 0;
  float score = 0.9F;
  double accel = 0;  ///< px per frame²
  [[nodiscard]] bool visible(int frame) const {
    return frame >= first && frame <= last && !(frame >= hidden_first && frame <= hidden_last);
  }
  [[nodiscard]] Detection at(int frame) const {
    const double t = frame - first;
    const double dx = speed * t + 0.5 * accel * t * t;
    return {x + dx, y, x + dx + 60, y + 40, label, score};
  }
};

struct Run {
  ExposureReport report;
  std::vector<std::vector<std::int64_t>> ids_by_mark;  // track ids each mark got, in order
};

Run run(const std::vector<Mark>& marks, int frames, int stride, TrackerOptions options = {},
        const std::function<float(int, int)>& score_of = {}) {
  options.min_hits = std::min(options.min_hits, 2);
  Tracker tracker(options);
  ExposureCounter exposure({"acme", "globex"}, stride * kFrame);
  Run result;
  result.ids_by_mark.resize(marks.size());
  for (int frame = 0; frame < frames; frame += stride) {
    std::vector<Detection> detections;
    std::vector<std::size_t> owner;
    for (std::size_t m = 0; m < marks.size(); ++m) {
      if (!marks[m].visible(frame)) continue;
      Detection d = marks[m].at(frame);
      if (score_of) d.score = score_of(static_cast<int>(m), frame);
      detections.push_back(d);
      owner.push_back(m);
    }
    const auto boxes = tracker.update(frame * kFrame, detections);
    for (const auto& box : boxes) {
      for (std::size_t k = 0; k < detections.size(); ++k) {
        if (detections[k].x0 == box.x0 && detections[k].y0 == box.y0 && detections[k].label == box.label) {
          auto& ids = result.ids_by_mark[owner[k]];
          if (ids.empty() || ids.back() != box.track_id) ids.push_back(box.track_id);
        }
      }
    }
    exposure.add(frame * kFrame, 640, 360, boxes, std::vector<double>(boxes.size(), 10.0));
    exposure.add_finished(tracker.take_finished());
  }
  tracker.finish();
  exposure.add_finished(tracker.take_finished());
  result.report = exposure.report(frames * kFrame);
  return result;
}

TEST(Tracking, AShortOcclusionKeepsOneExposureAndItsId) {
  // Visible 1.0 s to 5.0 s (frames 30..149), hidden 3.0-3.3 s, moving 2 px a frame.
  const Mark mark{0, 30, 149, 90, 98, 100, 100, 2.0};
  for (const int stride : {1, 3}) {
    const auto result = run({mark}, 180, stride);
    ASSERT_EQ(result.ids_by_mark[0].size(), 1U) << "stride " << stride << ": the id changed";
    const auto& acme = result.report.labels[0];
    EXPECT_EQ(acme.exposures, 1) << "stride " << stride;
    EXPECT_NEAR(acme.seconds, 4.0, kFrame) << "stride " << stride;
    EXPECT_NEAR(acme.first_s, 1.0, 1e-9);
    EXPECT_NEAR(acme.longest_s, acme.seconds, 1e-9);
    EXPECT_EQ(result.report.labels[1].exposures, 0);
    EXPECT_DOUBLE_EQ(acme.share_of_voice, 1.0);
    EXPECT_NEAR(acme.solus_seconds, acme.seconds, 1e-9);
    EXPECT_NEAR(acme.mean_share, 60.0 * 40.0 / (640.0 * 360.0), 1e-12);
  }
}

TEST(Tracking, ALogoThatLeavesForLongerThanTheGapIsTwoExposures) {
  // Frames 0..59 and 120..179: gone for 2 s, more than the 1 s gap.
  const std::vector<Mark> marks = {{0, 0, 59}, {0, 120, 179}};
  const auto result = run(marks, 180, 1);
  EXPECT_EQ(result.report.labels[0].exposures, 2);
  EXPECT_NEAR(result.report.labels[0].seconds, 4.0, kFrame);
  EXPECT_NEAR(result.report.labels[0].longest_s, 2.0, kFrame);
  ASSERT_EQ(result.report.tracks.size(), 2U);
  EXPECT_NE(result.report.tracks[0].track_id, result.report.tracks[1].track_id);
}

TEST(Tracking, ShareOfVoiceAndSolusSecondsOfTwoBrands) {
  // acme 0-4 s, globex 2-6 s (far apart on screen): 2 s together, 2 s each alone.
  const std::vector<Mark> marks = {{0, 0, 119, -1, -1, 50, 50}, {1, 60, 179, -1, -1, 400, 200}};
  const auto result = run(marks, 180, 1);
  const auto& acme = result.report.labels[0];
  const auto& globex = result.report.labels[1];
  EXPECT_NEAR(acme.seconds, 4.0, kFrame);
  EXPECT_NEAR(globex.seconds, 4.0, kFrame);
  EXPECT_NEAR(acme.share_of_voice, 0.5, 0.01);
  EXPECT_NEAR(acme.solus_seconds, 2.0, kFrame);
  EXPECT_NEAR(globex.solus_seconds, 2.0, kFrame);
  EXPECT_EQ(acme.centre_fraction, 0.0);
  // The timeline: second 1 has a full second of acme and none of globex; second 3 a second of both.
  ASSERT_GE(result.report.timeline.size(), 6U);
  EXPECT_NEAR(result.report.timeline[1][0], 1.0, 1e-9);
  EXPECT_NEAR(result.report.timeline[1][1], 0.0, 1e-9);
  EXPECT_NEAR(result.report.timeline[3][0], 1.0, 1e-9);
  EXPECT_NEAR(result.report.timeline[3][1], 1.0, 1e-9);
}

TEST(Tracking, TwoLogosOfOneBrandAtOnceCountOnceInItsSeconds) {
  const std::vector<Mark> marks = {{0, 0, 89, -1, -1, 20, 20}, {0, 30, 119, -1, -1, 400, 250}};
  const auto result = run(marks, 150, 1);
  EXPECT_EQ(result.report.labels[0].exposures, 2);
  EXPECT_NEAR(result.report.labels[0].seconds, 4.0, kFrame);  // 0-3 s and 1-4 s
}

TEST(Tracking, LowConfidenceContinuesButNeverStartsAnExposure) {
  TrackerOptions options;
  options.high_score = 0.6F;
  options.low_score = 0.2F;
  // Mark 0 dims to 0.3 in its second half: still one exposure to the end. Mark 1 is always 0.3.
  const std::vector<Mark> marks = {{0, 0, 89}, {1, 0, 89, -1, -1, 400, 200}};
  const auto result = run(marks, 90, 1, options, [](int mark, int frame) {
    if (mark == 1) return 0.3F;
    return frame < 45 ? 0.9F : 0.3F;
  });
  EXPECT_EQ(result.report.labels[0].exposures, 1);
  EXPECT_NEAR(result.report.labels[0].seconds, 3.0, kFrame);
  EXPECT_EQ(result.report.labels[1].exposures, 0);
}

TEST(Tracking, AOneFrameFlickerIsNotAnExposure) {
  const std::vector<Mark> marks = {{0, 10, 10}, {0, 100, 159, -1, -1, 300, 100}};
  const auto result = run(marks, 180, 1);
  EXPECT_EQ(result.report.labels[0].exposures, 1);
  EXPECT_NEAR(result.report.labels[0].seconds, 2.0, kFrame);
}

TEST(Tracking, AFastMarkIsFollowedByItsVelocity) {
  // Speeding up to 50 px per frame with a 60 px box: past ~28 px per frame consecutive boxes overlap
  // less than the matching IoU, so only the predicted position keeps the track.
  Mark mark{0, 0, 59, -1, -1, 0, 100, 0.0};
  mark.accel = 50.0 / 60.0;
  const auto result = run({mark}, 60, 1);
  EXPECT_EQ(result.ids_by_mark[0].size(), 1U);
  EXPECT_EQ(result.report.labels[0].exposures, 1);
}

TEST(Exposure, UnionOfIntervals) {
  EXPECT_DOUBLE_EQ(union_seconds({}), 0.0);
  EXPECT_DOUBLE_EQ(union_seconds({{0, 1}, {0.5, 2}, {3, 4}}), 3.0);
  EXPECT_DOUBLE_EQ(union_seconds({{3, 4}, {0, 1}, {1, 2}}), 3.0);
  EXPECT_DOUBLE_EQ(union_seconds({{2, 1}}), 0.0);
}

}  // namespace
}  // namespace logoscope::video
