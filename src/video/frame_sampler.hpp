// video/frame_sampler.hpp — which frames of a video to keep for labeling: one every `every_s`
// seconds, one at each scene change, none that nearly repeats the last one kept.
//
// Frames are compared as small grey thumbnails (64×36, area-averaged). A scene change is a change
// of at least `scene_change` in the thumbnail's 32-bin grey histogram between consecutive frames
// (half the L1 distance of the normalised histograms, 0 same to 1 disjoint): a cut changes what is
// in the picture, while motion and panning mostly move it around, which a histogram ignores. A near
// duplicate is a mean absolute pixel difference (0 same to 1 black against white) below
// `duplicate` from the last frame kept.
//
// Thread safety: one thread per sampler. OpenCV for the thumbnail only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace logoscope::video {

struct SamplerOptions {
  double every_s = 1.0;       ///< ≤ 0: no periodic frames, scene changes only
  double scene_change = 0.3;  ///< histogram change ≥ this between consecutive frames: a new scene
  double duplicate = 0.02;    ///< < this from the last kept frame: dropped
};

enum class KeepReason { kNone, kFirst, kInterval, kSceneChange };

/// "first", "interval", "scene_change" ("" for kNone).
const char* keep_reason_name(KeepReason reason);

class FrameSampler {
 public:
  explicit FrameSampler(SamplerOptions options = {}) : options_(options) {}
  /// Looks at the frame (CV_8UC3 RGB) at `time_s`: why to keep it, or kNone. Counts duplicates
  /// dropped (duplicates_dropped()).
  KeepReason offer(const cv::Mat& rgb, double time_s);
  [[nodiscard]] std::int64_t duplicates_dropped() const { return duplicates_; }

  /// The mean absolute difference of two thumbnails, 0..1.
  static double difference(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b);
  /// Half the L1 distance of the thumbnails' normalised 32-bin grey histograms, 0..1.
  static double histogram_change(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b);
  static std::vector<std::uint8_t> thumbnail(const cv::Mat& rgb);

 private:
  SamplerOptions options_;
  std::vector<std::uint8_t> previous_;  ///< the frame looked at before
  std::vector<std::uint8_t> kept_;      ///< the last frame kept
  double next_interval_s_ = 0;
  bool started_ = false;
  std::int64_t duplicates_ = 0;
};

}  // namespace logoscope::video
