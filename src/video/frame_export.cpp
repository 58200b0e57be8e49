#include "video/frame_export.hpp"

#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/files.hpp"
#include "imageio/image_io.hpp"

namespace fs = std::filesystem;

namespace logoscope::video {

Result<ExportSummary> export_frames(const std::string& source, const std::string& out_dir,
                                    const ExportOptions& options,
                                    const std::function<void(std::int64_t, std::int64_t)>& on_frame,
                                    const std::atomic<bool>* cancel) {
  std::error_code error;
  if (auto usable = check_output_folder(out_dir, options.overwrite); !usable) return usable.error();
  auto reader = VideoReader::open(source);
  if (!reader) return reader.error();
  const fs::path images = fs::path(out_dir) / "images";
  fs::create_directories(images, error);
  if (error)
    return Error{ErrorCode::kIo,
                 fmt::format("{}: cannot create the folder: {}", images.string(), error.message())};

  ExportSummary summary;
  summary.video = (*reader)->info();
  std::string stem = fs::path(source).stem().string();
  if (stem.empty()) stem = "frame";
  const std::string video_path =
      summary.video.is_stream() ? source : fs::absolute(source).lexically_normal().string();
  FrameSampler sampler(options.sampler);
  std::string manifest;
  Frame frame;
  while (true) {
    if (cancel != nullptr && cancel->load()) {
      summary.complete = false;
      summary.stopped = fmt::format("interrupted at frame {}", summary.frames_read);
      break;
    }
    if (options.max_frames > 0 && summary.frames_kept >= options.max_frames) break;
    if (!(*reader)->read(frame)) break;
    ++summary.frames_read;
    if (on_frame) on_frame(summary.frames_read, summary.video.frames);
    const KeepReason reason = sampler.offer(frame.rgb, frame.time_s);
    if (reason == KeepReason::kNone) continue;
    const std::string name = fmt::format("{}_t{:09.3f}.jpg", stem, frame.time_s);
    if (auto written =
            imageio::write_image_file(frame.rgb, (images / name).string(), options.jpeg_quality, true);
        !written) {
      return written.error();
    }
    ++summary.frames_kept;
    if (reason == KeepReason::kInterval) ++summary.by_interval;
    if (reason == KeepReason::kSceneChange) ++summary.by_scene_change;
    manifest += nlohmann::json{{"source-ref", "images/" + name},
                               {"logoscope-frame",
                                {{"video", video_path},
                                 {"frame", frame.index},
                                 {"time_s", frame.time_s},
                                 {"reason", keep_reason_name(reason)}}}}
                    .dump() +
                "\n";
  }
  if (summary.complete && !(*reader)->error().empty()) {
    summary.complete = false;
    summary.stopped = (*reader)->error();
  }
  summary.duplicates_dropped = sampler.duplicates_dropped();
  summary.manifest = (fs::path(out_dir) / "frames.manifest").string();
  if (auto written = write_file_atomically(summary.manifest, manifest); !written) return written.error();
  return summary;
}

}  // namespace logoscope::video
