// infer/nms.hpp — leave one box per logo.
//
// Greedy non-maximum suppression in descending score: a detection is dropped when a kept one
// overlaps it with IoU > iou_threshold, or — dlib's "percent covered" test — when it lies mostly
// inside a kept box (or the kept box mostly inside it: intersection / smaller area >
// containment_threshold). Class-aware by default (only same-label boxes suppress each other).
// `nms_reference` is the naive O(n²) version the fast path is tested against.
//
// Thread safety: pure functions.
#pragma once

#include <vector>

#include "logoscope/detection.hpp"

namespace logoscope::infer {

struct NmsOptions {
  double iou_threshold = 0.5;
  double containment_threshold = 0.8;  ///< > 1 disables the containment test
  bool class_agnostic = false;
  std::size_t max_detections = 300;
};

/// Intersection over union of two boxes (0 when they do not overlap).
double detection_iou(const Detection& a, const Detection& b);

/// Returns the kept detections in descending score (ties: input order).
std::vector<Detection> non_max_suppression(std::vector<Detection> detections, const NmsOptions& options);

/// Straightforward reference implementation with the same contract.
std::vector<Detection> nms_reference(const std::vector<Detection>& detections, const NmsOptions& options);

}  // namespace logoscope::infer
