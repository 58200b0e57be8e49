#include "api/custom_labels.hpp"

#include <algorithm>

namespace logoscope::api {

std::vector<Detection> filter_detections(const std::vector<Detection>& detections,
                                         const LabelFilter& filter) {
  std::vector<Detection> kept;
  for (const auto& det : detections) {
    const auto label = static_cast<std::size_t>(det.label);
    if (!filter.allowed.empty() && (label >= filter.allowed.size() || !filter.allowed[label])) continue;
    const float threshold = label < filter.min_confidence.size() ? filter.min_confidence[label] : 0.0F;
    if (det.score < threshold) continue;
    kept.push_back(det);
  }
  std::stable_sort(kept.begin(), kept.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  if (filter.max_results > 0 && kept.size() > filter.max_results) kept.resize(filter.max_results);
  return kept;
}

nlohmann::json custom_label_json(const Detection& detection, const std::string& name, int width, int height) {
  const double w = width > 0 ? width : 1;
  const double h = height > 0 ? height : 1;
  const Detection& d = detection;
  return {{"Name", name},
          {"Confidence", static_cast<double>(d.score) * 100.0},
          {"Geometry",
           {{"BoundingBox",
             {{"Width", (d.x1 - d.x0) / w},
              {"Height", (d.y1 - d.y0) / h},
              {"Left", d.x0 / w},
              {"Top", d.y0 / h}}}}},
          {"PixelBox", {{"x0", d.x0}, {"y0", d.y0}, {"x1", d.x1}, {"y1", d.y1}}}};
}

std::string label_name(int label, const std::vector<std::string>& label_names) {
  return label >= 0 && static_cast<std::size_t>(label) < label_names.size()
             ? label_names[static_cast<std::size_t>(label)]
             : std::to_string(label);
}

nlohmann::json to_custom_labels_json(const ImageDetections& image,
                                     const std::vector<std::string>& label_names) {
  nlohmann::json labels = nlohmann::json::array();
  for (const auto& det : image.detections) {
    labels.push_back(custom_label_json(det, label_name(det.label, label_names), image.width, image.height));
  }
  return {{"image", image.image}, {"width", image.width}, {"height", image.height}, {"CustomLabels", labels}};
}

namespace {

nlohmann::json bounding_box_json(const BoundingBox& box) {
  return {{"Width", box.width}, {"Height", box.height}, {"Left", box.left}, {"Top", box.top}};
}

}  // namespace

nlohmann::json to_custom_labels_json(const DetectResult& result, const std::string& image) {
  nlohmann::json labels = nlohmann::json::array();
  for (const auto& label : result.labels) {
    const auto& p = label.pixel_box;
    labels.push_back({{"Name", label.name},
                      {"Confidence", label.confidence},
                      {"Geometry", {{"BoundingBox", bounding_box_json(label.bounding_box)}}},
                      {"PixelBox", {{"x0", p.x0}, {"y0", p.y0}, {"x1", p.x1}, {"y1", p.y1}}}});
  }
  return {{"image", image}, {"width", result.width}, {"height", result.height}, {"CustomLabels", labels}};
}

nlohmann::json to_rekognition_response(const DetectResult& result) {
  nlohmann::json labels = nlohmann::json::array();
  for (const auto& label : result.labels) {
    labels.push_back({{"Name", label.name},
                      {"Confidence", label.confidence},
                      {"Geometry", {{"BoundingBox", bounding_box_json(label.bounding_box)}}}});
  }
  return {{"CustomLabels", labels}};
}

}  // namespace logoscope::api
