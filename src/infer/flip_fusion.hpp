// infer/flip_fusion.hpp — test-time flip averaging: the detections of an image and of its mirror
// image, fused into one list whose scores say how consistently both saw a logo.
//
// `mirrored` holds the mirror image's detections already mapped back (unmirror_detections). Per
// label, in descending score of `original`, each detection is paired with the unpaired mirrored
// detection of the same label it overlaps most (IoU ≥ pair_iou). A pair becomes one detection: the
// mean of the two scores and the score-weighted mean box. A detection without a partner keeps its
// box and half its score (the other view's score counts as 0), as weighted box fusion does for a
// model that found nothing. So a logo both views find outranks a look-alike only one view finds.
// The result is sorted by score; the caller suppresses (NMS) and filters by min_score as usual.
//
// Thread safety: pure functions.
#pragma once

#include <vector>

#include "logoscope/detection.hpp"

namespace logoscope::infer {

/// Pairs need at least this IoU (a logo seen in both views lands on nearly the same box).
inline constexpr double kFlipPairIou = 0.55;

/// `mirrored`'s boxes mapped from the horizontally mirrored image back to the image (width `width`).
std::vector<Detection> unmirror_detections(std::vector<Detection> mirrored, double width);

/// One logo as the two views saw it: indices into `original` and `mirrored`, -1 where that view has
/// no detection of it. `original_only`: a detection of a label marked original-only (its mirrored
/// index is always -1 and it is not halved).
struct FlipPair {
  int original = -1;
  int mirrored = -1;
  bool original_only = false;
};

/// The pairing fuse_flipped fuses (see above): every detection of `original` once, in descending
/// score, then the unpaired detections of `mirrored` in their order; mirrored detections of
/// original-only labels are left out.
std::vector<FlipPair> pair_flipped(const std::vector<Detection>& original, const std::vector<Detection>& mirrored,
                                   const std::vector<bool>& original_only = {}, double pair_iou = kFlipPairIou);

/// The fused detections (see above), in descending score. Labels marked in `original_only`
/// (indexed by label; missing = false) are logos whose mirror image is another logo: their
/// detections in `original` pass unchanged and those in `mirrored` are dropped.
std::vector<Detection> fuse_flipped(const std::vector<Detection>& original, const std::vector<Detection>& mirrored,
                                    const std::vector<bool>& original_only = {}, double pair_iou = kFlipPairIou);

}  // namespace logoscope::infer
