#include "infer/nms.hpp"

#include <algorithm>
#include <numeric>

namespace logoscope::infer {

namespace {

struct Overlap {
  double iou;
  double containment;  // intersection / smaller area
};

Overlap overlap(const Detection& a, const Detection& b) {
  const double iw = std::min(a.x1, b.x1) - std::max(a.x0, b.x0);
  const double ih = std::min(a.y1, b.y1) - std::max(a.y0, b.y0);
  if (iw <= 0 || ih <= 0) return {0, 0};
  const double inter = iw * ih;
  const double area_a = (a.x1 - a.x0) * (a.y1 - a.y0);
  const double area_b = (b.x1 - b.x0) * (b.y1 - b.y0);
  const double smaller = std::min(area_a, area_b);
  return {inter / (area_a + area_b - inter), smaller > 0 ? inter / smaller : 0.0};
}

bool suppresses(const Detection& kept, const Detection& candidate, const NmsOptions& options) {
  if (!options.class_agnostic && kept.label != candidate.label) return false;
  const Overlap o = overlap(kept, candidate);
  return o.iou > options.iou_threshold || o.containment > options.containment_threshold;
}

}  // namespace

double detection_iou(const Detection& a, const Detection& b) {
  return overlap(a, b).iou;
}

std::vector<Detection> non_max_suppression(std::vector<Detection> detections, const NmsOptions& options) {
  std::stable_sort(detections.begin(), detections.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  std::vector<Detection> kept;
  kept.reserve(std::min(detections.size(), options.max_detections));
  // Kept boxes bucketed by label so that class-aware suppression compares like with like only.
  std::vector<std::vector<std::size_t>> kept_by_label;
  for (const auto& candidate : detections) {
    if (kept.size() >= options.max_detections) break;
    const std::size_t bucket = options.class_agnostic ? 0 : static_cast<std::size_t>(std::max(candidate.label, 0));
    if (bucket >= kept_by_label.size()) kept_by_label.resize(bucket + 1);
    bool drop = false;
    for (const std::size_t idx : kept_by_label[bucket]) {
      if (suppresses(kept[idx], candidate, options)) {
        drop = true;
        break;
      }
    }
    if (drop) continue;
    kept_by_label[bucket].push_back(kept.size());
    kept.push_back(candidate);
  }
  return kept;
}

std::vector<Detection> nms_reference(const std::vector<Detection>& detections, const NmsOptions& options) {
  std::vector<std::size_t> order(detections.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return detections[a].score > detections[b].score; });
  std::vector<bool> removed(detections.size(), false);
  std::vector<Detection> kept;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (removed[order[i]]) continue;
    if (kept.size() >= options.max_detections) break;
    kept.push_back(detections[order[i]]);
    for (std::size_t j = i + 1; j < order.size(); ++j) {
      if (!removed[order[j]] && suppresses(detections[order[i]], detections[order[j]], options)) removed[order[j]] = true;
    }
  }
  return kept;
}

}  // namespace logoscope::infer
