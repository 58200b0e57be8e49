#include <gtest/gtest.h>

#include <cmath>

#include "model/fcos_targets.hpp"

namespace logoscope::model {
namespace {

std::int64_t flat_index(const GridLayout& layout, std::size_t level, int i, int j) {
  return layout.offsets[level] + static_cast<std::int64_t>(i) * layout.widths[level] + j;
}

TEST(GridLayout, CountsLocationsPerLevel) {
  const auto layout = GridLayout::make(320, 256, {8, 16, 32});
  EXPECT_EQ(layout.widths, (std::vector<int>{40, 20, 10}));
  EXPECT_EQ(layout.heights, (std::vector<int>{32, 16, 8}));
  EXPECT_EQ(layout.total, 40 * 32 + 20 * 16 + 10 * 8);
  EXPECT_EQ(layout.offsets[1], 40 * 32);
}

TEST(AssignTargets, SmallBoxGoesToStride8NearItsCentre) {
  const auto layout = GridLayout::make(320, 320, {8, 16, 32});
  const auto targets = assign_targets({{100, 100, 140, 130, 3}}, layout);
  // Centre (120, 115): locations within 1.5·8 = 12 px and inside the box, all on level 0.
  EXPECT_GT(targets.positives, 0);
  for (std::int64_t idx = layout.offsets[1]; idx < layout.total; ++idx) EXPECT_EQ(targets.labels[static_cast<std::size_t>(idx)], kBackground);
  const auto centre = static_cast<std::size_t>(flat_index(layout, 0, 14, 14));  // (116, 116)
  ASSERT_EQ(targets.labels[centre], 3);
  EXPECT_FLOAT_EQ(targets.boxes[centre * 4 + 0], 16.0F);  // l = 116 - 100
  EXPECT_FLOAT_EQ(targets.boxes[centre * 4 + 1], 16.0F);  // t
  EXPECT_FLOAT_EQ(targets.boxes[centre * 4 + 2], 24.0F);  // r = 140 - 116
  EXPECT_FLOAT_EQ(targets.boxes[centre * 4 + 3], 14.0F);  // b = 130 - 116
  EXPECT_NEAR(targets.centerness[centre], std::sqrt(16.0 / 24.0 * 14.0 / 16.0), 1e-6);
}

TEST(AssignTargets, LargeBoxGoesToStride32) {
  const auto layout = GridLayout::make(320, 320, {8, 16, 32});
  const auto targets = assign_targets({{10, 10, 310, 300, 0}}, layout);
  int on_level2 = 0;
  for (std::int64_t idx = 0; idx < layout.total; ++idx) {
    if (targets.labels[static_cast<std::size_t>(idx)] >= 0) {
      EXPECT_GE(idx, layout.offsets[2]);
      ++on_level2;
    }
  }
  EXPECT_GT(on_level2, 0);
}

TEST(AssignTargets, TinyBoxStillGetsOneLocation) {
  const auto layout = GridLayout::make(320, 320, {8, 16, 32});
  const auto targets = assign_targets({{50, 50, 53, 54, 1}}, layout);
  EXPECT_EQ(targets.positives, 1);
  EXPECT_EQ(targets.labels[static_cast<std::size_t>(flat_index(layout, 0, 6, 6))], 1);
}

TEST(AssignTargets, IgnoreBoxesMarkTheirInsideAsIgnored) {
  const auto layout = GridLayout::make(320, 320, {8, 16, 32});
  Box ignored{0, 0, 40, 40, 0};
  ignored.ignore = true;
  const auto targets = assign_targets({ignored}, layout);
  EXPECT_EQ(targets.positives, 0);
  EXPECT_EQ(targets.labels[static_cast<std::size_t>(flat_index(layout, 0, 2, 2))], kIgnored);
  EXPECT_EQ(targets.labels[static_cast<std::size_t>(flat_index(layout, 0, 10, 10))], kBackground);
}

}  // namespace
}  // namespace logoscope::model
