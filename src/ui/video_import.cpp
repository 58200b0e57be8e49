#include "ui/video_import.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/files.hpp"
#include "video/frame_export.hpp"
#include "video/video_reader.hpp"

namespace logoscope::ui {

namespace fs = std::filesystem;

bool is_video_file_name(const std::string& name) {
  std::string extension = fs::path(name).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* known : {".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v", ".mpg", ".mpeg"}) {
    if (extension == known) return true;
  }
  return false;
}

Result<std::vector<std::string>> import_video(Project& project, const std::string& dataset,
                                              const std::string& name, const std::string& bytes) {
  const fs::path upload = project.root() / ".uploads" / fs::path(temp_path_for(name)).filename();
  if (auto written = write_file_atomically(upload.string(), bytes); !written) return written.error();
  auto created = project.fresh_image_folder(fs::path(name).stem().string());
  if (!created) return created.error();
  const std::string folder = *created;
  video::ExportOptions options;
  options.overwrite = true;  // the folder is new and ours; it only exists already
  auto exported = video::export_frames(upload.string(), folder, options);
  std::error_code ec;
  fs::remove(upload, ec);
  if (!exported) {
    fs::remove_all(folder, ec);
    return Error{exported.error().code, fmt::format("{}: {}", name, exported.error().message)};
  }
  // The frames' manifest is the CLI's input for labeling tools; here the frames go straight into
  // the dataset, so it is not kept.
  fs::remove(exported->manifest, ec);
  std::vector<std::string> refs;
  for (const auto& entry : fs::recursive_directory_iterator(folder, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    refs.push_back(entry.path().lexically_relative(project.root()).generic_string());
  }
  std::sort(refs.begin(), refs.end());
  if (refs.empty()) {
    fs::remove_all(folder, ec);
    return Error{ErrorCode::kInvalidValue, fmt::format("{}: no frame could be read from it", name)};
  }
  auto added = project.add_images(dataset, refs);
  if (!added) fs::remove_all(folder, ec);
  return added;
}

Result<std::vector<TriedFrame>> try_video(Session& session, const std::string& scratch_dir,
                                          const std::string& name, const std::string& bytes, int max_frames) {
  const fs::path upload = fs::path(scratch_dir) / fs::path(temp_path_for(name)).filename();
  if (auto written = write_file_atomically(upload.string(), bytes); !written) return written.error();
  struct RemoveUpload {
    fs::path path;
    ~RemoveUpload() {
      std::error_code ec;
      fs::remove(path, ec);
    }
  } remove_upload{upload};
  auto reader = video::VideoReader::open(upload.string());
  if (!reader) return Error{reader.error().code, fmt::format("{}: not a video logoscope can read", name)};
  const video::VideoInfo& info = (*reader)->info();
  const std::int64_t total = info.frames > 0 ? info.frames : static_cast<std::int64_t>(info.fps * 60);
  const std::int64_t step = std::max<std::int64_t>(1, total / std::max(1, max_frames));
  std::vector<TriedFrame> frames;
  video::Frame frame;
  std::int64_t index = 0;
  while (static_cast<int>(frames.size()) < max_frames) {
    if (index % step != 0) {
      if (!(*reader)->skip()) break;
      ++index;
      continue;
    }
    if (!(*reader)->read(frame)) break;
    ++index;
    ImageView view{frame.rgb.data, frame.rgb.cols, frame.rgb.rows, frame.rgb.step[0], PixelFormat::kRgb8};
    auto found = session.detect(view);
    if (!found)
      return Error{found.error().code,
                   fmt::format("{} at {:.1f} s: {}", name, frame.time_s, found.error().message)};
    const double scale =
        std::min(1.0, static_cast<double>(kTriedFrameSide) / std::max(frame.rgb.cols, frame.rgb.rows));
    cv::Mat bgr;
    cv::cvtColor(frame.rgb, bgr, cv::COLOR_RGB2BGR);
    if (scale < 1) cv::resize(bgr, bgr, cv::Size(), scale, scale, cv::INTER_AREA);
    std::vector<std::uint8_t> jpeg;
    cv::imencode(".jpg", bgr, jpeg, {cv::IMWRITE_JPEG_QUALITY, 85});
    TriedFrame tried{frame.time_s, bgr.cols, bgr.rows, std::string(jpeg.begin(), jpeg.end()), found->labels};
    for (CustomLabel& label : tried.labels) {
      label.pixel_box = {label.pixel_box.x0 * scale, label.pixel_box.y0 * scale, label.pixel_box.x1 * scale,
                         label.pixel_box.y1 * scale};
    }
    frames.push_back(std::move(tried));
  }
  if (frames.empty()) return Error{ErrorCode::kCorrupt, fmt::format("{}: no frame could be decoded", name)};
  return frames;
}

}  // namespace logoscope::ui
