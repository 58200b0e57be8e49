// video/exposure_totals.hpp — one brand-exposure summary over many videos: the summary.json files
// `logoscope video` writes per video (one run, or many shards of an array job), summed per label
// (exposures, seconds on screen, longest exposure, solus seconds) with share of voice recomputed
// over the totals. What `logoscope exposure` writes as exposure.json and exposure.csv.
//
// No I/O: the caller reads the files (local or s3://) and writes the results.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace logoscope::video {

/// One video's summary.json as read: the folder it is in (e.g. "exposure/match") and its text.
struct SummaryFile {
  std::string folder;
  std::string text;
};

struct LabelTotal {
  std::string name;
  std::int64_t videos = 0;  ///< videos in which it had at least one exposure
  std::int64_t exposures = 0;
  double seconds = 0;
  double longest_s = 0;
  double solus_seconds = 0;
  double share_of_voice = 0;  ///< seconds / every label's seconds, over all videos
};

struct VideoRow {
  std::string folder;
  std::string source;
  bool complete = false;
  double video_s = 0;               ///< seconds of video the analysis covered
  std::vector<LabelTotal> labels;   ///< this video's own numbers (videos = 1 when on screen)
};

struct ExposureTotals {
  std::vector<VideoRow> videos;     ///< sorted by folder
  std::vector<LabelTotal> labels;   ///< every label seen in any summary, by seconds (most first)
  double video_s = 0;               ///< sum over the videos
  std::vector<std::string> problems;  ///< summaries that could not be read, one line each (file: why)
};

/// Sums the summaries. A file that is not a summary.json of `logoscope video` becomes a problem
/// naming it and is left out; an incomplete video (stopped early) is counted as far as it went.
ExposureTotals sum_exposure(const std::vector<SummaryFile>& files);

/// exposure.json: {"videos": [...], "labels": [...], "video_s", "incomplete": [folders], "problems"}.
nlohmann::json exposure_json(const ExposureTotals& totals);

/// exposure.csv: video,label,exposures,seconds_on_screen,longest_exposure_s,solus_seconds,share_of_voice
/// — one row per video and label on screen, then one row per label with video "ALL".
std::string exposure_csv(const ExposureTotals& totals);

}  // namespace logoscope::video
