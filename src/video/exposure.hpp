// video/exposure.hpp — what sponsors buy, from tracks: per label and per track, how long, how big,
// where and how clearly a brand was on screen.
//
// A track (tracker.hpp) is one exposure. It is on screen from its first detection to its last plus
// one detection interval (the time one analysed frame stands for: the stride / fps), gaps the
// tracker bridged included. Per label, seconds on screen are the union of its tracks (two logos of
// one brand at once count once); share of voice is a label's seconds over the sum of every label's;
// solus seconds are the times when that label alone is on screen. Share of screen is box area /
// frame area; placement counts a box as "centre" when its centre lies in the middle third of the
// frame both ways; clarity is the mean confidence and the mean sharpness (variance of the
// Laplacian of the box's grey pixels, computed by the caller) of the track's detections.
//
// Thread safety: one thread per accumulator. No libtorch, no OpenCV.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "video/tracker.hpp"

namespace logoscope::video {

struct TrackExposure {
  std::int64_t track_id = 0;
  int label = 0;
  double start_s = 0;
  double end_s = 0;  ///< last detection + one interval
  [[nodiscard]] double seconds() const { return end_s - start_s; }
  int detections = 0;
  double mean_share = 0;  ///< box area / frame area, mean over detections
  double max_share = 0;
  double centre_fraction = 0;  ///< detections with the box centre in the middle third
  double mean_confidence = 0;  ///< 0–1
  double mean_sharpness = 0;
  double best_confidence = 0;
  double best_time_s = 0;  ///< the detection with the best confidence (for a thumbnail)
};

struct LabelExposure {
  std::string name;
  int exposures = 0;
  double seconds = 0;  ///< union of its tracks
  double longest_s = 0;
  double first_s = -1;  ///< -1 when never on screen
  double last_s = -1;
  double mean_share = 0;  ///< over every detection of its tracks
  double max_share = 0;
  double centre_fraction = 0;
  double mean_confidence = 0;
  double mean_sharpness = 0;
  double share_of_voice = 0;  ///< seconds / sum of every label's seconds
  double solus_seconds = 0;   ///< on screen with no other label
};

struct ExposureReport {
  std::vector<LabelExposure> labels;  ///< in the model's label order
  std::vector<TrackExposure> tracks;  ///< by start time
  /// Per whole second of the video: per label, seconds on screen within that second.
  std::vector<std::vector<double>> timeline;
};

class ExposureCounter {
 public:
  /// `labels`: the model's label names; `interval_s`: the time one analysed frame stands for.
  ExposureCounter(std::vector<std::string> labels, double interval_s);

  /// Records the tracked boxes of the frame at `time_s` (frame `width` × `height` pixels);
  /// `sharpness[i]` belongs to boxes[i] (empty: 0).
  void add(double time_s, int width, int height, const std::vector<TrackBox>& boxes,
           const std::vector<double>& sharpness);
  /// Tracks the tracker has finished (only these are counted).
  void add_finished(const std::vector<Track>& tracks);
  /// The report over everything added. `duration_s` sizes the timeline (0: up to the last exposure).
  [[nodiscard]] ExposureReport report(double duration_s) const;

 private:
  struct Sums {
    int detections = 0;
    double share = 0;
    double max_share = 0;
    int centre = 0;
    double confidence = 0;
    double sharpness = 0;
    double best_confidence = -1;
    double best_time_s = 0;
  };
  std::vector<std::string> labels_;
  double interval_s_;
  std::map<std::int64_t, Sums> sums_;
  std::vector<Track> tracks_;
};

/// [start, end) intervals, seconds.
using Intervals = std::vector<std::pair<double, double>>;
/// The same time as disjoint intervals, sorted; empty ones dropped, overlapping or touching ones joined.
Intervals merge_intervals(Intervals intervals);
/// Seconds covered by the union of the intervals.
double union_seconds(Intervals intervals);

}  // namespace logoscope::video
