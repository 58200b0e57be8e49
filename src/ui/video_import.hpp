// ui/video_import.hpp — videos dropped into the UI. Imported, a video becomes frames to label: the
// upload is kept beside the project's images only while `frames` (video/frame_export.hpp) samples
// it, then the frames join the dataset unlabeled. Tried, a video is sampled into a few frames that
// the served model looks at.
//
// Thread safety: reentrant (the project serialises its own writes).
#pragma once

#include <string>
#include <vector>

#include "logoscope/detect.hpp"
#include "logoscope/result.hpp"
#include "ui/project.hpp"

namespace logoscope::ui {

/// True for the extensions of videos the import takes (mp4, mov, mkv, avi, webm, m4v, mpg, mpeg).
bool is_video_file_name(const std::string& name);

/// Samples `bytes` (a video named `name`) into images/<stem>/ and adds the frames to `dataset`.
/// Returns their refs. Errors: those of opening the video (naming it), kIo.
Result<std::vector<std::string>> import_video(Project& project, const std::string& dataset,
                                              const std::string& name, const std::string& bytes);

/// One sampled frame of a tried video: a JPEG at most `kTriedFrameSide` px on its long side and
/// the detections, in that JPEG's pixels.
struct TriedFrame {
  double time_s = 0;
  int width = 0;  ///< of the JPEG
  int height = 0;
  std::string jpeg;
  std::vector<CustomLabel> labels;
};
inline constexpr int kTriedFrameSide = 640;

/// Samples up to `max_frames` frames evenly over `bytes` (a video named `name`; kept in `scratch_dir`
/// while it is read) and detects logos in each with `session`. Errors: those of opening the video
/// (naming it), kIo.
Result<std::vector<TriedFrame>> try_video(Session& session, const std::string& scratch_dir,
                                          const std::string& name, const std::string& bytes, int max_frames);

}  // namespace logoscope::ui
