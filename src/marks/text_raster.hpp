// marks/text_raster.hpp — text to coverage masks: TrueType/OpenType fonts through cairo and
// FreeType, and OpenCV's Hershey fonts.
//
// Thread safety: reentrant. Font files are opened once per process and kept open (a handful of
// faces); TrueType rendering is serialised by one process-wide mutex because cairo may share a
// FreeType face between threads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

#include "logoscope/result.hpp"

namespace logoscope::marks {

/// Font files (.ttf, .otf) found under each path (a file or a folder, searched recursively),
/// sorted, duplicates removed. Missing paths are skipped: Debian's font folders are optional.
std::vector<std::string> find_font_files(const std::vector<std::string>& paths);

/// `text` (UTF-8) set in the font file at `font_px` pixels per em, with `tracking_em` extra
/// space between letters (fraction of the em; may be negative), as an 8-bit coverage mask
/// (CV_8UC1, 255 = covered) cropped to its non-zero pixels. Requires font_px >= 1 and text with
/// at least one visible glyph. Errors: kNotFound / kUnsupportedFormat naming the font file when
/// FreeType cannot open it; kInvalidValue when nothing is drawn.
Result<cv::Mat> render_font_text_mask(const std::string& font_file, std::string_view text, double font_px,
                                      double tracking_em);

/// Like render_font_text_mask with one of OpenCV's Hershey fonts (cv::FONT_HERSHEY_*, optionally
/// | cv::FONT_ITALIC) at cv::putText's `scale`, with stroke `thickness` pixels. Empty when nothing
/// is drawn.
cv::Mat render_hershey_text_mask(int font_face, std::string_view text, double scale, int thickness);

}  // namespace logoscope::marks
