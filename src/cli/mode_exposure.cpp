// `logoscope exposure`: one brand-exposure summary over every video folder `logoscope video` wrote
// under OUT (one run, or the shards of an array job): exposure.json and exposure.csv
// (video/exposure_totals.hpp).
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "cli/cli_app.hpp"
#include "cli/modes.hpp"
#include "storage/storage.hpp"
#include "video/exposure_totals.hpp"

namespace logoscope::cli {

namespace {

struct ExposureArgs {
  std::string out;
  bool json = false;
};

// OUT/NAME/summary.json, one level down (a video's folder), as listed (local or s3://).
bool is_video_summary(const std::string& uri, const std::string& out) {
  const std::string prefix = out + "/";
  if (uri.rfind(prefix, 0) != 0) return false;
  const std::string rest = uri.substr(prefix.size());
  const auto slash = rest.find('/');
  return slash != std::string::npos && slash > 0 && rest.substr(slash) == "/summary.json";
}

int run_exposure(ExposureArgs args) {
  while (args.out.size() > 1 && args.out.back() == '/') args.out.pop_back();
  const auto listed = value_or_throw(storage::list_files(args.out));
  std::vector<video::SummaryFile> files;
  for (const auto& entry : listed) {
    if (!is_video_summary(entry.uri, args.out)) continue;
    auto text = storage::read_text(entry.uri);
    const std::string folder = entry.uri.substr(0, entry.uri.size() - std::string("/summary.json").size());
    files.push_back({folder, text ? *text : std::string()});
  }
  if (files.empty()) {
    throw Failure(Error{ErrorCode::kNotFound,
                        fmt::format("{}: no video folder with a summary.json (what `logoscope video --out {}` writes)",
                                    args.out, args.out)});
  }
  const auto totals = video::sum_exposure(files);
  const auto json = video::exposure_json(totals);
  const std::string json_path = storage::join(args.out, "exposure.json");
  const std::string csv_path = storage::join(args.out, "exposure.csv");
  if (auto written = storage::write_file(csv_path, video::exposure_csv(totals)); !written) throw Failure(written.error());
  if (auto written = storage::write_file(json_path, json.dump(2) + "\n"); !written) throw Failure(written.error());
  for (const auto& problem : totals.problems) spdlog::error("{}", problem);
  for (const auto& row : totals.videos) {
    if (!row.complete) spdlog::warn("{}: the analysis stopped before the end; counted as far as it went", row.folder);
  }
  if (args.json) {
    std::cout << json.dump(2) << "\n";
  } else {
    std::cout << fmt::format("{} videos, {:.1f} s of video; {} and {}\n", totals.videos.size(), totals.video_s,
                             json_path, csv_path);
    std::cout << fmt::format("  {:<20} {:>7} {:>9} {:>10} {:>11} {:>9} {:>8}\n", "label", "videos", "exposures",
                             "seconds", "longest s", "voice %", "solus s");
    for (const auto& label : totals.labels) {
      std::cout << fmt::format("  {:<20} {:>7} {:>9} {:>10.2f} {:>11.2f} {:>9.1f} {:>8.2f}\n", label.name,
                               label.videos, label.exposures, label.seconds, label.longest_s,
                               label.share_of_voice * 100.0, label.solus_seconds);
    }
  }
  const bool incomplete = std::any_of(totals.videos.begin(), totals.videos.end(), [](const auto& row) { return !row.complete; });
  return totals.problems.empty() && !incomplete ? kExitOk : kExitProblems;
}

}  // namespace

void register_exposure(CLI::App& app, RunState& state, const CommonOptions& /*common*/) {
  auto args = std::make_shared<ExposureArgs>();
  CLI::App* cmd = app.add_subcommand(
      "exposure",
      "Sum the exposure reports of many videos: every OUT/NAME/summary.json that `logoscope video --out OUT`\n"
      "wrote (one run, or every shard of an array job) into OUT/exposure.json and OUT/exposure.csv: per\n"
      "label the videos it appeared in, exposures, seconds on screen, longest exposure, solus seconds and\n"
      "share of voice over all videos, and the same per video. Exit code 1 when a summary could not be read\n"
      "or a video's analysis stopped early (it is counted as far as it went).\n"
      "Example: logoscope exposure exposure/\n"
      "         logoscope exposure s3://reports/june-matches/ --json");
  cmd->add_option("out", args->out, "The --out the video runs were given (local folder or s3:// prefix)")->required();
  cmd->add_flag("--json", args->json, "Print exposure.json on stdout instead of the table");
  cmd->callback([args, &state] { state.exit_code = run_exposure(*args); });
}

}  // namespace logoscope::cli
