#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include "api/custom_labels.hpp"
#include "cli/cli_app.hpp"
#include "library/evaluation_run.hpp"
#include "dataset/image_inputs.hpp"
#include "cli/modes.hpp"
#include "core/files.hpp"
#include "dataset/split.hpp"
#include "dataset/validate.hpp"
#include "imageio/image_io.hpp"
#include "infer/predictor.hpp"
#include "render/annotate.hpp"
#include "synth/synth_dataset.hpp"
#include "train/console_progress.hpp"
#include "train/trainer.hpp"

namespace fs = std::filesystem;

namespace logoscope::cli {

namespace {

// The file that marks a folder as the demo's own: only such a folder is reused without --overwrite.
constexpr const char* kDemoMarker = ".logoscope-demo";
constexpr const char* kDemoMarkerText =
    "This folder was written by `logoscope demo`; a later demo replaces its files without asking.\n"
    "Delete this file to keep the demo from writing here again without --overwrite.\n";

struct DemoArgs {
  std::string out_dir = "logoscope-demo";
  int images = 60;
  std::int64_t steps = 200;
  std::string time_budget;
  std::uint64_t seed = 1;
  bool no_train = false;
  bool from_base = false;
  bool overwrite = false;
};

// The demo's logos as a brand would hand them over, PNGs with transparency (logos/NAME.png), for
// one-shot training (`train --reference NAME=logos/NAME.png`).
void write_demo_logos(const fs::path& dir, int labels) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Failure(Error{ErrorCode::kIo, fmt::format("{}: cannot create folder: {}", dir.string(), ec.message())});
  for (int label = 0; label < labels; ++label) {
    const synth::Mark mark = synth::render_mark(label, 256);
    cv::Mat bgra;
    cv::cvtColor(mark.rgb, bgra, cv::COLOR_RGB2BGRA);
    cv::insertChannel(mark.mask, bgra, 3);
    const std::string path = (dir / (synth::synthetic_label_name(label) + ".png")).string();
    if (!cv::imwrite(path, bgra)) throw Failure(Error{ErrorCode::kIo, fmt::format("{}: cannot write", path)});
  }
}

int run_demo(const DemoArgs& args, const CommonOptions& common) {
  // A folder an earlier demo wrote (and marked) is the demo's own to replace; anything else needs
  // --overwrite, whatever files it holds.
  std::error_code ec;
  const fs::path marker = fs::path(args.out_dir) / kDemoMarker;
  const bool earlier_demo = fs::is_regular_file(marker, ec);
  if (!earlier_demo) check_output(args.out_dir, {}, args.overwrite, "--out");
  fs::create_directories(args.out_dir, ec);
  if (auto marked = write_file_atomically(marker.string(), kDemoMarkerText); !marked) throw Failure(marked.error());
  synth::SynthOptions options;
  options.images = args.images;
  options.seed = args.seed;
  options.labels = 2;
  spdlog::info("1/5 generating {} synthetic photos with {} logos in {}", options.images, options.labels,
               args.out_dir);
  const Dataset data = value_or_throw(synth::write_synthetic_dataset(args.out_dir, options));
  const std::string manifest = (fs::path(args.out_dir) / "dataset.manifest").string();
  auto written = dataset::write_dataset(data, manifest, dataset::DatasetFormat::kManifest);
  if (!written) throw Failure(written.error());
  write_demo_logos(fs::path(args.out_dir) / "logos", options.labels);

  spdlog::info("2/5 validating {}", manifest);
  Problems problems;
  const Dataset reread =
      value_or_throw(dataset::read_dataset(manifest, dataset::DatasetFormat::kManifest, problems));
  dataset::ValidateOptions validate;
  const auto report = dataset::validate_dataset(reread, manifest, problems, validate);
  std::cout << fmt::format("Ground Truth manifest: {}\n", manifest) << dataset::format_report(report);
  if (report.error_count() > 0) return kExitProblems;
  if (args.no_train) return kExitOk;

  spdlog::info("3/5 splitting 75/25 and training for {}",
               args.time_budget.empty() ? fmt::format("{} steps", args.steps) : args.time_budget);
  dataset::SplitOptions split;
  split.test_fraction = 0.25;
  split.seed = args.seed;
  const auto parts = value_or_throw(dataset::split_dataset(reread, split));
  for (const auto& [name, part] : {std::pair{"train", &parts.train}, std::pair{"test", &parts.test}}) {
    auto saved =
        dataset::write_dataset(*part, (fs::path(args.out_dir) / (std::string(name) + ".manifest")).string(),
                               dataset::DatasetFormat::kManifest);
    if (!saved) throw Failure(saved.error());
  }
  train::TrainInputs inputs;
  inputs.train = parts.train;
  inputs.train_source = (fs::path(args.out_dir) / "train.manifest").string();
  inputs.test = parts.test;
  inputs.test_source = (fs::path(args.out_dir) / "test.manifest").string();
  train::TrainConfig config;
  // A step budget gives the same model on a fast or a slow or a busy machine; --time-budget trades
  // that for a fixed wall time.
  if (args.time_budget.empty()) {
    config.max_steps = args.steps;
    config.time_budget_s = 1e9;
  } else {
    config.time_budget_s = value_or_throw(dataset::parse_duration(args.time_budget));
  }
  config.seed = args.seed;
  config.on_progress = train::console_progress(!common.quiet);
  // The demo's procedural marks on backgrounds full of unboxed shapes and made-up words are what
  // the base model learnt to call logos: from the base, 60 s gave mean F1 0.74 against 1.0 from
  // scratch (BENCHMARKS.md, "Demo and tests"), so the demo starts from scratch unless asked.
  config.base_model = args.from_base ? base_model_to_start_from("", false) : "";
  const std::string model_dir = (fs::path(args.out_dir) / "model").string();
  const auto summary = value_or_throw(train::train_detector(inputs, config, model_dir));

  spdlog::info("4/5 evaluation on {} held-out images", parts.test.samples.size());
  infer::PredictorOptions eval_options;
  eval_options.min_score = 0.01F;  // low, so the curves reach high recall
  auto predictor = value_or_throw(infer::Predictor::load(model_dir, eval_options));
  Dataset test = parts.test;
  Problems eval_problems;
  std::string predictions_jsonl;
  const auto detections = library::run_model_on_dataset(*predictor, test, false, eval_problems, predictions_jsonl);
  const auto evaluation = eval::evaluate(test, detections);
  const auto folder =
      library::write_evaluation_folder(evaluation, {model_dir, inputs.test_source, ""},
                              (fs::path(args.out_dir) / "evaluation").string(), predictions_jsonl, "");
  std::cout << fmt::format("\nTrained in {:.0f} s ({} steps). Evaluation on {} held-out images:\n",
                           summary.train_seconds, summary.steps, test.samples.size())
            << eval::format_evaluation_summary(evaluation);

  spdlog::info("5/5 detecting logos in a new image");
  synth::SynthOptions fresh = options;
  fresh.seed = args.seed + 1000;
  fresh.images = 1;
  fresh.empty_image_fraction = 0;
  const Dataset held_out =
      value_or_throw(synth::write_synthetic_dataset((fs::path(args.out_dir) / "new").string(), fresh));
  const std::string image_path = held_out.samples[0].image;
  const auto decoded = value_or_throw(imageio::decode_image_file(image_path));
  api::LabelFilter filter;
  filter.min_confidence = predictor->info().thresholds;
  ImageDetections result{image_path, decoded.rgb.cols, decoded.rgb.rows,
                         api::filter_detections(predictor->detect(decoded.rgb), filter)};
  const std::string drawn = (fs::path(args.out_dir) / "new_detections.jpg").string();
  auto saved = imageio::write_image_file(
      render::draw_detections(decoded.rgb, result.detections, predictor->info().labels), drawn);
  if (!saved) throw Failure(saved.error());
  std::cout << "\nlogoscope detect output (DetectCustomLabels shape):\n"
            << api::to_custom_labels_json(result, predictor->info().labels).dump(2) << "\n";
  std::cout << fmt::format("(the image holds {} logos)\n\n", held_out.samples[0].boxes.size());
  std::cout << fmt::format("model:            {}\n", model_dir)
            << fmt::format("evaluation:       {}  (report: {})\n", folder.summary, folder.report)
            << fmt::format("annotated image:  {}\n", drawn)
            << fmt::format("training log:     {}/training.csv\n", model_dir)
            << "Next: logoscope detect --model " << model_dir << " YOUR_IMAGES --draw annotated/\n";
  return kExitOk;
}

}  // namespace

void register_demo(CLI::App& app, RunState& state, const CommonOptions& common) {
  auto args = std::make_shared<DemoArgs>();
  CLI::App* cmd = app.add_subcommand(
      "demo",
      "The whole journey on generated data, in one to three minutes on 2 cores: generate a synthetic\n"
      "logo dataset (procedural marks on procedural backgrounds, no downloads), validate it, train a\n"
      "detector for a fixed number of steps (the same result on any machine), evaluate it on held-out\n"
      "images and detect logos in a new image (annotated copy written).\n"
      "Example: logoscope demo --out /tmp/demo");
  cmd->add_option("--out", args->out_dir, "Folder for the demo's files")->capture_default_str();
  cmd->add_option("--images", args->images, "Number of generated images")
      ->capture_default_str()
      ->check(between(8, 100000));
  auto* steps = cmd->add_option("--steps", args->steps, "Training steps (batches of 16)")->capture_default_str()
      ->check(between(1, 1000000));
  cmd->add_option("--time-budget", args->time_budget, "Train for this long instead of --steps (e.g. 60s, 2m)")
      ->excludes(steps);
  cmd->add_option("--seed", args->seed, "Random seed")->capture_default_str()->check(at_least(0));
  cmd->add_flag("--no-train", args->no_train, "Only generate and validate the dataset");
  cmd->add_flag("--from-base", args->from_base,
                "Start from the built-in base model as `logoscope train` does (default here: from scratch,\n"
                "which suits the demo's procedural marks better)");
  add_overwrite_flag(*cmd, args->overwrite);
  cmd->callback([args, &state, &common] { state.exit_code = run_demo(*args, common); });
}

}  // namespace logoscope::cli
