#include "video/video_analysis.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "api/custom_labels.hpp"
#include "core/files.hpp"
#include "core/text.hpp"
#include "render/annotate.hpp"
#include "video/video_report.hpp"

namespace fs = std::filesystem;

namespace logoscope::video {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Variance of the Laplacian of the box's grey pixels: high for sharp edges, low for blur.
double sharpness(const cv::Mat& rgb, const TrackBox& box) {
  const cv::Rect frame(0, 0, rgb.cols, rgb.rows);
  const cv::Rect rect =
      cv::Rect(cv::Point(static_cast<int>(std::floor(box.x0)), static_cast<int>(std::floor(box.y0))),
               cv::Point(static_cast<int>(std::ceil(box.x1)), static_cast<int>(std::ceil(box.y1)))) &
      frame;
  if (rect.width < 3 || rect.height < 3) return 0;
  cv::Mat grey;
  cv::cvtColor(rgb(rect), grey, cv::COLOR_RGB2GRAY);
  cv::Mat laplacian;
  cv::Laplacian(grey, laplacian, CV_64F);
  cv::Scalar mean;
  cv::Scalar deviation;
  cv::meanStdDev(laplacian, mean, deviation);
  return deviation[0] * deviation[0];
}

// The box with a fifth of its size around it, at most 200 px on its long side, as JPEG.
std::vector<std::uint8_t> thumbnail(const cv::Mat& rgb, const TrackBox& box) {
  const double margin_x = (box.x1 - box.x0) * 0.2;
  const double margin_y = (box.y1 - box.y0) * 0.2;
  const cv::Rect rect =
      cv::Rect(cv::Point(static_cast<int>(box.x0 - margin_x), static_cast<int>(box.y0 - margin_y)),
               cv::Point(static_cast<int>(box.x1 + margin_x), static_cast<int>(box.y1 + margin_y))) &
      cv::Rect(0, 0, rgb.cols, rgb.rows);
  if (rect.width < 2 || rect.height < 2) return {};
  cv::Mat bgr;
  cv::cvtColor(rgb(rect), bgr, cv::COLOR_RGB2BGR);
  const double scale = std::min(1.0, 200.0 / std::max(rect.width, rect.height));
  if (scale < 1.0) cv::resize(bgr, bgr, {}, scale, scale, cv::INTER_AREA);
  std::vector<std::uint8_t> jpeg;
  cv::imencode(".jpg", bgr, jpeg, {cv::IMWRITE_JPEG_QUALITY, 85});
  return jpeg;
}

void draw_tracks(cv::Mat& rgb, const std::vector<TrackBox>& boxes, const std::vector<std::string>& labels) {
  for (const auto& box : boxes) {
    const cv::Scalar colour = render::label_colour(box.label);
    const cv::Point top_left(static_cast<int>(box.x0), static_cast<int>(box.y0));
    cv::rectangle(rgb, top_left, cv::Point(static_cast<int>(box.x1), static_cast<int>(box.y1)), colour, 2);
    const std::string name = api::label_name(box.label, labels);
    cv::putText(rgb, fmt::format("{} #{} {:.0f}%", name, box.track_id, box.score * 100.0F),
                top_left + cv::Point(0, -4), cv::FONT_HERSHEY_SIMPLEX, 0.5, colour, 1, cv::LINE_AA);
  }
}

json frame_record(const std::string& source, std::int64_t index, double time_s, int width, int height,
                  const std::vector<TrackBox>& boxes, const std::vector<std::string>& labels) {
  json found = json::array();
  for (const auto& box : boxes) {
    auto label = api::custom_label_json({box.x0, box.y0, box.x1, box.y1, box.label, box.score},
                                        api::label_name(box.label, labels), width, height);
    label["TrackId"] = box.track_id;
    found.push_back(std::move(label));
  }
  return {{"video", source}, {"frame", index},   {"time_s", time_s},
          {"width", width},  {"height", height}, {"CustomLabels", found}};
}

json summary_json(const AnalysisSummary& summary, const AnalysisOptions& options, const std::string& model) {
  json labels = json::array();
  for (const auto& label : summary.exposure.labels) {
    labels.push_back({{"name", label.name},
                      {"exposures", label.exposures},
                      {"seconds_on_screen", label.seconds},
                      {"longest_exposure_s", label.longest_s},
                      {"first_s", label.first_s},
                      {"last_s", label.last_s},
                      {"mean_share_of_screen", label.mean_share},
                      {"max_share_of_screen", label.max_share},
                      {"centre_fraction", label.centre_fraction},
                      {"mean_confidence", label.mean_confidence * 100.0},
                      {"mean_sharpness", label.mean_sharpness},
                      {"share_of_voice", label.share_of_voice},
                      {"solus_seconds", label.solus_seconds}});
  }
  json tracks = json::array();
  for (const auto& track : summary.exposure.tracks) {
    tracks.push_back({{"track_id", track.track_id},
                      {"label", summary.exposure.labels[static_cast<std::size_t>(track.label)].name},
                      {"start_s", track.start_s},
                      {"end_s", track.end_s},
                      {"seconds", track.seconds()},
                      {"detections", track.detections},
                      {"mean_share_of_screen", track.mean_share},
                      {"max_share_of_screen", track.max_share},
                      {"centre_fraction", track.centre_fraction},
                      {"mean_confidence", track.mean_confidence * 100.0},
                      {"mean_sharpness", track.mean_sharpness},
                      {"best_time_s", track.best_time_s}});
  }
  return {{"video",
           {{"source", summary.video.source},
            {"fps", summary.video.fps},
            {"width", summary.video.width},
            {"height", summary.video.height},
            {"frames", summary.video.frames},
            {"duration_s", summary.video.duration_s()}}},
          {"model", model},
          {"settings",
           {{"every_s", options.every_s},
            {"stride_frames", summary.stride},
            {"min_confidence", options.min_confidence},
            {"max_gap_s", options.max_gap_s},
            {"min_hits", options.min_hits}}},
          {"complete", summary.complete},
          {"stopped", summary.stopped},
          {"frames_read", summary.frames_read},
          {"frames_analysed", summary.frames_analysed},
          {"video_s_covered", summary.video_s},
          {"wall_s", summary.wall_s},
          {"real_time_factor", summary.wall_s > 0 ? summary.video_s / summary.wall_s : 0.0},
          {"labels", labels},
          {"exposures", tracks}};
}

std::string timeline_csv(const ExposureReport& report) {
  std::string text = "second,label,seconds_on_screen\n";
  for (std::size_t second = 0; second < report.timeline.size(); ++second) {
    for (std::size_t label = 0; label < report.labels.size(); ++label) {
      const double seconds = report.timeline[second][label];
      if (seconds <= 0) continue;
      const std::string name = csv_field(report.labels[label].name);
      text += fmt::format("{},{},{:.3f}\n", second, name, seconds);
    }
  }
  return text;
}

}  // namespace

Result<AnalysisSummary> analyse_video(Session& session, const std::string& source, const std::string& out_dir,
                                      const AnalysisOptions& options,
                                      const std::function<void(const AnalysisProgress&)>& on_progress,
                                      const std::atomic<bool>* cancel) {
  const auto& description = session.model().description();
  FrameDetector detector;
  detector.name = description.directory;
  detector.labels = description.labels;
  detector.min_confidence = description.min_confidence;
  detector.detect = [&session](const cv::Mat& rgb, double floor) -> Result<std::vector<Detection>> {
    DetectOptions detect_options;
    detect_options.min_confidence = floor * 100.0;
    const ImageView view{rgb.data, rgb.cols, rgb.rows, rgb.step[0], PixelFormat::kRgb8};
    auto found = session.detect(view, detect_options);
    if (!found) return found.error();
    std::vector<Detection> detections;
    for (const auto& label : found->labels) {
      const auto& p = label.pixel_box;
      detections.push_back(
          {p.x0, p.y0, p.x1, p.y1, label.label_index, static_cast<float>(label.confidence / 100.0)});
    }
    return detections;
  };
  return analyse_video(detector, source, out_dir, options, on_progress, cancel);
}

Result<AnalysisSummary> analyse_video(const FrameDetector& detector, const std::string& source,
                                      const std::string& out_dir, const AnalysisOptions& options,
                                      const std::function<void(const AnalysisProgress&)>& on_progress,
                                      const std::atomic<bool>* cancel) {
  std::error_code error;
  if (auto usable = check_output_folder(out_dir, options.overwrite); !usable) return usable.error();
  auto reader = VideoReader::open(source);
  if (!reader) return reader.error();
  fs::create_directories(out_dir, error);
  if (error)
    return Error{ErrorCode::kIo, fmt::format("{}: cannot create the folder: {}", out_dir, error.message())};

  const auto& labels = detector.labels;
  AnalysisSummary summary;
  summary.video = (*reader)->info();
  const double fps = summary.video.fps;
  summary.stride =
      options.every_s <= 0 ? 1 : std::max(1, static_cast<int>(std::lround(options.every_s * fps)));
  const double interval_s = summary.stride / fps;

  // Starting a track takes the label's threshold; continuing one, half of it (ByteTrack's two passes).
  std::vector<float> high(labels.size());
  float lowest = 1.0F;
  for (std::size_t l = 0; l < labels.size(); ++l) {
    const double percent = options.min_confidence >= 0          ? options.min_confidence
                           : l < detector.min_confidence.size() ? detector.min_confidence[l]
                                                                : 50.0;
    high[l] = static_cast<float>(percent / 100.0);
    lowest = std::min(lowest, high[l]);
  }
  TrackerOptions tracker_options;
  tracker_options.low_score = std::max(0.01F, lowest / 2);
  tracker_options.max_gap_s = options.max_gap_s;
  tracker_options.min_hits = options.min_hits;
  Tracker tracker(tracker_options);
  tracker.set_high_scores(high);
  ExposureCounter exposure(labels, interval_s);

  // Written under temporary names and renamed when the video is done (summary.json last): a run
  // killed midway leaves no detections.jsonl or annotated.mp4 that looks whole.
  PartialFile jsonl_file((fs::path(out_dir) / "detections.jsonl").string());
  std::ofstream jsonl(jsonl_file.path(), std::ios::trunc);
  if (!jsonl) return Error{ErrorCode::kIo, fmt::format("{}/detections.jsonl: cannot write", out_dir)};
  const std::string annotated_path = (fs::path(out_dir) / "annotated.mp4").string();
  PartialFile annotated_file(annotated_path, true);
  cv::VideoWriter annotated;  // closed before annotated_file removes an unkept file
  if (options.annotated_video) {
    annotated.open(annotated_file.path(), cv::VideoWriter::fourcc('m', 'p', '4', 'v'), fps,
                   {summary.video.width, summary.video.height});
    if (!annotated.isOpened()) return Error{ErrorCode::kIo, fmt::format("{}: cannot write", annotated_path)};
  }

  // The most confident detection of each track, as a thumbnail for the report. Tracks that end
  // without counting are dropped now and then, so that memory follows the exposures only.
  struct Thumbnail {
    float score = -1;
    std::vector<std::uint8_t> jpeg;
  };
  std::map<std::int64_t, Thumbnail> thumbnails;
  std::set<std::int64_t> counted;
  auto prune_thumbnails = [&] {
    const auto active = tracker.active_ids();
    std::erase_if(thumbnails, [&](const auto& entry) {
      return counted.count(entry.first) == 0 &&
             std::find(active.begin(), active.end(), entry.first) == active.end();
    });
  };
  auto take_finished = [&] {
    auto finished = tracker.take_finished();
    for (const auto& track : finished) counted.insert(track.id);
    exposure.add_finished(finished);
  };

  const auto started = Clock::now();
  Frame frame;
  std::vector<TrackBox> shown;  // the boxes drawn on the frames between analysed ones
  for (std::int64_t index = 0;; ++index) {
    if (cancel != nullptr && cancel->load()) {
      summary.complete = false;
      summary.stopped = fmt::format("interrupted at {:.3f} s (frame {})", summary.video_s, index);
      break;
    }
    const bool analysed = index % summary.stride == 0;
    if (!analysed && !options.annotated_video) {
      double time_s = 0;
      if (!(*reader)->skip(&time_s)) break;
      ++summary.frames_read;
      summary.video_s = time_s + 1.0 / fps;
      continue;
    }
    if (!(*reader)->read(frame)) break;
    ++summary.frames_read;
    summary.video_s = frame.time_s + 1.0 / fps;
    if (analysed) {
      auto detections = detector.detect(frame.rgb, tracker_options.low_score);
      if (!detections) return detections.error();
      shown = tracker.update(frame.time_s, *detections);
      std::vector<double> sharp;
      sharp.reserve(shown.size());
      for (const auto& box : shown) sharp.push_back(sharpness(frame.rgb, box));
      exposure.add(frame.time_s, frame.rgb.cols, frame.rgb.rows, shown, sharp);
      take_finished();
      for (const auto& box : shown) {
        auto& best = thumbnails[box.track_id];
        if (box.score > best.score) best = {box.score, thumbnail(frame.rgb, box)};
      }
      if (summary.frames_analysed % 64 == 0) prune_thumbnails();
      jsonl << frame_record(source, frame.index, frame.time_s, frame.rgb.cols, frame.rgb.rows, shown, labels)
                   .dump()
            << "\n";
      ++summary.frames_analysed;
      if (on_progress) {
        on_progress({summary.frames_read, summary.video.frames, summary.video_s,
                     std::chrono::duration<double>(Clock::now() - started).count()});
      }
    }
    if (options.annotated_video) {
      draw_tracks(frame.rgb, shown, labels);
      cv::Mat bgr;
      cv::cvtColor(frame.rgb, bgr, cv::COLOR_RGB2BGR);
      annotated.write(bgr);
    }
  }
  if (summary.complete && !(*reader)->error().empty()) {
    summary.complete = false;
    summary.stopped = (*reader)->error();
  }
  tracker.finish();
  take_finished();
  summary.wall_s = std::chrono::duration<double>(Clock::now() - started).count();
  summary.exposure = exposure.report(summary.video_s);
  jsonl.close();
  if (!jsonl) return Error{ErrorCode::kIo, fmt::format("{}/detections.jsonl: write failed", out_dir)};
  if (auto kept = jsonl_file.keep(); !kept) return kept.error();
  if (annotated.isOpened()) {
    annotated.release();
    if (auto kept = annotated_file.keep(); !kept) return kept.error();
  }

  if (auto written = write_file_atomically((fs::path(out_dir) / "timeline.csv").string(),
                                           timeline_csv(summary.exposure));
      !written) {
    return written.error();
  }
  std::map<std::int64_t, std::vector<std::uint8_t>> report_thumbnails;
  for (const auto& track : summary.exposure.tracks) {
    if (auto found = thumbnails.find(track.track_id);
        found != thumbnails.end() && !found->second.jpeg.empty()) {
      report_thumbnails[track.track_id] = std::move(found->second.jpeg);
    }
  }
  if (auto written = write_file_atomically((fs::path(out_dir) / "report.html").string(),
                                           video_report_html(summary, detector.name, report_thumbnails));
      !written) {
    return written.error();
  }
  if (auto written = write_file_atomically((fs::path(out_dir) / "summary.json").string(),
                                           summary_json(summary, options, detector.name).dump(2) + "\n");
      !written) {
    return written.error();
  }
  return summary;
}

}  // namespace logoscope::video
