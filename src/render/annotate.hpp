// render/annotate.hpp — draw boxes and labels on images for people to look at.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "logoscope/detection.hpp"

namespace logoscope::render {

/// A distinct, stable colour (RGB) for a label index.
cv::Scalar label_colour(int label);

/// Draws each detection as a rectangle with "name 87%" above it on a copy of `rgb` (CV_8UC3 RGB).
cv::Mat draw_detections(const cv::Mat& rgb, const std::vector<Detection>& detections,
                        const std::vector<std::string>& label_names);

}  // namespace logoscope::render
