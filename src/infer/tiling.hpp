// infer/tiling.hpp — find small logos in large images: plan overlapping tiles, merge their detections.
//
// A detector sees an image resized so its long side is the model's infer_long_side (the "whole
// pass"). On a 4096×4096 image that is a 1/8 reduction, and a 100 px logo becomes 12 px: below
// what the network learned to find. Tiling adds passes over tiles of the image at its native
// scale (1 image pixel = 1 network pixel), where that logo stays 100 px.
//
// The rule (docs/detect.md, "Tiling"):
//   * The whole pass is trusted for logos that are at least `min_reliable_side` network pixels
//     there (1.6× the smallest box side the model was trained with: 16 px by default). In image
//     pixels that is  small = min_reliable_side · long_side / whole_long_side.
//   * Tiles overlap by at least `small` + 2·edge_margin pixels, so every logo the whole pass may
//     miss lies entirely inside some tile, clear of that tile's inner edges.
//   * kAuto tiles when the long side exceeds auto_factor × whole_long_side (1.5×: logos shrink by
//     more than a third); kOn whenever the image is larger than whole_long_side; kOff never.
//   * Tiles have one size per plan (so they can be batched) of at most tile_size per side; the
//     planner uses as many tiles per axis as the overlap requires and shrinks the tiles to the
//     smallest multiple of 32 that still covers the axis, then spreads them evenly with the first
//     and last flush with the image edges.
//
// Merging (merge_tiled_detections):
//   1. Tile detections are in image pixels already (offset by the tile origin).
//   2. Seams: a tile detection touching an inner edge of its tile (within edge_margin; image
//      borders are not inner edges) shows a logo that may be cut. It is dropped when another tile
//      contains it, together with the `overlap − extent` pixels beyond the touched edge (where
//      the rest of a logo up to `overlap` px would lie), clear of that tile's inner edges: that
//      tile saw the whole logo. Otherwise, when a whole-pass detection of the same label (any
//      label when class-agnostic) contains it (intersection / its area ≥ the containment
//      threshold), the whole-pass box takes over with the higher of the two scores and the cut
//      box is dropped. Otherwise it is kept (a cut logo is better than none).
//   3. Non-maximum suppression with containment (nms.hpp) over the whole-pass detections
//      followed by the kept tile detections, in that order.
// `merge_tiled_reference` is the naive version of the same contract that the fast one is tested
// against.
//
// No libtorch here. Thread safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "infer/nms.hpp"
#include "logoscope/detection.hpp"
#include "logoscope/result.hpp"

namespace logoscope::infer {

enum class TileMode { kAuto, kOff, kOn };

/// "auto" | "off" | "on". Error kInvalidArgument naming the text.
Result<TileMode> parse_tile_mode(const std::string& text);
const char* tile_mode_name(TileMode mode);

/// Default largest tile side (image pixels). Chosen by measurement (BENCHMARKS.md, "Detection
/// speed"): larger tiles waste less on overlaps, smaller ones bound memory.
inline constexpr int kDefaultTileSize = 1024;

struct TilingOptions {
  TileMode mode = TileMode::kAuto;
  int tile_size = kDefaultTileSize;  ///< largest tile side, image pixels (≥ 64)
  int overlap = -1;                  ///< pixels; negative = derived (see above)
  double auto_factor = 1.5;          ///< kAuto tiles when long side > auto_factor × whole_long_side
  double min_reliable_side = 16;     ///< network pixels: smaller logos need tiles (≤ 0: 16)
  double edge_margin = 2;            ///< pixels: a box this close to an inner tile edge touches it
};

/// A rectangle of the image, in image pixels: [x, x + width) × [y, y + height).
struct TileRect {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
};

struct TilePlan {
  int image_width = 0;
  int image_height = 0;
  int whole_long_side = 0;         ///< long side of the whole pass (network pixels)
  std::vector<TileRect> tiles;     ///< row-major: tiles[row * columns + column]; empty = no tiling
  std::vector<int> column_starts;  ///< x of each column, ascending
  std::vector<int> row_starts;     ///< y of each row, ascending
  int tile_width = 0;              ///< every tile's size
  int tile_height = 0;
  int overlap = 0;  ///< the overlap the plan guarantees (pixels)
  double edge_margin = 2;

  [[nodiscard]] int columns() const { return static_cast<int>(column_starts.size()); }
  [[nodiscard]] int rows() const { return static_cast<int>(row_starts.size()); }
};

/// Plans the passes for an image of width × height (> 0) whose whole pass has long side
/// whole_long_side (> 0). Requires options.tile_size ≥ 64.
TilePlan plan_tiles(int width, int height, int whole_long_side, const TilingOptions& options);

/// Tile starts along one axis: the fewest tiles of side ≤ tile that overlap by ≥ overlap and
/// cover [0, length), spread evenly, first at 0 and last at length − side. `side` receives the
/// tile side used (length itself when length ≤ tile). Requires 0 ≤ overlap < tile.
std::vector<int> plan_axis(int length, int tile, int overlap, int& side);

/// The merge described above. `whole`: detections of the whole pass; `per_tile[i]`: those of
/// plan.tiles[i]; all in image pixels. Returns what non_max_suppression returns.
std::vector<Detection> merge_tiled_detections(const TilePlan& plan, std::vector<Detection> whole,
                                              const std::vector<std::vector<Detection>>& per_tile,
                                              const NmsOptions& nms);

/// Naive reference implementation with the same contract (brute force over every tile and every
/// whole-pass box, then nms_reference).
std::vector<Detection> merge_tiled_reference(const TilePlan& plan, std::vector<Detection> whole,
                                             const std::vector<std::vector<Detection>>& per_tile,
                                             const NmsOptions& nms);

}  // namespace logoscope::infer
