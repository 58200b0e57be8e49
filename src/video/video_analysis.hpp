// video/video_analysis.hpp — a video through a model: frames decoded, every k-th detected with the
// public library (Session), detections linked into tracks (tracker.hpp), exposures counted
// (exposure.hpp), results streamed to disk.
//
// Output folder (docs/video.md):
//   detections.jsonl  one line per analysed frame: DetectCustomLabels' shape + "frame", "time_s"
//                     and each label's "TrackId"; written as the video is read
//   summary.json      the video, the settings, per-label and per-track exposure, "complete"
//                     (false when stopped early, with where and why)
//   timeline.csv      second,label,seconds_on_screen: one row per second and label on screen
//   report.html       the brands, the timeline drawn, a thumbnail per exposure (video_report.hpp)
//   annotated.mp4     with `annotated_video`: every frame with its tracked boxes and track ids
// Memory stays flat: frames are not kept, detections go to disk; only per-track sums stay.
//
// Thread safety: one analysis per Session at a time.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "logoscope/detect.hpp"
#include "logoscope/result.hpp"
#include "video/exposure.hpp"
#include "video/tracker.hpp"
#include "video/video_reader.hpp"

namespace logoscope::video {

struct AnalysisOptions {
  /// Seconds between analysed frames (rounded to whole frames, at least 1); 0 = every frame.
  double every_s = 0.1;
  /// 0–100: confidence a detection needs to start a track; < 0 = each label's assumed threshold.
  /// Detections down to half of it may continue a track (ByteTrack's low-confidence pass).
  double min_confidence = -1;
  double max_gap_s = 1.0;  ///< a logo missing longer ends its exposure
  int min_hits = 2;        ///< detections an exposure needs
  bool annotated_video = false;
  bool overwrite = false;  ///< write into a non-empty output folder
};

struct AnalysisProgress {
  std::int64_t frames_read = 0;
  std::int64_t frames_total = 0;  ///< 0 for streams
  double video_s = 0;             ///< video time reached
  double wall_s = 0;
};

struct AnalysisSummary {
  VideoInfo video;
  std::int64_t frames_read = 0;
  std::int64_t frames_analysed = 0;
  int stride = 1;  ///< frames per analysed frame
  double wall_s = 0;
  double video_s = 0;  ///< video time covered
  bool complete = true;
  std::string stopped;  ///< why it ended early ("" when complete)
  ExposureReport exposure;
};

/// What finds the logos in a frame. analyse_video(Session&) runs a model; tests give a detector
/// with exact answers.
struct FrameDetector {
  std::string name;  ///< for the outputs (the model folder)
  std::vector<std::string> labels;
  std::vector<double> min_confidence;  ///< per label, 0–100: the threshold that starts a track
  /// Detections of one frame (CV_8UC3 RGB), scores 0–1 at or above `floor`; labels index `labels`.
  std::function<Result<std::vector<Detection>>(const cv::Mat& rgb, double floor)> detect;
};

/// The same analysis with any detector.
Result<AnalysisSummary> analyse_video(const FrameDetector& detector, const std::string& source,
                                      const std::string& out_dir, const AnalysisOptions& options,
                                      const std::function<void(const AnalysisProgress&)>& on_progress = {},
                                      const std::atomic<bool>* cancel = nullptr);

/// Analyses `source` into `out_dir` (created). `cancel`, when set, stops at the next frame with
/// valid outputs that say so. Errors: those of VideoReader::open, kInvalidArgument for an `out_dir`
/// that holds other files (unless overwrite), kIo when an output cannot be written.
Result<AnalysisSummary> analyse_video(Session& session, const std::string& source, const std::string& out_dir,
                                      const AnalysisOptions& options,
                                      const std::function<void(const AnalysisProgress&)>& on_progress = {},
                                      const std::atomic<bool>* cancel = nullptr);

}  // namespace logoscope::video
