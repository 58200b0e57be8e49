// api/custom_labels.hpp — Amazon Rekognition DetectCustomLabels shapes.
//
// Response shape: {"CustomLabels": [{"Name", "Confidence" (0–100), "Geometry": {"BoundingBox":
// {"Width", "Height", "Left", "Top"}}}]} with box values as ratios of the image size. logoscope
// adds, per label, "PixelBox" {x0, y0, x1, y1} (pixels of the image as displayed) and per image
// "image", "width", "height".
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "logoscope/detect.hpp"
#include "logoscope/detection.hpp"

namespace logoscope::api {

struct LabelFilter {
  /// Per-label minimum confidence in [0, 1] (Rekognition's MinConfidence / 100, or each label's
  /// assumed threshold when the request omits it).
  std::vector<float> min_confidence;
  std::size_t max_results = 0;   ///< 0 = all; else top N by confidence
  std::vector<bool> allowed;     ///< by label; empty = all labels
};

/// Applies the filter: confidence, allowed labels, then top-N. Keeps descending confidence.
std::vector<Detection> filter_detections(const std::vector<Detection>& detections, const LabelFilter& filter);

/// One CustomLabels entry for a detection in an image of width × height pixels: Name, Confidence
/// (0–100), Geometry.BoundingBox (ratios), PixelBox.
nlohmann::json custom_label_json(const Detection& detection, const std::string& name, int width, int height);

/// label_names[label], or the number as text when it is out of range.
std::string label_name(int label, const std::vector<std::string>& label_names);

/// One JSON Lines record for an image.
nlohmann::json to_custom_labels_json(const ImageDetections& image, const std::vector<std::string>& label_names);

/// The same record for a library result: {"image", "width", "height", "CustomLabels"}.
nlohmann::json to_custom_labels_json(const DetectResult& result, const std::string& image);

/// Only {"CustomLabels": [...]} with Name, Confidence and Geometry.BoundingBox, exactly as
/// DetectCustomLabels answers (no logoscope additions).
nlohmann::json to_rekognition_response(const DetectResult& result);

}  // namespace logoscope::api
