#include "model/fcos_targets.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace logoscope::model {

GridLayout GridLayout::make(int width, int height, const std::vector<int>& strides) {
  GridLayout layout;
  layout.strides = strides;
  for (const int stride : strides) {
    layout.offsets.push_back(layout.total);
    layout.widths.push_back(width / stride);
    layout.heights.push_back(height / stride);
    layout.total += static_cast<std::int64_t>(width / stride) * (height / stride);
  }
  return layout;
}

float centerness(float l, float t, float r, float b) {
  const float lr = std::min(l, r) / std::max(std::max(l, r), 1e-6F);
  const float tb = std::min(t, b) / std::max(std::max(t, b), 1e-6F);
  return std::sqrt(std::max(0.0F, lr * tb));
}

ImageTargets assign_targets(const std::vector<Box>& boxes, const GridLayout& layout, double center_radius) {
  ImageTargets targets;
  const auto total = static_cast<std::size_t>(layout.total);
  targets.labels.assign(total, kBackground);
  targets.boxes.assign(total * 4, 0.0F);
  targets.centerness.assign(total, 0.0F);
  std::vector<double> best_area(total, std::numeric_limits<double>::infinity());
  const std::size_t levels = layout.strides.size();
  std::vector<bool> box_assigned(boxes.size(), false);

  for (std::size_t level = 0; level < levels; ++level) {
    const double stride = layout.strides[level];
    const double range_lo = level == 0 ? 0.0 : 64.0 * std::pow(2.0, static_cast<double>(level) - 1);
    const double range_hi = level + 1 == levels ? std::numeric_limits<double>::infinity()
                                                : 64.0 * std::pow(2.0, static_cast<double>(level));
    for (std::size_t box_idx = 0; box_idx < boxes.size(); ++box_idx) {
      const Box& box = boxes[box_idx];
      if (box.area() <= 0) continue;
      const bool ignore = box.ignore || box.difficult;
      const double cx = (box.x0 + box.x1) / 2;
      const double cy = (box.y0 + box.y1) / 2;
      const double radius = center_radius * stride;
      const int j0 = std::max(0, static_cast<int>(std::floor(box.x0 / stride)));
      const int j1 = std::min(layout.widths[level] - 1, static_cast<int>(std::floor(box.x1 / stride)));
      const int i0 = std::max(0, static_cast<int>(std::floor(box.y0 / stride)));
      const int i1 = std::min(layout.heights[level] - 1, static_cast<int>(std::floor(box.y1 / stride)));
      for (int i = i0; i <= i1; ++i) {
        for (int j = j0; j <= j1; ++j) {
          const double px = (j + 0.5) * stride;
          const double py = (i + 0.5) * stride;
          const double l = px - box.x0;
          const double t = py - box.y0;
          const double r = box.x1 - px;
          const double b = box.y1 - py;
          if (std::min({l, t, r, b}) <= 0) continue;
          const auto flat = static_cast<std::size_t>(layout.offsets[level] + static_cast<std::int64_t>(i) * layout.widths[level] + j);
          if (ignore) {
            if (targets.labels[flat] == kBackground) targets.labels[flat] = kIgnored;
            continue;
          }
          if (std::abs(px - cx) > radius || std::abs(py - cy) > radius) continue;
          const double extent = std::max({l, t, r, b});
          if (extent < range_lo || extent > range_hi) continue;
          if (box.area() >= best_area[flat]) continue;
          best_area[flat] = box.area();
          targets.labels[flat] = box.label;
          targets.boxes[flat * 4 + 0] = static_cast<float>(l);
          targets.boxes[flat * 4 + 1] = static_cast<float>(t);
          targets.boxes[flat * 4 + 2] = static_cast<float>(r);
          targets.boxes[flat * 4 + 3] = static_cast<float>(b);
          targets.centerness[flat] = centerness(static_cast<float>(l), static_cast<float>(t), static_cast<float>(r), static_cast<float>(b));
          box_assigned[box_idx] = true;
        }
      }
    }
  }

  // Tiny boxes: the stride-8 location nearest the centre.
  for (std::size_t box_idx = 0; box_idx < boxes.size(); ++box_idx) {
    const Box& box = boxes[box_idx];
    if (box_assigned[box_idx] || box.area() <= 0 || box.ignore || box.difficult || levels == 0) continue;
    const double stride = layout.strides[0];
    const int j = std::clamp(static_cast<int>(std::floor((box.x0 + box.x1) / 2 / stride)), 0, layout.widths[0] - 1);
    const int i = std::clamp(static_cast<int>(std::floor((box.y0 + box.y1) / 2 / stride)), 0, layout.heights[0] - 1);
    const auto flat = static_cast<std::size_t>(static_cast<std::int64_t>(i) * layout.widths[0] + j);
    if (targets.labels[flat] >= 0 && best_area[flat] <= box.area()) continue;
    const double px = (j + 0.5) * stride;
    const double py = (i + 0.5) * stride;
    // Distances may be negative when the box does not contain the centre; keep them positive.
    const float l = static_cast<float>(std::max(px - box.x0, 0.5));
    const float t = static_cast<float>(std::max(py - box.y0, 0.5));
    const float r = static_cast<float>(std::max(box.x1 - px, 0.5));
    const float b = static_cast<float>(std::max(box.y1 - py, 0.5));
    best_area[flat] = box.area();
    targets.labels[flat] = box.label;
    targets.boxes[flat * 4 + 0] = l;
    targets.boxes[flat * 4 + 1] = t;
    targets.boxes[flat * 4 + 2] = r;
    targets.boxes[flat * 4 + 3] = b;
    targets.centerness[flat] = std::max(0.3F, centerness(l, t, r, b));
  }
  targets.positives = static_cast<int>(std::count_if(targets.labels.begin(), targets.labels.end(),
                                                     [](std::int64_t v) { return v >= 0; }));
  return targets;
}

}  // namespace logoscope::model
