// dataset/stats.hpp — counts that describe a dataset: per label, per box size.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "logoscope/dataset.hpp"

namespace logoscope::dataset {

/// Box sizes are binned by sqrt(area) in pixels: <8, 8–16, 16–32, …, 256–512, ≥512.
struct BoxSizeHistogram {
  std::vector<std::string> bin_names;
  std::vector<std::int64_t> counts;
};

struct DatasetSummary {
  std::int64_t images = 0;
  std::int64_t images_without_boxes = 0;
  std::int64_t boxes = 0;
  std::int64_t ignored_boxes = 0;  ///< ignore or difficult
  std::vector<std::string> labels;
  std::vector<std::int64_t> boxes_per_label;   ///< aligned with labels
  std::vector<std::int64_t> images_per_label;  ///< images with at least one box of the label
  BoxSizeHistogram box_sizes;
  double median_box_side = 0;  ///< median sqrt(area) in pixels (non-degenerate boxes)
};

/// Index of the histogram bin for a box of the given sqrt(area).
int box_size_bin(double side);

/// Counts everything in `dataset` (no file access).
DatasetSummary summarize_dataset(const Dataset& dataset);

nlohmann::json summary_to_json(const DatasetSummary& summary);

/// A fixed-width table: label, images, boxes; then the size histogram as a bar chart.
std::string format_summary(const DatasetSummary& summary);

}  // namespace logoscope::dataset
