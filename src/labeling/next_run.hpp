// labeling/next_run.hpp — `logoscope dataset next` over files: a trained model looks at every
// photo of an unlabeled pool twice (the photo and its mirror image, through the library's one
// detection path), each photo and each labeled photo gets a perceptual hash, and priority.hpp
// chooses which photos to label next.
//
// Thread safety: rank_pool may run on any thread; it uses the cores its options give.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "labeling/priority.hpp"
#include "logoscope/detect.hpp"
#include "logoscope/result.hpp"

namespace logoscope::labeling {

struct NextOptions {
  std::size_t count = 20;  ///< photos to pick
  int threads = 0;         ///< network threads; 0 = the free cores
  int near_duplicate_bits = kNearDuplicateBits;
  double threshold_band = kThresholdBand;  ///< 0–1 (priority.hpp)
};

struct PoolPhoto {
  std::string path;            ///< as given
  std::optional<Error> error;  ///< set when it could not be read or decoded (not a candidate)
  PhotoPriority priority;
  std::uint64_t hash = 0;
};

struct NextRun {
  ModelDescription model;
  std::vector<double> thresholds;  ///< per label, 0–1 (the model's assumed thresholds)
  std::vector<PoolPhoto> pool;     ///< the pool photos that are not labeled yet, in input order
  std::size_t already_labeled = 0;   ///< pool photos left out because a labeled dataset holds them
  /// The labeled photos whose hash the pool was compared with (those that could be read), in the
  /// order NearDuplicate::like indexes.
  std::vector<std::string> labeled_compared;
  std::vector<std::string> warnings;  ///< labeled photos that could not be read, each naming the file
  Selection selection;  ///< indices into pool
};

/// Ranks `pool_images` for labeling with the model in `model_dir`. `labeled_images`: the photos
/// labeled so far (a pool photo among them is left out; the others are near-duplicate references).
/// `on_photo` is called once per pool photo as it is done. Errors: those of Model::load.
Result<NextRun> rank_pool(const std::string& model_dir, const std::vector<std::string>& pool_images,
                          const std::vector<std::string>& labeled_images, const NextOptions& options,
                          const std::function<void()>& on_photo = {});

}  // namespace logoscope::labeling
