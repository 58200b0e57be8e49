// infer/decode_reference.hpp — the naive reference for FCOS box decoding
// (model::decode_image), written with plain loops over plain arrays so that tests can compare
// the libtorch implementation with it.
//
// No libtorch here. Thread safety: pure function.
#pragma once

#include <cstddef>
#include <vector>

#include "logoscope/detection.hpp"

namespace logoscope::infer {

/// The network's flattened output for one image (model::FlatOutput, one batch row), row-major:
/// cls [locations × labels] logits, box [locations × 4] ltrb distances in input pixels,
/// ctr [locations] centerness logits, centres [locations × 2] (x, y) in input pixels.
struct HeadOutputView {
  const float* cls = nullptr;
  const float* box = nullptr;
  const float* ctr = nullptr;
  const float* centres = nullptr;
  std::size_t locations = 0;
  int labels = 0;
};

/// Same contract as model::decode_image: score = sqrt(sigmoid(cls) · sigmoid(ctr)) per location
/// and label, kept when ≥ min_score; when more than top_k remain, the top_k highest in
/// descending score, else in (location, label) order. Box = centre ∓ distances, divided by
/// scale_x / scale_y, clipped to [0, image_w] × [0, image_h]; empty boxes are dropped.
std::vector<Detection> decode_reference(const HeadOutputView& head, float min_score, int top_k,
                                        double scale_x, double scale_y, int image_w, int image_h);

}  // namespace logoscope::infer
