#include <gtest/gtest.h>

#include <random>

#include "infer/nms.hpp"

namespace logoscope::infer {
namespace {

TEST(Nms, KeepsOneBoxPerObjectAndDropsContainedBoxes) {
  const std::vector<Detection> input = {{0, 0, 100, 100, 0, 0.9F},   // kept
                                        {5, 5, 100, 100, 0, 0.8F},   // IoU 0.9 → dropped
                                        {20, 20, 50, 50, 0, 0.7F},   // inside the first → dropped
                                        {20, 20, 50, 50, 1, 0.6F},   // other label → kept
                                        {200, 200, 250, 250, 0, 0.5F}};
  const auto kept = non_max_suppression(input, {});
  ASSERT_EQ(kept.size(), 3U);
  EXPECT_EQ(kept[0].score, 0.9F);
  EXPECT_EQ(kept[1].label, 1);
  EXPECT_EQ(kept[2].score, 0.5F);
  NmsOptions agnostic;
  agnostic.class_agnostic = true;
  EXPECT_EQ(non_max_suppression(input, agnostic).size(), 2U);
  NmsOptions no_containment;
  no_containment.containment_threshold = 1.1;
  EXPECT_EQ(non_max_suppression(input, no_containment).size(), 4U);
}

TEST(Nms, MatchesTheReferenceOnRandomInputs) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> coord(0, 200);
  std::uniform_real_distribution<double> side(2, 80);
  std::uniform_int_distribution<int> label(0, 2);
  std::uniform_int_distribution<int> score_step(0, 20);  // coarse scores → many ties
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<Detection> input;
    const int n = 1 + trial % 60;
    for (int i = 0; i < n; ++i) {
      const double x = coord(rng);
      const double y = coord(rng);
      input.push_back({x, y, x + side(rng), y + side(rng), label(rng), static_cast<float>(score_step(rng)) / 20.0F});
    }
    NmsOptions options;
    options.class_agnostic = trial % 2 == 0;
    options.max_detections = trial % 3 == 0 ? 5 : 300;
    const auto fast = non_max_suppression(input, options);
    const auto reference = nms_reference(input, options);
    ASSERT_EQ(fast.size(), reference.size()) << "trial " << trial;
    for (std::size_t i = 0; i < fast.size(); ++i) {
      EXPECT_EQ(fast[i].x0, reference[i].x0);
      EXPECT_EQ(fast[i].score, reference[i].score);
      EXPECT_EQ(fast[i].label, reference[i].label);
    }
  }
}

}  // namespace
}  // namespace logoscope::infer
