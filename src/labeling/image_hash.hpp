// labeling/image_hash.hpp — a perceptual hash, to tell photos that show the same picture (the same
// post re-encoded or resized, neighbouring frames of one shot) from different ones.
//
// The DCT hash of OpenCV's img_hash module (pHash: the signs of the 8×8 lowest frequencies of a
// 32×32 grey thumbnail, against their median). Re-encoded, resized or slightly shifted copies are
// a few of the 64 bits apart; unrelated photos about 32 (hash_distance in priority.hpp).
//
// Thread safety: pure function.
#pragma once

#include <cstdint>

#include <opencv2/core.hpp>

namespace logoscope::labeling {

/// The 64-bit hash of an RGB (CV_8UC3) or grey (CV_8UC1) image. Throws std::invalid_argument for
/// an empty image or another type.
std::uint64_t perceptual_hash(const cv::Mat& image);

}  // namespace logoscope::labeling
