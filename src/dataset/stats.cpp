#include "dataset/stats.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <fmt/format.h>

#include "core/text.hpp"

namespace logoscope::dataset {

namespace {
constexpr double kBinEdges[] = {8, 16, 32, 64, 128, 256, 512};
constexpr int kBinCount = static_cast<int>(std::size(kBinEdges)) + 1;

std::vector<std::string> bin_names() {
  std::vector<std::string> names;
  names.push_back(fmt::format("<{}", kBinEdges[0]));
  for (int i = 1; i < kBinCount - 1; ++i) names.push_back(fmt::format("{}-{}", kBinEdges[i - 1], kBinEdges[i]));
  names.push_back(fmt::format(">={}", kBinEdges[kBinCount - 2]));
  return names;
}
}  // namespace

int box_size_bin(double side) {
  for (int i = 0; i < kBinCount - 1; ++i) {
    if (side < kBinEdges[i]) return i;
  }
  return kBinCount - 1;
}

DatasetSummary summarize_dataset(const Dataset& dataset) {
  DatasetSummary summary;
  summary.labels = dataset.labels;
  summary.boxes_per_label.assign(dataset.labels.size(), 0);
  summary.images_per_label.assign(dataset.labels.size(), 0);
  summary.box_sizes.bin_names = bin_names();
  summary.box_sizes.counts.assign(kBinCount, 0);
  std::vector<double> sides;
  for (const auto& sample : dataset.samples) {
    ++summary.images;
    if (sample.boxes.empty()) ++summary.images_without_boxes;
    std::vector<bool> seen(dataset.labels.size(), false);
    for (const auto& box : sample.boxes) {
      ++summary.boxes;
      if (box.ignore || box.difficult) ++summary.ignored_boxes;
      if (box.label >= 0 && static_cast<std::size_t>(box.label) < dataset.labels.size()) {
        ++summary.boxes_per_label[static_cast<std::size_t>(box.label)];
        seen[static_cast<std::size_t>(box.label)] = true;
      }
      const double side = std::sqrt(box.area());
      ++summary.box_sizes.counts[static_cast<std::size_t>(box_size_bin(side))];
      if (side > 0) sides.push_back(side);
    }
    for (std::size_t label = 0; label < seen.size(); ++label) {
      if (seen[label]) ++summary.images_per_label[label];
    }
  }
  if (!sides.empty()) {
    const auto middle = sides.begin() + static_cast<std::ptrdiff_t>(sides.size() / 2);
    std::nth_element(sides.begin(), middle, sides.end());
    summary.median_box_side = *middle;
  }
  return summary;
}

nlohmann::json summary_to_json(const DatasetSummary& summary) {
  nlohmann::json labels = nlohmann::json::array();
  for (std::size_t i = 0; i < summary.labels.size(); ++i) {
    labels.push_back({{"name", summary.labels[i]},
                      {"boxes", summary.boxes_per_label[i]},
                      {"images", summary.images_per_label[i]}});
  }
  nlohmann::json histogram = nlohmann::json::array();
  for (std::size_t i = 0; i < summary.box_sizes.counts.size(); ++i) {
    histogram.push_back({{"side_px", summary.box_sizes.bin_names[i]}, {"boxes", summary.box_sizes.counts[i]}});
  }
  return {{"images", summary.images},
          {"images_without_boxes", summary.images_without_boxes},
          {"boxes", summary.boxes},
          {"ignored_boxes", summary.ignored_boxes},
          {"labels", labels},
          {"box_size_histogram", histogram},
          {"median_box_side_px", summary.median_box_side}};
}

std::string format_summary(const DatasetSummary& summary) {
  std::ostringstream out;
  out << fmt::format("{} ({} without boxes), {}, {}\n", count_of(summary.images, "image"),
                     summary.images_without_boxes, count_of(summary.boxes, "box", "boxes"),
                     count_of(summary.labels.size(), "label"));
  std::size_t width = 5;
  for (const auto& label : summary.labels) width = std::max(width, label.size());
  out << fmt::format("  {:<{}}  {:>7}  {:>7}\n", "label", width, "images", "boxes");
  for (std::size_t i = 0; i < summary.labels.size(); ++i) {
    out << fmt::format("  {:<{}}  {:>7}  {:>7}\n", summary.labels[i], width,
                       summary.images_per_label[i], summary.boxes_per_label[i]);
  }
  out << "  box size (sqrt of area, px):\n";
  std::int64_t largest = 1;
  for (const auto count : summary.box_sizes.counts) largest = std::max(largest, count);
  for (std::size_t i = 0; i < summary.box_sizes.counts.size(); ++i) {
    const auto count = summary.box_sizes.counts[i];
    const auto bar = static_cast<std::size_t>(std::llround(30.0 * static_cast<double>(count) / static_cast<double>(largest)));
    out << fmt::format("    {:>8} {:>7} {}\n", summary.box_sizes.bin_names[i], count, std::string(bar, '#'));
  }
  if (summary.median_box_side > 0) out << fmt::format("  median box side: {:.0f} px\n", summary.median_box_side);
  return out.str();
}

}  // namespace logoscope::dataset
