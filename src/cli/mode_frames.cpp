// `logoscope frames`: frames of a video for labeling (video/frame_export.hpp).
#include <iostream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "cli/cli_app.hpp"
#include "cli/modes.hpp"
#include "core/progress.hpp"
#include "core/text.hpp"
#include "video/frame_export.hpp"

namespace logoscope::cli {

namespace {

struct FramesArgs {
  std::string video;
  std::string out;
  double every_s = 1.0;
  double scene_change = 0.3;
  double duplicate = 0.02;
  std::int64_t max_frames = 0;
  int quality = 92;
  bool json = false;
  bool overwrite = false;
};

int run_frames(const FramesArgs& args, const CommonOptions& common) {
  // The folder is checked for earlier files by export_frames; here, that it is not the video's.
  if (auto apart = InputSet{args.video}.check_output(args.out, "--out"); !apart) throw Failure(apart.error());
  video::ExportOptions options;
  options.sampler.every_s = args.every_s;
  options.sampler.scene_change = args.scene_change;
  options.sampler.duplicate = args.duplicate;
  options.max_frames = args.max_frames;
  options.jpeg_quality = args.quality;
  options.overwrite = args.overwrite;
  const InterruptFlag interrupted;  // Ctrl-C: the frames so far, and a manifest that lists them
  std::unique_ptr<Progress> bar;
  std::int64_t shown = 0;
  auto summary = video::export_frames(
      args.video, args.out, options,
      [&](std::int64_t read, std::int64_t total) {
        if (common.quiet) return;
        if (!bar) bar = std::make_unique<Progress>("reading frames", total, true);
        bar->advance(read - shown);
        shown = read;
      },
      interrupted.flag());
  if (bar) bar->finish();
  if (!summary) throw Failure(summary.error());
  if (!summary->complete)
    spdlog::warn("{}: {}; the frames up to there are written", args.video, summary->stopped);
  if (args.json) {
    std::cout << nlohmann::json{{"video", args.video},
                                {"manifest", summary->manifest},
                                {"frames_read", summary->frames_read},
                                {"frames_kept", summary->frames_kept},
                                {"by_interval", summary->by_interval},
                                {"by_scene_change", summary->by_scene_change},
                                {"duplicates_dropped", summary->duplicates_dropped},
                                {"complete", summary->complete},
                                {"stopped", summary->stopped}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << fmt::format(
        "{}: kept {} of {} ({} at scene changes, {} near duplicates dropped); {}\n"
        "label them (any tool that takes a Ground Truth input manifest), or get suggestions:\n"
        "  logoscope detect --model MODEL {}/images --draw suggested/\n",
        args.video, count_of(static_cast<std::size_t>(summary->frames_kept), "frame"), summary->frames_read,
        summary->by_scene_change, summary->duplicates_dropped, summary->manifest, args.out);
  }
  return summary->complete ? kExitOk : kExitProblems;
}

}  // namespace

void register_frames(CLI::App& app, RunState& state, const CommonOptions& common) {
  auto args = std::make_shared<FramesArgs>();
  CLI::App* cmd = app.add_subcommand(
      "frames",
      "Frames of a video for labeling: one every --every seconds, one at each scene change, none that\n"
      "nearly repeats the last one kept. Writes OUT/images/NAME_tSECONDS.jpg and OUT/frames.manifest, a\n"
      "Ground Truth input manifest (source-ref + the frame's video, number and time) for labeling tools.\n"
      "Example: logoscope frames match.mp4 --out to-label/ --every 2\n"
      "         logoscope frames clip.mov --out to-label/ --every 0          (scene changes only)");
  cmd->add_option("video", args->video, "Video file or stream URL")->required();
  cmd->add_option("--out", args->out, "Folder for the frames and the manifest")->required();
  cmd->add_option("--every", args->every_s, "Seconds between kept frames (0: scene changes only)")
      ->capture_default_str()
      ->check(between(0.0, 3600.0));
  cmd->add_option("--scene-change", args->scene_change,
                  "Change of the grey histogram between consecutive frames (0-1) that starts a new scene\n"
                  "(motion and panning barely change it; a cut does)")
      ->capture_default_str()
      ->check(between(0.0, 1.0));
  cmd->add_option("--duplicate", args->duplicate,
                  "A frame this close (0-1) to the last one kept is dropped as a near duplicate")
      ->capture_default_str()
      ->check(between(0.0, 1.0));
  cmd->add_option("--max-frames", args->max_frames, "Stop after this many frames (0: no limit)")
      ->capture_default_str()
      ->check(between(0, 100'000'000));
  cmd->add_option("--quality", args->quality, "JPEG quality of the frames")
      ->capture_default_str()
      ->check(between(1, 100));
  cmd->add_flag("--json", args->json, "Print the summary as JSON on stdout");
  add_overwrite_flag(*cmd, args->overwrite);
  cmd->callback([args, &state, &common] { state.exit_code = run_frames(*args, common); });
}

}  // namespace logoscope::cli
