#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>

#include "infer/tiling.hpp"

namespace logoscope::infer {
namespace {

TEST(TilePlan, AutoTilesOnlyImagesMuchLargerThanTheWholePass) {
  const TilingOptions options;
  EXPECT_TRUE(plan_tiles(500, 375, 512, options).tiles.empty());
  EXPECT_TRUE(plan_tiles(768, 500, 512, options).tiles.empty());  // 1.5× exactly: not tiled
  EXPECT_FALSE(plan_tiles(769, 500, 512, options).tiles.empty());
  TilingOptions on = options;
  on.mode = TileMode::kOn;
  EXPECT_TRUE(plan_tiles(512, 300, 512, on).tiles.empty());  // the whole pass is already native
  EXPECT_FALSE(plan_tiles(600, 300, 512, on).tiles.empty());
  TilingOptions off = options;
  off.mode = TileMode::kOff;
  EXPECT_TRUE(plan_tiles(8000, 8000, 512, off).tiles.empty());
}

TEST(TilePlan, OverlapHoldsTheLargestLogoTheWholePassMisses) {
  const TilingOptions options;  // 16 px reliable at network input, 2 px margin
  const TilePlan plan = plan_tiles(4096, 4096, 512, options);
  // 16 px at 1/8 scale = 128 image px, plus the margin on both sides.
  EXPECT_EQ(plan.overlap, 132);
  EXPECT_EQ(plan.columns(), 5);
  EXPECT_EQ(plan.rows(), 5);
  EXPECT_EQ(plan.tile_width % 32, 0);
  EXPECT_LE(plan.tile_width, options.tile_size);
  ASSERT_EQ(plan.tiles.size(), 25U);
  EXPECT_EQ(plan.tiles.front().x, 0);
  EXPECT_EQ(plan.tiles.back().x + plan.tiles.back().width, 4096);
  EXPECT_EQ(plan.tiles.back().y + plan.tiles.back().height, 4096);
  for (int c = 1; c < plan.columns(); ++c) {
    const int shared = plan.column_starts[static_cast<std::size_t>(c - 1)] + plan.tile_width -
                       plan.column_starts[static_cast<std::size_t>(c)];
    EXPECT_GE(shared, plan.overlap);
  }
  TilingOptions fixed = options;
  fixed.overlap = 40;
  EXPECT_EQ(plan_tiles(4096, 4096, 512, fixed).overlap, 40);
}

TEST(TilePlan, AxisCoversTheLengthWithTheOverlapAtEverySize) {
  for (int length = 1; length < 3000; length += 7) {
    for (const int tile : {64, 100, 512, 1024}) {
      for (const int overlap : {0, 13, tile / 2 - 1}) {
        int side = 0;
        const auto starts = plan_axis(length, tile, overlap, side);
        ASSERT_FALSE(starts.empty());
        ASSERT_LE(side, std::max(tile, 0));
        ASSERT_LE(side, length);
        ASSERT_EQ(starts.front(), 0);
        ASSERT_EQ(starts.back() + side, length) << length << " " << tile << " " << overlap;
        for (std::size_t i = 1; i < starts.size(); ++i) {
          ASSERT_GT(starts[i], starts[i - 1]);
          ASSERT_GE(starts[i - 1] + side - starts[i], overlap) << length << " " << tile << " " << overlap;
        }
      }
    }
  }
}

// Every logo up to the overlap (minus the margins) lies clear of the inner edges of some tile.
TEST(TilePlan, EverySmallLogoFitsInsideSomeTile) {
  std::mt19937 rng(3);
  const TilePlan plan = plan_tiles(3000, 2000, 512, TilingOptions{});
  ASSERT_FALSE(plan.tiles.empty());
  const double largest = plan.overlap - 2 * plan.edge_margin - 1;
  std::uniform_real_distribution<double> side(1, largest);
  for (int trial = 0; trial < 2000; ++trial) {
    const double w = side(rng);
    const double h = side(rng);
    const double x = std::uniform_real_distribution<double>(0, plan.image_width - w)(rng);
    const double y = std::uniform_real_distribution<double>(0, plan.image_height - h)(rng);
    const bool inside = std::any_of(plan.tiles.begin(), plan.tiles.end(), [&](const TileRect& t) {
      const double m = plan.edge_margin;
      return (t.x == 0 || x > t.x + m) && (t.y == 0 || y > t.y + m) &&
             (t.x + t.width == plan.image_width || x + w < t.x + t.width - m) &&
             (t.y + t.height == plan.image_height || y + h < t.y + t.height - m);
    });
    ASSERT_TRUE(inside) << x << "," << y << " " << w << "x" << h;
  }
}

// What a detector would report for `logo` seen through `tile`: the visible part, or nothing.
std::optional<Detection> seen_through(const TileRect& tile, const Detection& logo) {
  Detection d = logo;
  d.x0 = std::max<double>(d.x0, tile.x);
  d.y0 = std::max<double>(d.y0, tile.y);
  d.x1 = std::min<double>(d.x1, tile.x + tile.width);
  d.y1 = std::min<double>(d.y1, tile.y + tile.height);
  if (d.x1 - d.x0 < 3 || d.y1 - d.y0 < 3) return std::nullopt;
  return d;
}

TEST(TileMerge, ALogoCutBySeamsEndsUpAsOneBox) {
  const TilePlan plan = plan_tiles(2048, 2048, 512, TilingOptions{});
  ASSERT_GE(plan.columns(), 2);
  // A small logo right on the seam between the first two columns and rows.
  const double seam_x = plan.column_starts[1] + 10;
  const double seam_y = plan.row_starts[1] + 5;
  const Detection logo{seam_x - 20, seam_y - 25, seam_x + 30, seam_y + 20, 0, 0.9F};
  std::vector<std::vector<Detection>> per_tile(plan.tiles.size());
  for (std::size_t i = 0; i < plan.tiles.size(); ++i) {
    if (auto d = seen_through(plan.tiles[i], logo)) per_tile[i].push_back(*d);
  }
  std::size_t views = 0;
  for (const auto& tile : per_tile) views += tile.size();
  EXPECT_GE(views, 4U);
  const auto merged = merge_tiled_detections(plan, {}, per_tile, NmsOptions{});
  ASSERT_EQ(merged.size(), 1U);
  EXPECT_DOUBLE_EQ(merged[0].x0, logo.x0);
  EXPECT_DOUBLE_EQ(merged[0].x1, logo.x1);
  EXPECT_DOUBLE_EQ(merged[0].y0, logo.y0);
  EXPECT_DOUBLE_EQ(merged[0].y1, logo.y1);
}

TEST(TileMerge, ABigLogoCutBySeamsIsTheWholePassBoxWithTheBestScore) {
  const TilePlan plan = plan_tiles(2048, 2048, 512, TilingOptions{});
  const double seam_x = plan.column_starts[1] + 10;
  const Detection logo{seam_x - 300, 100, seam_x + 300, 400, 1, 0.6F};  // wider than any overlap
  std::vector<std::vector<Detection>> per_tile(plan.tiles.size());
  for (std::size_t i = 0; i < plan.tiles.size(); ++i) {
    if (auto d = seen_through(plan.tiles[i], logo)) {
      d->score = 0.8F;
      per_tile[i].push_back(*d);
    }
  }
  // Without the whole pass's box the cut views stay (better than nothing) …
  EXPECT_GE(merge_tiled_detections(plan, {}, per_tile, NmsOptions{}).size(), 2U);
  // … with it, one box: the whole logo, as confident as the most confident view.
  const auto merged = merge_tiled_detections(plan, {logo}, per_tile, NmsOptions{});
  ASSERT_EQ(merged.size(), 1U);
  EXPECT_DOUBLE_EQ(merged[0].x0, logo.x0);
  EXPECT_DOUBLE_EQ(merged[0].x1, logo.x1);
  EXPECT_FLOAT_EQ(merged[0].score, 0.8F);
}

void expect_same(const std::vector<Detection>& fast, const std::vector<Detection>& reference, int trial) {
  ASSERT_EQ(fast.size(), reference.size()) << "trial " << trial;
  for (std::size_t i = 0; i < fast.size(); ++i) {
    EXPECT_EQ(fast[i].x0, reference[i].x0) << "trial " << trial;
    EXPECT_EQ(fast[i].y0, reference[i].y0);
    EXPECT_EQ(fast[i].x1, reference[i].x1);
    EXPECT_EQ(fast[i].y1, reference[i].y1);
    EXPECT_EQ(fast[i].label, reference[i].label);
    EXPECT_EQ(fast[i].score, reference[i].score);
  }
}

TEST(TileMerge, MatchesTheReferenceOnRandomInputs) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> size(300, 5000);
  std::uniform_int_distribution<int> label(0, 2);
  std::uniform_int_distribution<int> score_step(1, 20);  // coarse scores → ties
  std::uniform_real_distribution<double> unit(0, 1);
  int tiled_trials = 0;
  for (int trial = 0; trial < 300; ++trial) {
    TilingOptions options;
    options.mode = trial % 5 == 0 ? TileMode::kOn : TileMode::kAuto;
    options.tile_size = std::vector<int>{256, 512, 1024}[static_cast<std::size_t>(trial % 3)];
    if (trial % 4 == 1) options.overlap = std::uniform_int_distribution<int>(0, 120)(rng);
    const int width = size(rng);
    const int height = size(rng);
    const TilePlan plan = plan_tiles(width, height, 512, options);
    if (!plan.tiles.empty()) ++tiled_trials;
    // Logos of every size; each seen by the whole pass (sometimes) and through every tile it
    // touches, with jittered boxes and scores, plus false positives.
    std::vector<Detection> whole;
    std::vector<std::vector<Detection>> per_tile(plan.tiles.size());
    const int logos = 1 + trial % 25;
    for (int k = 0; k < logos; ++k) {
      double w = 4 + unit(rng) * (trial % 2 == 0 ? plan.overlap + 40 : width / 3.0);
      double h = 4 + unit(rng) * (trial % 2 == 0 ? plan.overlap + 40 : height / 3.0);
      double x = unit(rng) * std::max(1.0, width - w);
      double y = unit(rng) * std::max(1.0, height - h);
      if (trial % 3 == 2) {  // whole pixels: boxes land exactly on tile edges and margins
        w = std::round(w);
        h = std::round(h);
        x = std::round(x);
        y = std::round(y);
      }
      const Detection logo{x,
                           y,
                           std::min<double>(width, x + w),
                           std::min<double>(height, y + h),
                           label(rng),
                           static_cast<float>(score_step(rng)) / 20.0F};
      if (unit(rng) < 0.6) {
        Detection d = logo;
        d.x0 = std::max(0.0, d.x0 - unit(rng) * 5);
        whole.push_back(d);
      }
      for (std::size_t i = 0; i < plan.tiles.size(); ++i) {
        if (auto d = seen_through(plan.tiles[i], logo)) {
          d->score = static_cast<float>(score_step(rng)) / 20.0F;
          if (unit(rng) < 0.3) d->x1 = std::min<double>(d->x1 + 2, plan.tiles[i].x + plan.tiles[i].width);
          per_tile[i].push_back(*d);
        }
      }
    }
    NmsOptions nms;
    nms.class_agnostic = trial % 3 == 0;
    nms.containment_threshold = trial % 7 == 0 ? 1.1 : 0.8;
    nms.max_detections = trial % 11 == 0 ? 5 : 300;
    expect_same(merge_tiled_detections(plan, whole, per_tile, nms),
                merge_tiled_reference(plan, whole, per_tile, nms), trial);
  }
  EXPECT_GT(tiled_trials, 200);
}

TEST(TileMode, ParsesNames) {
  EXPECT_EQ(parse_tile_mode("auto").value(), TileMode::kAuto);
  EXPECT_EQ(parse_tile_mode("off").value(), TileMode::kOff);
  EXPECT_EQ(parse_tile_mode("on").value(), TileMode::kOn);
  const auto bad = parse_tile_mode("sometimes");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("sometimes"), std::string::npos);
}

}  // namespace
}  // namespace logoscope::infer
