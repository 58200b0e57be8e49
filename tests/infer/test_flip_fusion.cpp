#include <gtest/gtest.h>

#include <random>

#include "infer/flip_fusion.hpp"

namespace logoscope::infer {
namespace {

TEST(FlipFusion, UnmirrorMapsBoxesBackAndTwiceIsIdentity) {
  const std::vector<Detection> mirrored = {{10, 5, 40, 25, 0, 0.9F}};
  const auto back = unmirror_detections(mirrored, 100);
  ASSERT_EQ(back.size(), 1U);
  EXPECT_DOUBLE_EQ(back[0].x0, 60);
  EXPECT_DOUBLE_EQ(back[0].x1, 90);
  EXPECT_DOUBLE_EQ(back[0].y0, 5);
  EXPECT_DOUBLE_EQ(back[0].y1, 25);
  const auto again = unmirror_detections(back, 100);
  EXPECT_DOUBLE_EQ(again[0].x0, 10);
  EXPECT_DOUBLE_EQ(again[0].x1, 40);
}

TEST(FlipFusion, PairsAverageAndLoneDetectionsCountHalf) {
  const std::vector<Detection> original = {{0, 0, 100, 100, 0, 0.8F},      // paired with the first mirrored
                                           {200, 200, 260, 260, 0, 0.6F},  // nothing near it: 0.3
                                           {0, 0, 100, 100, 1, 0.4F}};     // other label: not paired with label 0
  const std::vector<Detection> mirrored = {{10, 0, 110, 100, 0, 0.4F},     // IoU 0.82 with the first
                                           {400, 0, 450, 50, 0, 0.5F}};    // alone: 0.25
  const auto fused = fuse_flipped(original, mirrored);
  ASSERT_EQ(fused.size(), 4U);
  EXPECT_FLOAT_EQ(fused[0].score, 0.6F);  // (0.8 + 0.4) / 2
  EXPECT_EQ(fused[0].label, 0);
  // Box: score-weighted mean, 2/3 of the original's.
  EXPECT_NEAR(fused[0].x0, 10.0 / 3, 1e-9);
  EXPECT_NEAR(fused[0].x1, 100 + 10.0 / 3, 1e-9);
  EXPECT_FLOAT_EQ(fused[1].score, 0.3F);
  EXPECT_DOUBLE_EQ(fused[1].x0, 200);
  EXPECT_FLOAT_EQ(fused[2].score, 0.25F);
  EXPECT_DOUBLE_EQ(fused[2].x0, 400);
  EXPECT_FLOAT_EQ(fused[3].score, 0.2F);
  EXPECT_EQ(fused[3].label, 1);
}

TEST(FlipFusion, LowOverlapIsNotAPair) {
  const std::vector<Detection> original = {{0, 0, 100, 100, 0, 0.8F}};
  const std::vector<Detection> mirrored = {{50, 0, 150, 100, 0, 0.8F}};  // IoU 1/3
  const auto fused = fuse_flipped(original, mirrored);
  ASSERT_EQ(fused.size(), 2U);
  EXPECT_FLOAT_EQ(fused[0].score, 0.4F);
  EXPECT_FLOAT_EQ(fused[1].score, 0.4F);
}

TEST(FlipFusion, TheMoreConfidentOriginalChoosesFirst) {
  // Both originals overlap the one mirrored box; the 0.9 one pairs, the 0.5 one stays alone.
  const std::vector<Detection> original = {{0, 0, 100, 100, 0, 0.5F}, {2, 0, 102, 100, 0, 0.9F}};
  const std::vector<Detection> mirrored = {{1, 0, 101, 100, 0, 0.7F}};
  const auto fused = fuse_flipped(original, mirrored);
  ASSERT_EQ(fused.size(), 2U);
  EXPECT_FLOAT_EQ(fused[0].score, 0.8F);
  EXPECT_FLOAT_EQ(fused[1].score, 0.25F);
  EXPECT_DOUBLE_EQ(fused[1].x0, 0);
}

// Against simple truths on random lists: fused with itself every detection pairs with its own copy
// (scores and boxes unchanged); fused with nothing every score halves; nothing is lost or made up.
TEST(FlipFusion, RandomListsKeepEveryDetectionOnce) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> coord(0, 300);
  std::uniform_real_distribution<double> side(4, 80);
  std::uniform_real_distribution<float> score(0.01F, 1.0F);
  std::uniform_int_distribution<int> label(0, 2);
  for (int trial = 0; trial < 100; ++trial) {
    std::vector<Detection> a;
    std::vector<Detection> b;
    for (int i = 0; i < 1 + trial % 30; ++i) {
      const double x = coord(rng);
      const double y = coord(rng);
      a.push_back({x, y, x + side(rng), y + side(rng), label(rng), score(rng)});
      const double u = coord(rng);
      const double v = coord(rng);
      b.push_back({u, v, u + side(rng), v + side(rng), label(rng), score(rng)});
    }
    double sum_in = 0;
    for (const auto& d : a) sum_in += d.score;
    for (const auto& d : b) sum_in += d.score;
    const auto fused = fuse_flipped(a, b);
    double sum_out = 0;
    for (std::size_t i = 0; i < fused.size(); ++i) {
      sum_out += fused[i].score;
      if (i > 0) {
        EXPECT_GE(fused[i - 1].score, fused[i].score);
      }
    }
    // Each input's score counts half, paired or not: the sum halves exactly (up to float rounding).
    EXPECT_NEAR(sum_out, 0.5 * sum_in, 1e-4);
    EXPECT_GE(fused.size(), std::max(a.size(), b.size()));
    EXPECT_LE(fused.size(), a.size() + b.size());

    const auto self = fuse_flipped(a, a);
    ASSERT_EQ(self.size(), a.size());
    auto sorted = a;
    std::stable_sort(sorted.begin(), sorted.end(), [](const Detection& p, const Detection& q) { return p.score > q.score; });
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_FLOAT_EQ(self[i].score, sorted[i].score);
      EXPECT_NEAR(self[i].x0, sorted[i].x0, 1e-9);
      EXPECT_NEAR(self[i].y1, sorted[i].y1, 1e-9);
    }
    const auto alone = fuse_flipped(a, {});
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_FLOAT_EQ(alone[i].score, 0.5F * sorted[i].score);
  }
}

}  // namespace
}  // namespace logoscope::infer
