// video/video_reader.hpp — frames of a video file or stream, in order, with their timestamps.
//
// Anything the platform's FFmpeg reads through OpenCV: files of any container and codec, and
// stream URLs (rtsp://, http://). Frames come out as 8-bit RGB (CV_8UC3). Timestamps come from the
// container when it gives them (CAP_PROP_POS_MSEC, kept monotonic), else from frame index / fps.
//
// Thread safety: one thread per reader.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <opencv2/core.hpp>

#include "logoscope/result.hpp"

namespace logoscope::video {

struct VideoInfo {
  std::string source;       ///< path or URL as given
  double fps = 0;           ///< frames per second (25 when the container does not say)
  std::int64_t frames = 0;  ///< frame count from the container; 0 when unknown (streams)
  int width = 0;
  int height = 0;
  [[nodiscard]] double duration_s() const {
    return fps > 0 && frames > 0 ? static_cast<double>(frames) / fps : 0;
  }
  [[nodiscard]] bool is_stream() const;  ///< a URL rather than a file
};

struct Frame {
  std::int64_t index = 0;  ///< 0-based position in the video
  double time_s = 0;       ///< presentation time of the frame
  cv::Mat rgb;             ///< CV_8UC3
};

class VideoReader {
 public:
  /// Opens `source`. Errors: kNotFound (a local file that does not exist), kUnsupportedFormat
  /// (nothing FFmpeg can decode as video: an image, a text file, a damaged header), each naming it.
  static Result<std::unique_ptr<VideoReader>> open(const std::string& source);
  ~VideoReader();
  VideoReader(const VideoReader&) = delete;
  VideoReader& operator=(const VideoReader&) = delete;

  [[nodiscard]] const VideoInfo& info() const;
  /// The next frame; false at the end of the video (or when the rest cannot be decoded: then
  /// `error()` says where it stopped).
  bool read(Frame& frame);
  /// Skips the next frame without converting it (cheaper than read); false at the end. Its time
  /// goes to `time_s` when given.
  bool skip(double* time_s = nullptr);
  /// Set when reading stopped before the container's frame count: "stopped at frame N of M".
  [[nodiscard]] const std::string& error() const;

 private:
  struct Impl;
  explicit VideoReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace logoscope::video
