#include "infer/tiling.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace logoscope::infer {

Result<TileMode> parse_tile_mode(const std::string& text) {
  if (text == "auto") return TileMode::kAuto;
  if (text == "off") return TileMode::kOff;
  if (text == "on") return TileMode::kOn;
  return Error{ErrorCode::kInvalidArgument, fmt::format("tile mode \"{}\": use auto, off or on", text)};
}

const char* tile_mode_name(TileMode mode) {
  switch (mode) {
    case TileMode::kAuto:
      return "auto";
    case TileMode::kOff:
      return "off";
    case TileMode::kOn:
      return "on";
  }
  return "auto";
}

std::vector<int> plan_axis(int length, int tile, int overlap, int& side) {
  LOGOSCOPE_CHECK(length > 0 && overlap >= 0 && overlap < tile);
  if (length <= tile) {
    side = length;
    return {0};
  }
  const int step = tile - overlap;
  const int count = std::max(2, (length - overlap + step - 1) / step);
  // The smallest side that still covers the axis with `count` tiles, as a multiple of 32 (the
  // network's padding granularity, so no pixel of the padded canvas is wasted).
  const int needed = (length + (count - 1) * overlap + count - 1) / count;
  side = std::min(tile, (needed + 31) / 32 * 32);
  if (side >= length) {
    side = length;
    return {0};
  }
  std::vector<int> starts(static_cast<std::size_t>(count));
  const long long span = length - side;
  for (int i = 0; i < count; ++i) {
    starts[static_cast<std::size_t>(i)] = static_cast<int>((i * span + (count - 1) / 2) / (count - 1));
  }
  return starts;
}

TilePlan plan_tiles(int width, int height, int whole_long_side, const TilingOptions& options) {
  LOGOSCOPE_CHECK(width > 0 && height > 0 && whole_long_side > 0 && options.tile_size >= 64);
  TilePlan plan;
  plan.image_width = width;
  plan.image_height = height;
  plan.whole_long_side = whole_long_side;
  plan.edge_margin = options.edge_margin;
  const int long_side = std::max(width, height);
  bool tile = false;
  switch (options.mode) {
    case TileMode::kOff:
      break;
    case TileMode::kOn:
      tile = long_side > whole_long_side;
      break;
    case TileMode::kAuto:
      tile = long_side > options.auto_factor * whole_long_side;
      break;
  }
  if (!tile) return plan;
  const double reliable = options.min_reliable_side > 0 ? options.min_reliable_side : 16.0;
  const double small_logo = reliable * long_side / whole_long_side;
  int overlap = options.overlap >= 0 ? options.overlap
                                     : static_cast<int>(std::ceil(small_logo + 2 * options.edge_margin));
  overlap = std::min(overlap, options.tile_size / 2);
  plan.overlap = overlap;
  plan.column_starts = plan_axis(width, options.tile_size, overlap, plan.tile_width);
  plan.row_starts = plan_axis(height, options.tile_size, overlap, plan.tile_height);
  for (const int y : plan.row_starts) {
    for (const int x : plan.column_starts) plan.tiles.push_back({x, y, plan.tile_width, plan.tile_height});
  }
  return plan;
}

namespace {

struct Region {
  double x0, y0, x1, y1;
};

struct TouchedEdges {
  bool left = false;
  bool top = false;
  bool right = false;
  bool bottom = false;
  [[nodiscard]] bool any() const { return left || top || right || bottom; }
};

TouchedEdges touched_inner_edges(const TilePlan& plan, const TileRect& tile, const Detection& det) {
  const double m = plan.edge_margin;
  TouchedEdges e;
  e.left = tile.x > 0 && det.x0 <= tile.x + m;
  e.top = tile.y > 0 && det.y0 <= tile.y + m;
  e.right = tile.x + tile.width < plan.image_width && det.x1 >= tile.x + tile.width - m;
  e.bottom = tile.y + tile.height < plan.image_height && det.y1 >= tile.y + tile.height - m;
  return e;
}

// Where the rest of a logo of at most plan.overlap pixels cut at the touched edges could lie.
Region seam_region(const TilePlan& plan, const Detection& det, const TouchedEdges& e) {
  const double reach_x = std::max(0.0, plan.overlap - (det.x1 - det.x0));
  const double reach_y = std::max(0.0, plan.overlap - (det.y1 - det.y0));
  return {e.left ? std::max(0.0, det.x0 - reach_x) : det.x0, e.top ? std::max(0.0, det.y0 - reach_y) : det.y0,
          e.right ? std::min<double>(plan.image_width, det.x1 + reach_x) : det.x1,
          e.bottom ? std::min<double>(plan.image_height, det.y1 + reach_y) : det.y1};
}

// Per axis: does the tile span [start, start + side) hold [lo, hi] clear of its inner edges?
bool holds_low(int start, double lo, double margin) {
  return start == 0 || lo > start + margin;
}
bool holds_high(int start, int side, int length, double hi, double margin) {
  return start + side >= length || hi < start + side - margin;
}

double containment_in(const Detection& inner, const Detection& outer) {
  const double iw = std::min(inner.x1, outer.x1) - std::max(inner.x0, outer.x0);
  const double ih = std::min(inner.y1, outer.y1) - std::max(inner.y0, outer.y0);
  const double area = (inner.x1 - inner.x0) * (inner.y1 - inner.y0);
  if (iw <= 0 || ih <= 0 || area <= 0) return 0;
  return iw * ih / area;
}

// [first, last) of the starts whose tiles hold [lo, hi] along one axis: holds_low is true for a
// prefix of the ascending starts and holds_high for a suffix.
std::pair<std::size_t, std::size_t> holding_range(const std::vector<int>& starts, int side, int length,
                                                  double lo, double hi, double margin) {
  const auto low_end = std::partition_point(starts.begin(), starts.end(),
                                            [&](int start) { return holds_low(start, lo, margin); });
  const auto high_begin = std::partition_point(
      starts.begin(), starts.end(), [&](int start) { return !holds_high(start, side, length, hi, margin); });
  return {static_cast<std::size_t>(high_begin - starts.begin()),
          static_cast<std::size_t>(low_end - starts.begin())};
}

}  // namespace

std::vector<Detection> merge_tiled_detections(const TilePlan& plan, std::vector<Detection> whole,
                                              const std::vector<std::vector<Detection>>& per_tile,
                                              const NmsOptions& nms) {
  LOGOSCOPE_CHECK(per_tile.size() == plan.tiles.size());
  std::vector<std::vector<std::size_t>> whole_by_label;
  for (std::size_t idx = 0; idx < whole.size(); ++idx) {
    const auto bucket = nms.class_agnostic ? 0 : static_cast<std::size_t>(std::max(whole[idx].label, 0));
    if (bucket >= whole_by_label.size()) whole_by_label.resize(bucket + 1);
    whole_by_label[bucket].push_back(idx);
  }
  std::vector<Detection> kept;
  const double m = plan.edge_margin;
  for (std::size_t tile_idx = 0; tile_idx < plan.tiles.size(); ++tile_idx) {
    const TileRect& tile = plan.tiles[tile_idx];
    for (const Detection& det : per_tile[tile_idx]) {
      const TouchedEdges edges = touched_inner_edges(plan, tile, det);
      if (!edges.any()) {
        kept.push_back(det);
        continue;
      }
      const Region r = seam_region(plan, det, edges);
      const auto [col_lo, col_hi] =
          holding_range(plan.column_starts, plan.tile_width, plan.image_width, r.x0, r.x1, m);
      const auto [row_lo, row_hi] =
          holding_range(plan.row_starts, plan.tile_height, plan.image_height, r.y0, r.y1, m);
      if (col_lo < col_hi && row_lo < row_hi) continue;  // another tile saw the whole logo
      const auto bucket = nms.class_agnostic ? 0 : static_cast<std::size_t>(std::max(det.label, 0));
      std::size_t best = whole.size();
      double best_containment = 0;
      if (bucket < whole_by_label.size()) {
        for (const std::size_t idx : whole_by_label[bucket]) {
          const double c = containment_in(det, whole[idx]);
          if (c >= nms.containment_threshold && c > best_containment) {
            best = idx;
            best_containment = c;
          }
        }
      }
      if (best < whole.size()) {
        whole[best].score = std::max(whole[best].score, det.score);
        continue;
      }
      kept.push_back(det);
    }
  }
  whole.insert(whole.end(), kept.begin(), kept.end());
  return non_max_suppression(std::move(whole), nms);
}

std::vector<Detection> merge_tiled_reference(const TilePlan& plan, std::vector<Detection> whole,
                                             const std::vector<std::vector<Detection>>& per_tile,
                                             const NmsOptions& nms) {
  LOGOSCOPE_CHECK(per_tile.size() == plan.tiles.size());
  const double m = plan.edge_margin;
  const double w = plan.image_width;
  const double h = plan.image_height;
  std::vector<Detection> candidates;
  for (std::size_t i = 0; i < plan.tiles.size(); ++i) {
    const TileRect& t = plan.tiles[i];
    const bool inner_left = t.x > 0;
    const bool inner_top = t.y > 0;
    const bool inner_right = t.x + t.width < plan.image_width;
    const bool inner_bottom = t.y + t.height < plan.image_height;
    for (const Detection& d : per_tile[i]) {
      const bool cut_left = inner_left && d.x0 <= t.x + m;
      const bool cut_top = inner_top && d.y0 <= t.y + m;
      const bool cut_right = inner_right && d.x1 >= t.x + t.width - m;
      const bool cut_bottom = inner_bottom && d.y1 >= t.y + t.height - m;
      if (!cut_left && !cut_top && !cut_right && !cut_bottom) {
        candidates.push_back(d);
        continue;
      }
      const double reach_x = std::max(0.0, plan.overlap - (d.x1 - d.x0));
      const double reach_y = std::max(0.0, plan.overlap - (d.y1 - d.y0));
      const double rx0 = cut_left ? std::max(0.0, d.x0 - reach_x) : d.x0;
      const double ry0 = cut_top ? std::max(0.0, d.y0 - reach_y) : d.y0;
      const double rx1 = cut_right ? std::min(w, d.x1 + reach_x) : d.x1;
      const double ry1 = cut_bottom ? std::min(h, d.y1 + reach_y) : d.y1;
      bool seen_whole = false;
      for (std::size_t j = 0; j < plan.tiles.size() && !seen_whole; ++j) {
        if (j == i) continue;
        const TileRect& o = plan.tiles[j];
        const bool left_ok = o.x == 0 || rx0 > o.x + m;
        const bool top_ok = o.y == 0 || ry0 > o.y + m;
        const bool right_ok = o.x + o.width >= plan.image_width || rx1 < o.x + o.width - m;
        const bool bottom_ok = o.y + o.height >= plan.image_height || ry1 < o.y + o.height - m;
        seen_whole = left_ok && top_ok && right_ok && bottom_ok;
      }
      if (seen_whole) continue;
      const double area = (d.x1 - d.x0) * (d.y1 - d.y0);
      int best = -1;
      double best_containment = 0;
      for (std::size_t k = 0; k < whole.size(); ++k) {
        if (!nms.class_agnostic && whole[k].label != d.label) continue;
        const double iw = std::min(d.x1, whole[k].x1) - std::max(d.x0, whole[k].x0);
        const double ih = std::min(d.y1, whole[k].y1) - std::max(d.y0, whole[k].y0);
        const double c = iw > 0 && ih > 0 && area > 0 ? iw * ih / area : 0.0;
        if (c >= nms.containment_threshold && c > best_containment) {
          best = static_cast<int>(k);
          best_containment = c;
        }
      }
      if (best >= 0) {
        auto& taker = whole[static_cast<std::size_t>(best)];
        taker.score = std::max(taker.score, d.score);
        continue;
      }
      candidates.push_back(d);
    }
  }
  std::vector<Detection> all = whole;
  all.insert(all.end(), candidates.begin(), candidates.end());
  return nms_reference(all, nms);
}

}  // namespace logoscope::infer
