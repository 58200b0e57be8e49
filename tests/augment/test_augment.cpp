// augment: the boxes move with the pixels. A pure red logo on a grey background is cropped,
// mosaicked, flipped and composed many times with many seeds; every labeled box must cover red
// pixels and all red pixels must lie under a box (labeled or ignore), so an off-by-scale or
// off-by-offset box cannot pass. transform_boxes' clipping and visibility rules are checked
// by hand-computed cases.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include <opencv2/imgproc.hpp>

#include "augment/augment.hpp"
#include "support/red_logos.hpp"

namespace logoscope::augment {
namespace {

using testing::geometry_only;
using testing::red_logo;

const cv::Vec3b kRed(255, 0, 0);

bool reddish(const cv::Vec3b& p) { return p[0] > 200 && p[1] < 60 && p[2] < 60; }

// Share of the box's pixels that are red (the box shrunk by 1 px against resampling edges).
double red_inside(const cv::Mat& rgb, const Box& box) {
  const int x0 = std::max(0, static_cast<int>(std::ceil(box.x0)) + 1);
  const int y0 = std::max(0, static_cast<int>(std::ceil(box.y0)) + 1);
  const int x1 = std::min(rgb.cols, static_cast<int>(std::floor(box.x1)) - 1);
  const int y1 = std::min(rgb.rows, static_cast<int>(std::floor(box.y1)) - 1);
  if (x1 <= x0 || y1 <= y0) return 1.0;  // too small to judge after the margin
  int red = 0;
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) red += reddish(rgb.at<cv::Vec3b>(y, x)) ? 1 : 0;
  }
  return static_cast<double>(red) / ((x1 - x0) * (y1 - y0));
}

// Red pixels farther than 2 px from every box (labeled or ignore); `total` receives all red pixels.
int red_outside(const cv::Mat& rgb, const std::vector<Box>& boxes, int& total) {
  int outside = 0;
  total = 0;
  for (int y = 0; y < rgb.rows; ++y) {
    for (int x = 0; x < rgb.cols; ++x) {
      if (!reddish(rgb.at<cv::Vec3b>(y, x))) continue;
      ++total;
      bool covered = false;
      for (const Box& b : boxes) {
        covered = covered || (x >= b.x0 - 2 && x <= b.x1 + 2 && y >= b.y0 - 2 && y <= b.y1 + 2);
      }
      outside += covered ? 0 : 1;
    }
  }
  return outside;
}

void expect_boxes_follow_pixels(const TrainImage& sample, const std::string& what) {
  for (const Box& box : sample.boxes) {
    if (box.ignore) continue;
    EXPECT_GE(box.x0, 0) << what;
    EXPECT_GE(box.y0, 0) << what;
    EXPECT_LE(box.x1, sample.rgb.cols) << what;
    EXPECT_LE(box.y1, sample.rgb.rows) << what;
    EXPECT_GT(red_inside(sample.rgb, box), 0.9) << what << ": box " << box.x0 << "," << box.y0 << "," << box.x1 << ","
                                                << box.y1;
  }
  // A logo cut to a sliver (under 10 % of it left) loses its box by design; anything more left
  // unboxed is a box that did not follow its pixels.
  int total = 0;
  const int outside = red_outside(sample.rgb, sample.boxes, total);
  EXPECT_LE(outside, std::max(60, total / 10)) << what << ": " << outside << " of " << total << " red pixels unboxed";
}

TEST(Augment, ScaledCropsMoveTheBoxWithTheLogo) {
  Augmenter augmenter(geometry_only(), {}, 7);
  const TrainImage photo = red_logo(500, 375, {180, 120, 90, 60});
  int kept = 0;
  for (int k = 0; k < 40; ++k) {
    const TrainImage crop = augmenter.random_scaled_crop(photo, 320);
    ASSERT_EQ(crop.rgb.cols, 320);
    ASSERT_EQ(crop.rgb.rows, 320);
    expect_boxes_follow_pixels(crop, "crop " + std::to_string(k));
    for (const Box& box : crop.boxes) kept += box.ignore ? 0 : 1;
  }
  EXPECT_GT(kept, 30);  // the crop is centred on a box: it is nearly always kept
}

TEST(Augment, MosaicCellsKeepTheirOwnBoxes) {
  Augmenter augmenter(geometry_only(), {}, 11);
  const TrainImage a = red_logo(400, 300, {40, 50, 120, 80});
  const TrainImage b = red_logo(300, 400, {150, 200, 60, 150});
  for (int k = 0; k < 20; ++k) {
    const TrainImage sample = augmenter.mosaic({&a, &b, &a, &b}, 320);
    expect_boxes_follow_pixels(sample, "mosaic " + std::to_string(k));
    EXPECT_FALSE(sample.boxes.empty());
  }
}

TEST(Augment, FlipsMirrorTheBoxUnlessItsLabelMustNotBeMirrored) {
  const TrainImage photo = red_logo(200, 100, {20, 30, 50, 40});
  Augmenter augmenter(geometry_only(), {}, 3);
  TrainImage flipped = photo;
  flipped.rgb = photo.rgb.clone();
  augmenter.horizontal_flip(flipped);
  ASSERT_EQ(flipped.boxes.size(), 1U);
  EXPECT_DOUBLE_EQ(flipped.boxes[0].x0, 130);
  EXPECT_DOUBLE_EQ(flipped.boxes[0].x1, 180);
  EXPECT_DOUBLE_EQ(flipped.boxes[0].y0, 30);
  expect_boxes_follow_pixels(flipped, "flip");

  Augmenter text_logo(geometry_only(), FlipPolicy{{true}}, 3);  // label 0 reads differently mirrored
  TrainImage kept = photo;
  kept.rgb = photo.rgb.clone();
  text_logo.horizontal_flip(kept);
  EXPECT_DOUBLE_EQ(kept.boxes[0].x0, 20);
  EXPECT_EQ(cv::norm(kept.rgb, photo.rgb, cv::NORM_INF), 0.0);
}

TEST(Augment, ComposedSamplesKeepBoxesOnTheirLogos) {
  AugmentConfig config = geometry_only();
  config.mosaic_prob = 0.5;
  config.flip_prob = 0.5;
  Augmenter augmenter(config, {}, 5);
  const std::vector<TrainImage> positives = {red_logo(500, 375, {100, 100, 150, 80}),
                                             red_logo(375, 500, {30, 300, 60, 60})};
  for (int k = 0; k < 30; ++k) {
    const TrainImage sample = augmenter.compose_training_sample(positives, {}, {});
    ASSERT_EQ(sample.rgb.cols, config.output_size);
    expect_boxes_follow_pixels(sample, "sample " + std::to_string(k));
  }
}

TEST(Augment, TransformBoxesClipsAndJudgesWhatIsLeft) {
  const std::vector<Box> boxes = {
      {10, 10, 30, 30, 0, false, false},     // inside after the move
      {90, 10, 130, 30, 1, false, false},    // half out: 50 % visible
      {100, 50, 300, 60, 0, false, false},   // 20 of 400 px visible (5 %): dropped
      {-40, 80, 20, 100, 2, false, false},   // 20 of 120 px visible (17 %): kept as ignore
  };
  // x' = 2x − 20, y' = 2y − 20, clipped to 200 × 200.
  const auto out = transform_boxes(boxes, 2, 2, -20, -20, 200, 200, 0.45);
  ASSERT_EQ(out.size(), 3U);
  EXPECT_DOUBLE_EQ(out[0].x0, 0);
  EXPECT_DOUBLE_EQ(out[0].x1, 40);
  EXPECT_FALSE(out[0].ignore);
  EXPECT_DOUBLE_EQ(out[1].x0, 160);
  EXPECT_DOUBLE_EQ(out[1].x1, 200);
  EXPECT_FALSE(out[1].ignore);  // 50 % ≥ 45 %
  EXPECT_EQ(out[1].label, 1);
  EXPECT_EQ(out[2].label, 2);
  EXPECT_TRUE(out[2].ignore);
  EXPECT_DOUBLE_EQ(out[2].x0, 0);
  EXPECT_DOUBLE_EQ(out[2].x1, 20);
}

}  // namespace
}  // namespace logoscope::augment
