// imageio/gif_decode.hpp — the first frame of a GIF, through giflib (OpenCV 4.6 has no GIF
// decoder).
//
// Thread safety: reentrant.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "logoscope/result.hpp"

namespace logoscope::imageio {

/// Decodes the first frame of the GIF in `bytes` onto a canvas of the logical screen size (or
/// the frame's extent when the screen says 0x0): CV_8UC3, RGB order, continuous. Transparent
/// pixels and the canvas outside the frame are white (alpha composited over white).
/// Requires: the caller has checked the screen size against its pixel limit.
/// With `allow_truncated`, a frame whose data ends early keeps the rows decoded so far, the rest
/// stays white, and a warning is appended to `warnings`.
/// Errors (messages start with "`name`: "): kTruncated (the data ends inside the first frame),
/// kTooLarge (the frame itself is over `max_pixels`), kCorrupt (giflib rejects the data).
Result<cv::Mat> decode_gif_first_frame(std::span<const std::uint8_t> bytes, const std::string& name,
                                       std::int64_t max_pixels, bool allow_truncated,
                                       std::vector<std::string>& warnings);

}  // namespace logoscope::imageio
