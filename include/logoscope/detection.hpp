// logoscope/detection.hpp — what a detector says about one image.
//
// Boxes use logoscope's convention (xyxy, pixels of the image as displayed; see dataset.hpp).
// Scores are confidences in [0, 1]; the DetectCustomLabels JSON shape reports them ×100.
//
// Thread safety: plain values.
#pragma once

#include <string>
#include <vector>

namespace logoscope {

struct Detection {
  double x0 = 0;
  double y0 = 0;
  double x1 = 0;
  double y1 = 0;
  int label = 0;       ///< index into the model's labels
  float score = 0.0F;  ///< confidence in [0, 1]
};

/// Detections for one image, as produced by a model or read from a predictions file.
struct ImageDetections {
  std::string image;  ///< path or URI as given
  int width = 0;      ///< pixels as displayed
  int height = 0;
  std::vector<Detection> detections;
};

}  // namespace logoscope
