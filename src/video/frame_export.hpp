// video/frame_export.hpp — `logoscope frames`: frames of a video for labeling (frame_sampler.hpp)
// written as JPEG images plus a Ground Truth input manifest.
//
// OUT/images/STEM_tSSSSS.mmm.jpg   the frames, named by their time in the video
// OUT/frames.manifest              one line per frame, the input manifest labeling tools take:
//   {"source-ref": "images/…jpg", "logoscope-frame": {"video": …, "frame": N, "time_s": T, "reason": …}}
// The manifest holds no boxes: it is for labeling (and for `logoscope detect` to suggest boxes),
// not for training until labeled.
//
// Thread safety: one export per thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "logoscope/result.hpp"
#include "video/frame_sampler.hpp"
#include "video/video_reader.hpp"

namespace logoscope::video {

struct ExportOptions {
  SamplerOptions sampler;
  std::int64_t max_frames = 0;  ///< > 0: stop after this many kept frames
  int jpeg_quality = 92;
  bool overwrite = false;  ///< write into a non-empty folder
};

struct ExportSummary {
  VideoInfo video;
  std::int64_t frames_read = 0;
  std::int64_t frames_kept = 0;
  std::int64_t by_interval = 0;
  std::int64_t by_scene_change = 0;
  std::int64_t duplicates_dropped = 0;
  bool complete = true;
  std::string stopped;  ///< why it ended early
  std::string manifest;
};

/// Exports `source` into `out_dir`. `on_frame(frames_read, frames_total)` after each frame read.
/// Errors: those of VideoReader::open; kInvalidArgument for an `out_dir` in use; kIo.
Result<ExportSummary> export_frames(const std::string& source, const std::string& out_dir,
                                    const ExportOptions& options,
                                    const std::function<void(std::int64_t, std::int64_t)>& on_frame = {},
                                    const std::atomic<bool>* cancel = nullptr);

}  // namespace logoscope::video
