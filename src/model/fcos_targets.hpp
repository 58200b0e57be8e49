// model/fcos_targets.hpp — which output location learns which box (FCOS assignment).
//
// Tian et al. 2019 (FCOS): a location at stride s with centre ((j+0.5)s, (i+0.5)s) is positive
// for a ground-truth box when the centre lies inside the box and within `center_radius`·s of the
// box centre ("centre sampling"), and the box's largest side distance falls in the level's range
// (≤ 64, 64–128, ≥ 128 px for strides 8, 16, 32). Ties go to the smaller box. A box that gets no
// location this way (a tiny logo) takes the nearest stride-8 location, so every labeled logo is
// learnt. Locations inside ignore/difficult boxes that are not positive are excluded from the
// classification loss.
//
// No libtorch: this runs on the data-loading thread. Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <vector>

#include "logoscope/dataset.hpp"

namespace logoscope::model {

inline constexpr std::int64_t kBackground = -1;
inline constexpr std::int64_t kIgnored = -2;

/// Output grid geometry for an input of width×height (multiples of 32) and the given strides.
struct GridLayout {
  std::vector<int> strides;
  std::vector<int> widths;   ///< per level: width / stride
  std::vector<int> heights;
  std::vector<std::int64_t> offsets;  ///< first flat index of each level
  std::int64_t total = 0;             ///< number of locations over all levels

  static GridLayout make(int width, int height, const std::vector<int>& strides);
};

/// Targets for one image, flattened level by level, row-major inside a level.
struct ImageTargets {
  std::vector<std::int64_t> labels;  ///< label index, kBackground or kIgnored
  std::vector<float> boxes;          ///< 4 per location: l, t, r, b (pixels); 0 when not positive
  std::vector<float> centerness;     ///< per location; 0 when not positive
  int positives = 0;
};

ImageTargets assign_targets(const std::vector<Box>& boxes, const GridLayout& layout, double center_radius = 1.5);

/// FCOS centerness of a location with side distances l, t, r, b: sqrt(min(l,r)/max(l,r) ·
/// min(t,b)/max(t,b)).
float centerness(float l, float t, float r, float b);

}  // namespace logoscope::model
