// video/video_report.hpp — report.html of a video analysis: for a person to look at rather than
// read. A table per label (exposures, seconds, share of voice drawn as a bar, solus seconds, share
// of screen, placement, clarity), the timeline drawn as SVG (one row per label, a bar per
// exposure), and a thumbnail per exposure (its most confident detection). Self-contained: the
// thumbnails are embedded as data URIs.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "video/video_analysis.hpp"

namespace logoscope::video {

/// The page. `thumbnails`: JPEG bytes by track id (exposures without one get none); at most
/// `max_exposures` exposures are listed, the longest first.
std::string video_report_html(const AnalysisSummary& summary, const std::string& model,
                              const std::map<std::int64_t, std::vector<std::uint8_t>>& thumbnails,
                              std::size_t max_exposures = 300);

}  // namespace logoscope::video
