#include "video/video_reader.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

namespace fs = std::filesystem;

namespace logoscope::video {

namespace {

constexpr double kDefaultFps = 25.0;

bool looks_like_url(const std::string& source) {
  return source.find("://") != std::string::npos;
}

}  // namespace

bool VideoInfo::is_stream() const {
  return looks_like_url(source);
}

struct VideoReader::Impl {
  cv::VideoCapture capture;
  VideoInfo info;
  std::int64_t next_index = 0;
  double last_time = -1;
  std::string error;
  cv::Mat bgr;

  double time_of(std::int64_t index) {
    // The container's clock when it gives one that moves forward; else index / fps.
    const double from_index = static_cast<double>(index) / info.fps;
    const double pos_ms = capture.get(cv::CAP_PROP_POS_MSEC);
    double time = from_index;
    if (std::isfinite(pos_ms) && pos_ms > 0) time = pos_ms / 1000.0;
    if (index > 0 && time <= last_time) time = std::max(from_index, last_time + 1e-6);
    last_time = time;
    return time;
  }

  void note_end() {
    if (info.frames > 0 && next_index < info.frames - 1 && !info.is_stream()) {
      error = fmt::format("{}: stopped at frame {} of {} (the rest could not be decoded)", info.source,
                          next_index, info.frames);
    }
  }
};

VideoReader::VideoReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VideoReader::~VideoReader() = default;

Result<std::unique_ptr<VideoReader>> VideoReader::open(const std::string& source) {
  if (!looks_like_url(source)) {
    std::error_code error;
    if (!fs::exists(source, error))
      return Error{ErrorCode::kNotFound, fmt::format("{}: no such file", source)};
    if (fs::is_directory(source, error)) {
      return Error{ErrorCode::kInvalidArgument, fmt::format("{}: is a folder, not a video", source)};
    }
  }
  auto impl = std::make_unique<Impl>();
  impl->capture.open(source, cv::CAP_FFMPEG);
  if (!impl->capture.isOpened()) impl->capture.open(source, cv::CAP_ANY);
  if (!impl->capture.isOpened()) {
    return Error{ErrorCode::kUnsupportedFormat,
                 fmt::format("{}: not a video this machine's FFmpeg can read (an image, a damaged file or an "
                             "unsupported codec)",
                             source)};
  }
  VideoInfo& info = impl->info;
  info.source = source;
  info.fps = impl->capture.get(cv::CAP_PROP_FPS);
  if (!std::isfinite(info.fps) || info.fps <= 0 || info.fps > 1000) info.fps = kDefaultFps;
  const double frames = impl->capture.get(cv::CAP_PROP_FRAME_COUNT);
  info.frames = std::isfinite(frames) && frames > 0 ? static_cast<std::int64_t>(frames) : 0;
  info.width = static_cast<int>(impl->capture.get(cv::CAP_PROP_FRAME_WIDTH));
  info.height = static_cast<int>(impl->capture.get(cv::CAP_PROP_FRAME_HEIGHT));
  if (info.width <= 0 || info.height <= 0) {
    return Error{ErrorCode::kUnsupportedFormat,
                 fmt::format("{}: has no video picture (an audio-only file?)", source)};
  }
  return std::unique_ptr<VideoReader>(new VideoReader(std::move(impl)));
}

const VideoInfo& VideoReader::info() const {
  return impl_->info;
}

const std::string& VideoReader::error() const {
  return impl_->error;
}

bool VideoReader::read(Frame& frame) {
  if (!impl_->capture.read(impl_->bgr) || impl_->bgr.empty()) {
    impl_->note_end();
    return false;
  }
  frame.index = impl_->next_index;
  frame.time_s = impl_->time_of(impl_->next_index);
  ++impl_->next_index;
  if (impl_->bgr.channels() == 1) {
    cv::cvtColor(impl_->bgr, frame.rgb, cv::COLOR_GRAY2RGB);
  } else {
    cv::cvtColor(impl_->bgr, frame.rgb, cv::COLOR_BGR2RGB);
  }
  return true;
}

bool VideoReader::skip(double* time_s) {
  if (!impl_->capture.grab()) {
    impl_->note_end();
    return false;
  }
  const double time = impl_->time_of(impl_->next_index);
  if (time_s != nullptr) *time_s = time;
  ++impl_->next_index;
  return true;
}

}  // namespace logoscope::video
