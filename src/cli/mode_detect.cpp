#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/custom_labels.hpp"
#include "cli/cli_app.hpp"
#include "cli/image_inputs.hpp"
#include "cli/modes.hpp"
#include "core/progress.hpp"
#include "imageio/image_io.hpp"
#include "infer/predictor.hpp"
#include "render/annotate.hpp"

namespace fs = std::filesystem;

namespace logoscope::cli {

namespace {

struct DetectArgs {
  std::string model;
  std::vector<std::string> inputs;
  double min_confidence = -1;
  std::size_t max_results = 0;
  std::vector<std::string> labels;
  std::string out;
  std::string draw_dir;
  bool class_agnostic = false;
  int long_side = 0;
  int threads = 0;
};

int run_detect(const DetectArgs& args, const CommonOptions& common) {
  infer::PredictorOptions options;
  options.long_side = args.long_side;
  options.threads = args.threads;
  options.nms.class_agnostic = args.class_agnostic;
  options.min_score = args.min_confidence >= 0 ? static_cast<float>(std::min(args.min_confidence / 100.0, 0.05)) : 0.01F;
  auto predictor = value_or_throw(infer::Predictor::load(args.model, options));
  const auto& info = predictor->info();

  api::LabelFilter filter;
  filter.max_results = args.max_results;
  filter.min_confidence = args.min_confidence >= 0
                              ? std::vector<float>(info.labels.size(), static_cast<float>(args.min_confidence / 100.0))
                              : info.thresholds;
  if (!args.labels.empty()) {
    filter.allowed.assign(info.labels.size(), false);
    for (const auto& name : args.labels) {
      const auto it = std::find(info.labels.begin(), info.labels.end(), name);
      if (it == info.labels.end()) {
        throw Failure(Error{ErrorCode::kInvalidArgument,
                            fmt::format("--labels: the model has no label \"{}\"", name)});
      }
      filter.allowed[static_cast<std::size_t>(it - info.labels.begin())] = true;
    }
  }
  const auto images = value_or_throw(expand_image_inputs(args.inputs));
  std::ofstream file_out;
  if (!args.out.empty()) {
    refuse_to_overwrite(args.out, images);
    file_out.open(args.out, std::ios::trunc);
    if (!file_out) throw Failure(Error{ErrorCode::kIo, fmt::format("{}: cannot write", args.out)});
  }
  std::ostream& out = args.out.empty() ? std::cout : file_out;
  if (!args.draw_dir.empty()) fs::create_directories(args.draw_dir);

  int failures = 0;
  Progress bar("detecting", static_cast<std::int64_t>(images.size()), !common.quiet && images.size() > 1);
  for (const auto& path : images) {
    auto decoded = imageio::decode_image_file(path);
    bar.advance();
    if (!decoded) {
      ++failures;
      out << nlohmann::json{{"image", path},
                            {"error", {{"code", error_code_name(decoded.error().code)}, {"message", decoded.error().message}}}}
                 .dump()
          << "\n";
      continue;
    }
    ImageDetections result;
    result.image = path;
    result.width = decoded->rgb.cols;
    result.height = decoded->rgb.rows;
    result.detections = api::filter_detections(predictor->detect(decoded->rgb), filter);
    out << api::to_custom_labels_json(result, info.labels).dump() << "\n";
    if (!args.draw_dir.empty()) {
      const std::string drawn = (fs::path(args.draw_dir) / (fs::path(path).stem().string() + ".jpg")).string();
      auto written = imageio::write_image_file(render::draw_detections(decoded->rgb, result.detections, info.labels), drawn);
      if (!written) spdlog::warn("{}", written.error().message);
    }
  }
  bar.finish();
  if (failures > 0) {
    spdlog::warn("{} of {} images could not be read (see their \"error\" lines)", failures, images.size());
    return kExitProblems;
  }
  return kExitOk;
}

}  // namespace

void register_detect(CLI::App& app, RunState& state, const CommonOptions& common) {
  auto args = std::make_shared<DetectArgs>();
  CLI::App* cmd = app.add_subcommand(
      "detect",
      "Find logos in images with a trained model. Prints one JSON line per image in the shape of\n"
      "Rekognition's DetectCustomLabels response (CustomLabels[].Name, Confidence 0-100,\n"
      "Geometry.BoundingBox ratios) plus \"image\" and pixel boxes. An unreadable image gets an\n"
      "\"error\" line and exit code 1 at the end; the run goes on.\n"
      "Example: logoscope detect --model model photos/ --min-confidence 50 --draw annotated/");
  cmd->add_option("--model", args->model, "Model folder (from `logoscope train`)")->required();
  cmd->add_option("inputs", args->inputs, "Images, folders (recursive) or .txt lists of paths")->required();
  cmd->add_option("--min-confidence", args->min_confidence,
                  "0-100; omitted: each label's assumed threshold from the model's evaluation; 0: everything")
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--max-results", args->max_results, "Keep the top N labels per image (0 = all)");
  cmd->add_option("--labels", args->labels, "Only report these labels");
  cmd->add_option("--out", args->out, "Write JSON Lines here instead of stdout");
  cmd->add_option("--draw", args->draw_dir, "Write annotated copies of the images into this folder");
  cmd->add_flag("--class-agnostic-nms", args->class_agnostic, "Let boxes of different labels suppress each other");
  cmd->add_option("--size", args->long_side, "Resize images so their long side is this (default: the model's)");
  cmd->add_option("--threads", args->threads, "CPU threads (0 = all cores)");
  cmd->callback([args, &state, &common] { state.exit_code = run_detect(*args, common); });
}

}  // namespace logoscope::cli
