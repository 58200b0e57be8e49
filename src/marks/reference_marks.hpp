// marks/reference_marks.hpp — a brand's own logo files (SVG, or a raster image with or without
// alpha) read into colour marks that the scene generator can paint (one-shot training, docs/oneshot.md).
//
//   auto mark = load_reference_mark({"RedBull", "redbull.svg"});
//   if (!mark) { /* mark.error().message names the file and what is wrong with it */ }
//   cv::Mat rgba = mark->rgba(128);   // CV_8UC4, longer side 128 px
//
// Reading a file:
//   * SVG (sniffed from the bytes, not the extension): rendered with librsvg in its own colours at
//     kReferenceRenderSide px (then resized down as needed, so any scale is sharp enough).
//   * A raster image logoscope reads (PNG, JPEG, WebP, …): with an alpha channel, alpha is the
//     mask; without one, a flat border colour (a logo on white) is keyed out, and a photo-like
//     file with a busy border is kept whole as an opaque sticker.
//   * The result is cropped to its visible pixels.
// Errors (all name the file): kNotFound / kIo (unreadable), kInvalidValue (empty file, fully
// transparent, too small: the visible part under kMinReferenceSide px on its longer side),
// kUnsupportedFormat (neither SVG nor an image), kCorrupt (an SVG librsvg cannot render).
//
// Thread safety: reentrant; a loaded ReferenceMark is immutable and may be shared.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "logoscope/result.hpp"

namespace logoscope::marks {

/// SVGs are rendered with this longer side (px).
inline constexpr int kReferenceRenderSide = 768;
/// The smallest usable reference: the visible part's longer side, px.
inline constexpr int kMinReferenceSide = 16;

/// One `--reference [LABEL=]FILE`.
struct ReferenceSpec {
  std::string label;  ///< the label detections of this mark get
  std::string path;
};

/// Parses "LABEL=FILE" or "FILE" (label = the file's stem). Errors: kInvalidArgument (empty label
/// or path).
Result<ReferenceSpec> parse_reference_spec(const std::string& text);

struct ReferenceMark {
  ReferenceSpec spec;
  cv::Mat rgba;               ///< CV_8UC4 RGBA, straight alpha, cropped to visible pixels
  bool single_colour = true;  ///< the visible pixels are one colour (a silhouette, as simple-icons)
  cv::Vec3b main_colour;      ///< the most common visible colour (RGB)
  std::string how;            ///< how the file was read, for logs and model.json ("svg", "png alpha", …)
  std::uint64_t fingerprint = 0;  ///< FNV-1a 64 of the file's bytes, for model.json
  double weight = 1.0;        ///< how often the scene generator draws it, relative to the others

  /// The mark resized so its longer side is `long_side` px (area averaging when shrinking).
  [[nodiscard]] cv::Mat resized(int long_side) const;
};

/// Reads one reference file (see the top of this file).
Result<ReferenceMark> load_reference_mark(const ReferenceSpec& spec);

}  // namespace logoscope::marks
