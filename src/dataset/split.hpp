// dataset/split.hpp — carve a test (or validation) split off a dataset, like Rekognition's
// automatic 80/20 split but stratified and duplicate-safe.
//
// Images with the same content (or listed twice) form one group and always land on the same
// side, so a test score is never inflated by an image the model trained on. Groups are assigned
// rarest label first, so every label with ≥ 2 images gets at least one image on each side.
// Deterministic for a given seed (own shuffle; no implementation-defined std:: algorithms).
//
// Thread safety: reentrant.
#pragma once

#include <cstdint>
#include <vector>

#include "logoscope/dataset.hpp"
#include "logoscope/result.hpp"

namespace logoscope::dataset {

struct SplitOptions {
  double test_fraction = 0.2;  ///< in (0, 1)
  std::uint64_t seed = 0;
  bool group_duplicates = true;  ///< read local images and keep same-content images together
};

struct SplitResult {
  Dataset train;
  Dataset test;
};

/// Splits by images. Error kInvalidArgument when test_fraction is outside (0, 1) or the dataset
/// has fewer than 2 images.
Result<SplitResult> split_dataset(const Dataset& dataset, const SplitOptions& options);

}  // namespace logoscope::dataset
