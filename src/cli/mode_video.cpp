// `logoscope video`: detection with tracking and sponsor exposure reports (video/video_analysis.hpp).
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "cli/cli_app.hpp"
#include "cli/modes.hpp"
#include "storage/output_folder.hpp"
#include "storage/storage.hpp"
#include "core/json_fields.hpp"
#include "core/progress.hpp"
#include "core/shard.hpp"
#include "core/text.hpp"
#include "logoscope/detect.hpp"
#include "model/model_info.hpp"
#include "video/video_analysis.hpp"

namespace fs = std::filesystem;

namespace logoscope::cli {

namespace {

struct VideoArgs {
  std::string model;
  std::vector<std::string> videos;
  std::string out;
  double every_s = 0.1;
  double min_confidence = -1;
  double max_gap_s = 1.0;
  int min_hits = 2;
  bool annotated_video = false;
  int threads = 0;
  std::string tile = "off";
  int infer_size = 0;
  bool int8 = false;
  FlipAverageFlags flip_average;
  bool json = false;
  bool overwrite = false;
  std::string shard;  ///< "K/N" or "auto": this task's share of the videos (core/shard.hpp)
};

// A video an earlier try of this shard finished: its folder's summary.json says complete.
bool finished_before(const std::string& folder) {
  const auto text = storage::read_text(storage::join(folder, "summary.json"));
  if (!text) return false;
  return field_or(nlohmann::json::parse(*text, nullptr, false), "complete", false);
}

// out/STEM for each video, STEM_2, … when two share a name.
std::vector<std::string> output_folders(const std::vector<std::string>& videos, const std::string& out) {
  std::map<std::string, int> used;
  std::vector<std::string> folders;
  for (const auto& video : videos) {
    std::string stem = fs::path(video).stem().string();
    if (stem.empty()) stem = "stream";
    const int count = ++used[stem];
    folders.push_back((fs::path(out) / (count == 1 ? stem : fmt::format("{}_{}", stem, count))).string());
  }
  return folders;
}

// How the model runs on frames, from video's options.
ModelOptions model_options_of(const VideoArgs& args) {
  ModelOptions model_options;
  model_options.tiling = args.tile == "on" ? Tiling::kOn : args.tile == "auto" ? Tiling::kAuto : Tiling::kOff;
  model_options.infer_size = args.infer_size;
  model_options.int8 = args.int8;
  model_options.flip_average = args.flip_average.value();
  return model_options;
}

int run_video(const VideoArgs& args, const CommonOptions& common) {
  warn_if_fraction("--min-confidence", args.min_confidence);
  const ModelOptions model_options = model_options_of(args);
  // Neither the videos nor the model are written over, whatever --overwrite says.
  InputSet read = args.videos;
  read.add_folder_with(args.model, model::model_files());
  if (auto apart = read.check_output(args.out, "--out"); !apart) throw Failure(apart.error());
  std::optional<Shard> shard;
  if (!args.shard.empty()) shard = value_or_throw(parse_shard(args.shard, process_environment_lookup()));
  const auto model = value_or_throw(Model::load(args.model, model_options));
  Session session(model, {args.threads});
  video::AnalysisOptions options;
  options.every_s = args.every_s;
  options.min_confidence = args.min_confidence;
  options.max_gap_s = args.max_gap_s;
  options.min_hits = args.min_hits;
  options.annotated_video = args.annotated_video;
  options.overwrite = args.overwrite;

  // Ctrl-C stops the current video with valid outputs that say where it stopped.
  const InterruptFlag interrupted;
  // An s3:// --out is written into a staging folder and uploaded when the videos are done.
  if (storage::is_remote(args.out)) check_output(args.out, read, args.overwrite, "--out");
  auto out_folder = value_or_throw(storage::OutputFolder::open(args.out));
  const auto folders = output_folders(args.videos, out_folder.path());
  const auto shown_folders = output_folders(args.videos, args.out);
  int failures = 0;
  nlohmann::json results = nlohmann::json::array();
  std::size_t skipped = 0;
  for (std::size_t i = 0; i < args.videos.size() && !interrupted.raised(); ++i) {
    const auto& source = args.videos[i];
    // Folder names come from the whole list, so every shard names a video's folder alike.
    if (shard && !shard_contains(*shard, source)) continue;
    video::AnalysisOptions video_options = options;
    if (shard) {
      if (finished_before(shown_folders[i])) {
        ++skipped;
        results.push_back({{"video", source}, {"out", shown_folders[i]}, {"complete", true}, {"skipped", true}});
        continue;
      }
      video_options.overwrite = true;  // what a killed try of this task left there is redone
    }
    std::unique_ptr<Progress> bar;
    std::int64_t shown_frames = 0;
    auto on_progress = [&](const video::AnalysisProgress& progress) {
      if (common.quiet) return;
      if (!bar)
        bar = std::make_unique<Progress>(fs::path(source).filename().string(), progress.frames_total, true);
      bar->advance(progress.frames_read - shown_frames);
      shown_frames = progress.frames_read;
      bar->set_status(
          fmt::format("{:.1f}x real time", progress.wall_s > 0 ? progress.video_s / progress.wall_s : 0.0));
    };
    // A video in S3 is read from its downloaded copy (the object cache).
    std::string readable = source;
    if (storage::is_remote(source)) {
      auto local = storage::local_path(source);
      if (!local) {
        ++failures;
        spdlog::error("{}", local.error().message);
        results.push_back({{"video", source}, {"error", local.error().message}});
        continue;
      }
      readable = *local;
    }
    auto summary =
        video::analyse_video(session, readable, folders[i], video_options, on_progress, interrupted.flag());
    if (bar) bar->finish();
    if (!summary) {
      ++failures;
      spdlog::error("{}", summary.error().message);
      results.push_back({{"video", source}, {"error", summary.error().message}});
      continue;
    }
    if (!summary->complete) {
      ++failures;
      spdlog::warn("{}: {}; the outputs in {} cover the video up to there", source, summary->stopped,
                   shown_folders[i]);
    }
    const double rtf = summary->wall_s > 0 ? summary->video_s / summary->wall_s : 0;
    results.push_back(
        {{"video", source}, {"out", shown_folders[i]}, {"complete", summary->complete}, {"real_time_factor", rtf}});
    if (args.json) continue;
    std::cout << fmt::format("{}: {:.1f} s of video in {:.1f} s ({:.2f}x real time), every {} frames; {}\n",
                             source, summary->video_s, summary->wall_s, rtf, summary->stride, shown_folders[i]);
    std::cout << fmt::format("  {:<20} {:>9} {:>10} {:>11} {:>8} {:>9} {:>8}\n", "label", "exposures",
                             "seconds", "longest s", "share %", "voice %", "solus s");
    if (summary->exposure.tracks.empty()) {
      std::cout << "  no logo was on screen long enough to count as an exposure\n";
    }
    for (const auto& label : summary->exposure.labels) {
      if (label.exposures == 0) continue;
      std::cout << fmt::format("  {:<20} {:>9} {:>10.2f} {:>11.2f} {:>8.2f} {:>9.1f} {:>8.2f}\n", label.name,
                               label.exposures, label.seconds, label.longest_s, label.mean_share * 100.0,
                               label.share_of_voice * 100.0, label.solus_seconds);
    }
  }
  if (skipped > 0) spdlog::info("{} of this shard's videos were done by an earlier try and skipped", skipped);
  if (shard) {
    spdlog::info("{}: {} of {} videos are this task's; `logoscope exposure {}` sums every shard's reports",
                 shard->source, results.size(), args.videos.size(), args.out);
  }
  if (auto published = out_folder.publish(); !published) throw Failure(published.error());
  if (args.json) std::cout << results.dump(2) << "\n";
  return failures > 0 ? kExitProblems : kExitOk;
}

}  // namespace

void register_video(CLI::App& app, RunState& state, const CommonOptions& common) {
  auto args = std::make_shared<VideoArgs>();
  CLI::App* cmd = app.add_subcommand(
      "video",
      "Find logos in videos and report each brand's exposure: detections linked into tracks (one logo\n"
      "seen for 4 s is one exposure), seconds on screen, longest exposure, share of screen, placement,\n"
      "clarity, share of voice and solus seconds. Writes, per video, OUT/NAME/summary.json,\n"
      "timeline.csv (seconds on screen per second and label), detections.jsonl (every analysed frame in\n"
      "DetectCustomLabels' shape with time and track ids), report.html (the timeline drawn, a thumbnail\n"
      "per exposure) and, with --annotated-video, annotated.mp4.\n"
      "Files of any container and codec FFmpeg reads, or stream URLs (rtsp://, http://). Ctrl-C stops\n"
      "with valid outputs that say where; exit code 1 when a video could not be read to its end.\n"
      "Example: logoscope video --model model match.mp4 --out exposure/\n"
      "         logoscope video --model model clip.mov --out exposure/ --every 0 --annotated-video");
  cmd->add_option("--model", args->model, "Model folder (from `logoscope train`)")->required();
  cmd->add_option("videos", args->videos, "Video files or stream URLs")->required();
  cmd->add_option("--out", args->out, "Folder for the reports (one sub-folder per video)")->required();
  cmd->add_option("--every", args->every_s,
                  "Seconds between analysed frames (0: every frame); the tracker carries the boxes between")
      ->capture_default_str()
      ->check(between(0.0, 60.0));
  cmd->add_option("--min-confidence", args->min_confidence,
                  "0-100 a detection needs to start an exposure (omitted: each label's assumed threshold);\n"
                  "half of it continues one")
      ->check(between(0.0, 100.0));
  cmd->add_option("--max-gap", args->max_gap_s, "Seconds a logo may be missing before its exposure ends")
      ->capture_default_str()
      ->check(between(0.0, 3600.0));
  cmd->add_option("--min-hits", args->min_hits,
                  "Detections an exposure needs (1-frame flickers do not count)")
      ->capture_default_str()
      ->check(between(1, 1000));
  cmd->add_flag("--annotated-video", args->annotated_video,
                "Also write annotated.mp4: every frame with its boxes and track ids (decodes every frame)");
  cmd->add_option("--tile", args->tile,
                  "off (default): each frame resized to the model's size, fast enough for real time;\n"
                  "auto / on: also scan frames in tiles at full resolution, as detect does, for small logos\n"
                  "(measured 3-4x slower at 720p: BENCHMARKS.md)")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "off", "on"}));
  cmd->add_option("--infer-size", args->infer_size,
                  "Resize frames so their long side is this (default: the model's)")
      ->check(between(32, 16384));
  cmd->add_option("--threads", args->threads,
                  "CPU threads for the network (0 = the cores other work leaves free)")
      ->check(between(0, 1024));
  add_int8_flag(*cmd, args->int8);
  add_flip_average_flags(*cmd, args->flip_average);
  cmd->add_option("--shard", args->shard,
                  "K/N or auto: analyse shard K of N of the videos only (split by a hash of their path or URI);\n"
                  "each keeps its OUT/NAME folder, a video whose summary.json says complete is skipped, an\n"
                  "unfinished one redone. auto reads Slurm, Kubernetes Indexed Job or AWS Batch array variables\n"
                  "as detect --shard does; `logoscope exposure OUT` then sums every shard (docs/video.md)");
  cmd->add_flag("--json", args->json, "Print the results as JSON on stdout");
  add_overwrite_flag(*cmd, args->overwrite);
  cmd->callback([args, &state, &common] { state.exit_code = run_video(*args, common); });
}

}  // namespace logoscope::cli
