// marks/svg_raster.hpp — SVG documents to coverage masks, with librsvg.
//
// Thread safety: reentrant (every call parses its own handle).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include <opencv2/core.hpp>

#include "logoscope/result.hpp"

namespace logoscope::marks {

/// Rasterises an SVG document into an 8-bit coverage mask (CV_8UC1, 255 = fully covered,
/// antialiased edges), scaled so that the drawing's ink extent has `long_side` pixels on its
/// longer side and cropped to the mask's non-zero pixels. Colours are ignored: only coverage
/// (fill and stroke alpha) counts, which is exactly right for single-colour marks such as
/// simple-icons. Requires long_side >= 1. `name` is used in messages.
/// Errors: kCorrupt (librsvg cannot parse or render it; the message carries librsvg's reason),
/// kInvalidValue (the document draws nothing).
Result<cv::Mat> rasterize_svg_mask(std::span<const std::uint8_t> svg, int long_side, const std::string& name);

/// The same in colour: CV_8UC4 RGBA, straight (not premultiplied) alpha, scaled and cropped to
/// the drawing's visible pixels as above. Errors: those of rasterize_svg_mask.
Result<cv::Mat> rasterize_svg_rgba(std::span<const std::uint8_t> svg, int long_side, const std::string& name);

}  // namespace logoscope::marks
