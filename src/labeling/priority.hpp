// labeling/priority.hpp — how much a person labeling a photo would teach the model, and which
// photos of an unlabeled pool to label next (`logoscope dataset next`).
//
// A photo's evidence is what the model sees in it twice: in the photo and in its mirror image
// (the two views of flip averaging, infer/flip_fusion.hpp). Each logo candidate (a pair of the two
// views' detections, or a detection one view alone has) counts when a label would settle it:
//   near          1 − |fused − threshold| / band, at least 0: the fused confidence sits
//                 near the label's assumed threshold, so the model cannot tell whether it is a logo;
//   disagreement  |original − mirrored|, counted when either view reaches threshold − band: the
//                 views disagree about a box one of them would report.
// A photo's priority is the sum over its candidates (a photo with three doubtful logos teaches
// more than one with one). Candidates of original-only labels (--no-flip) have no disagreement.
//
// choose_next picks greedily by priority. Diversity: a photo whose perceptual hash is within
// near_duplicate_bits of a labeled photo or of an earlier pick is left out as a near-duplicate
// (ten frames of one shot teach what one does); among equal priorities (e.g. photos with nothing
// doubtful in them) the photo least like anything labeled or picked comes first.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "logoscope/detection.hpp"

namespace logoscope::labeling {

/// Confidence (0–1) either side of a label's threshold within which a candidate counts as doubtful
/// (the default of `band`).
inline constexpr double kThresholdBand = 0.2;
/// Perceptual hashes at most this many bits apart (of 64) are taken for the same picture.
inline constexpr int kNearDuplicateBits = 10;

/// What the model saw in one photo.
struct PhotoEvidence {
  std::vector<Detection> original;  ///< the photo's detections, every score (xyxy pixels)
  std::vector<Detection> mirrored;  ///< the mirror image's, mapped back onto the photo
};

/// One logo candidate that makes a photo worth labeling.
struct Finding {
  int label = 0;
  double original = 0;  ///< confidence 0–1 in the photo (0: not seen there)
  double mirrored = 0;  ///< in the mirror image (0: not seen there, or an original-only label)
  double fused = 0;     ///< what flip averaging reports: the mean of the two (original-only: original)
  double near = 0;           ///< the "near" term above
  double disagreement = 0;   ///< the "disagreement" term above
  [[nodiscard]] double weight() const { return near + disagreement; }
};

struct PhotoPriority {
  double score = 0;               ///< Σ weight over findings
  std::vector<Finding> findings;  ///< weight > 0, heaviest first
};

/// `thresholds`: each label's assumed threshold, 0–1 (a label without one: 0.5). `original_only`:
/// labels whose mirror image is another logo (indexed by label; missing = false). `band`: see the
/// top of this file (0 < band ≤ 1).
PhotoPriority photo_priority(const PhotoEvidence& evidence, const std::vector<double>& thresholds,
                             const std::vector<bool>& original_only = {}, double band = kThresholdBand);

/// Bits in which two 64-bit hashes differ.
int hash_distance(std::uint64_t a, std::uint64_t b);

struct Pick {
  std::size_t index = 0;  ///< into the pool
  double score = 0;
  /// Bits to the nearest labeled photo or earlier pick (64 when there is none).
  int nearest_bits = 64;
};

struct NearDuplicate {
  std::size_t index = 0;    ///< into the pool
  bool of_labeled = false;  ///< like a labeled photo (else like a pick)
  std::size_t like = 0;     ///< index of that labeled photo, or of that pick in the pool
  int bits = 0;
};

struct Selection {
  std::vector<Pick> picks;                   ///< in the order to label them
  std::vector<NearDuplicate> near_duplicates;  ///< pool photos left out for being like one
};

/// Up to `count` pool photos to label next (see the top of this file). `eligible[i]` false leaves
/// photo i out (it could not be read); missing = eligible.
Selection choose_next(const std::vector<PhotoPriority>& priorities, const std::vector<std::uint64_t>& pool_hashes,
                      const std::vector<std::uint64_t>& labeled_hashes, std::size_t count,
                      int near_duplicate_bits = kNearDuplicateBits, const std::vector<bool>& eligible = {});

/// Why a photo was picked, in words: "2 boxes near the threshold: RedBull 48 (threshold 55), RedBull
/// 61 (threshold 55)", "the mirror image disagrees: Nike 70 in the photo, nothing in the mirror
/// image", or for a photo with nothing doubtful, how unlike the labeled photos and picks it is.
/// Confidences 0–100.
std::string describe_pick(const PhotoPriority& priority, const Pick& pick, const std::vector<std::string>& labels,
                          const std::vector<double>& thresholds);

}  // namespace logoscope::labeling
