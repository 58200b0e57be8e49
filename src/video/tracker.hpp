// video/tracker.hpp — detections linked across frames into tracks, in the ByteTrack family
// (Zhang et al., "ByteTrack: Multi-Object Tracking by Associating Every Detection Box", ECCV 2022):
// confident detections extend tracks or start new ones; low-confidence detections may only
// extend a track that already exists; a track missing for a short gap is bridged, and ends after
// `max_gap_s` without a detection.
//
// Matching is per label, greedy by IoU against each track's predicted box (constant velocity of
// the box from its last two detections), most confident detection first.
//
// Times are seconds of the video. Boxes: xyxy, pixels of the frame (logoscope's convention).
// Thread safety: one thread per tracker. No libtorch, no OpenCV.
#pragma once

#include <cstdint>
#include <vector>

#include "logoscope/detection.hpp"

namespace logoscope::video {

struct TrackerOptions {
  float high_score = 0.5F;  ///< detections at or above may start a track (per label, see set_high_scores)
  float low_score = 0.1F;   ///< detections at or above may extend a track
  double match_iou = 0.3;   ///< a detection continues a track when IoU with its prediction ≥ this
  double max_gap_s = 1.0;   ///< a track without a detection for longer ends
  int min_hits = 2;         ///< detections a track needs to count (one-frame flickers do not)
};

/// A box of a track at one frame.
struct TrackBox {
  std::int64_t track_id = 0;
  int label = 0;
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  float score = 0;  ///< the detection's confidence
};

/// A finished (or, at the end, current) track.
struct Track {
  std::int64_t id = 0;
  int label = 0;
  double first_s = 0;  ///< time of the first detection
  double last_s = 0;   ///< time of the last detection
  int hits = 0;        ///< detections linked
};

class Tracker {
 public:
  explicit Tracker(TrackerOptions options = {});

  /// Per-label thresholds for starting a track (e.g. the model's assumed thresholds); labels beyond
  /// the vector use options.high_score.
  void set_high_scores(std::vector<float> per_label);

  /// Links the detections of the frame at `time_s` (non-decreasing). Returns the boxes that
  /// continued or started a track at this frame (tracks with fewer than min_hits detections
  /// included, with their id). Tracks not seen for more than max_gap_s end (see take_finished).
  std::vector<TrackBox> update(double time_s, const std::vector<Detection>& detections);

  /// Tracks that ended since the last call, with at least min_hits detections.
  std::vector<Track> take_finished();
  /// Ends every track (end of the video): they come out of take_finished.
  void finish();
  /// Ids of the tracks still going (confirmed or not).
  [[nodiscard]] std::vector<std::int64_t> active_ids() const;
  /// True when `track_id` has reached min_hits.
  [[nodiscard]] bool confirmed(std::int64_t track_id) const;

 private:
  struct Active {
    Track track;
    double x0, y0, x1, y1;                      ///< last detected box
    double vx0 = 0, vy0 = 0, vx1 = 0, vy1 = 0;  ///< per second
  };
  [[nodiscard]] float high_for(int label) const;

  TrackerOptions options_;
  std::vector<float> high_scores_;
  std::vector<Active> active_;
  std::vector<Track> finished_;
  std::int64_t next_id_ = 1;
};

}  // namespace logoscope::video
