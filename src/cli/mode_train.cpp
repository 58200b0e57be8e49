#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/cli_app.hpp"
#include "dataset/image_inputs.hpp"
#include "cli/modes.hpp"
#include "core/text.hpp"
#include "dataset/split.hpp"
#include "eval/metrics_json.hpp"
#include "train/console_progress.hpp"
#include "logoscope/train.hpp"
#include "marks/reference_marks.hpp"
#include "model/model_info.hpp"
#include "train/trainer.hpp"

namespace logoscope::cli {

namespace {

struct TrainArgs {
  std::string train;
  std::string train_format;
  std::string test;
  std::string test_format;
  std::vector<std::string> negatives;
  std::vector<std::string> references;
  int reference_scenes = 3000;
  bool name_lockups = false;
  std::string out;
  std::string time_budget;  // empty: no cap
  int epochs = 0;
  int batch_size = 16;
  int input_size = 320;
  int infer_long_side = 512;
  double learning_rate = 2e-3;
  std::uint64_t seed = 0;
  int threads = 0;
  bool resume = false;
  std::string base;
  bool scratch = false;
  std::string architecture;
  int freeze = 0;
  std::int64_t steps = 0;
  double trunk_lr_scale = -1;
  double hard_negatives = 1.0;
  std::vector<std::string> no_flip;
  bool no_flips = false;
  bool no_flip_average = false;
  bool no_copy_paste = false;
  bool no_mosaic = false;
  bool no_distractors = false;
  bool json = false;
  bool overwrite = false;
  bool skip_bad = false;
};

// The test metrics the model recorded (model.json "metrics"), for --json.
nlohmann::json read_test_metrics(const std::string& model_dir) {
  auto info = model::read_model_info(model_dir);
  return info ? info->metrics : nlohmann::json::object();
}

// Refuses, before any work, to train into a folder that holds a model or other files.
void check_model_folder(const TrainArgs& args) {
  if (args.resume) return;  // the trainer checks that there is a checkpoint to resume
  std::error_code ec;
  if (!args.overwrite && std::filesystem::exists(std::filesystem::path(args.out) / "model.json", ec)) {
    throw Failure(Error{ErrorCode::kInvalidArgument,
                        fmt::format("--out {} already holds a trained model: add --resume to continue its training, "
                                    "--overwrite to train a new one over it, or choose another --out",
                                    args.out)});
  }
  InputSet inputs = {args.train, args.test};
  inputs.add_folder_with(args.base, model::model_files());
  inputs.add_all(args.negatives);
  for (const auto& reference : args.references) inputs.add(value_or_throw(marks::parse_reference_spec(reference)).path);
  check_output(args.out, inputs, args.overwrite, "--out");
}

// train's settings as the library's options (the checks and the stop callback are run_train's).
void copy_settings(const TrainArgs& args, TrainOptions& options) {
  options.train = args.train;
  options.train_format = args.train_format;
  options.test = args.test;
  options.test_format = args.test_format;
  options.out = args.out;
  options.negatives = args.negatives;
  options.references = args.references;
  options.reference_scenes = args.reference_scenes;
  options.reference_name_lockups = args.name_lockups;
  options.epochs = args.epochs;
  options.steps = args.steps;
  options.batch_size = args.batch_size;
  options.input_size = args.input_size;
  options.infer_size = args.infer_long_side;
  options.learning_rate = args.learning_rate;
  options.seed = args.seed;
  options.context.threads = args.threads;
  options.resume = args.resume;
  options.overwrite = args.overwrite;
  options.skip_bad = args.skip_bad;
  options.base = args.base;
  options.scratch = args.scratch;
  options.architecture = args.architecture;
  options.freeze = args.freeze;
  options.trunk_lr_scale = args.trunk_lr_scale;
  options.hard_negatives = args.hard_negatives;
  options.no_flip_labels = args.no_flip;
  options.flips = !args.no_flips;
  options.flip_average = !args.no_flip_average;
  options.copy_paste = !args.no_copy_paste;
  options.mosaic = !args.no_mosaic;
  options.distractors = !args.no_distractors;
}

int run_train(const TrainArgs& given, const CommonOptions& common) {
  TrainArgs args = given;
  if (args.resume && resume_starts_over(args.out)) {
    args.resume = false;
    args.overwrite = true;  // only the stopped run's own files are there
  }
  // Everything that can be checked without reading the data is checked first.
  TrainOptions options;
  if (args.train.empty() && args.references.empty()) {
    throw Failure(Error{ErrorCode::kInvalidArgument,
                        "give --train (labeled photos), --reference (the logo's own file: one-shot), or both"});
  }
  if (!args.time_budget.empty()) options.time_budget_s = value_or_throw(dataset::parse_duration(args.time_budget));
  check_model_folder(args);
  copy_settings(args, options);
  // Ctrl-C ends training after the current step with a whole model (the best weights so far,
  // evaluated and written); a second Ctrl-C ends the program, leaving the checkpoint for --resume.
  const InterruptFlag interrupted;
  options.stop_requested = [&interrupted] { return interrupted.raised(); };
  const auto summary = value_or_throw(logoscope::train_model(options, train::console_progress(!common.quiet)));
  if (!summary.warnings.empty()) {
    spdlog::warn("{} while reading the data{} (run `logoscope dataset validate`):",
                 count_of(summary.warnings.size(), "problem"),
                 args.skip_bad ? " (--skip-bad: the unusable records were left out, the rest trained on)" : "");
    for (std::size_t i = 0; i < std::min<std::size_t>(10, summary.warnings.size()); ++i) {
      std::cerr << "  " << summary.warnings[i] << "\n";
    }
  }
  const int exit_code = summary.stopped_by == "stopped" ? kExitProblems : kExitOk;
  if (args.json) {
    // The test set's full metrics, as model.json records them.
    const nlohmann::json test = summary.test ? read_test_metrics(args.out) : nlohmann::json();
    std::cout << nlohmann::json{{"model", args.out}, {"steps", summary.steps}, {"planned_steps", summary.planned_steps},
                                {"stopped_by", summary.stopped_by}, {"images_seen", summary.images_seen},
                                {"train_seconds", summary.train_seconds}, {"best_val_ap50", summary.best_val_ap50},
                                {"test", test}}
                     .dump(2)
              << "\n";
    return exit_code;
  }
  std::cout << fmt::format("trained for {:.0f} s ({} steps, {} augmented images); model: {}\n", summary.train_seconds,
                           summary.steps, summary.images_seen, args.out);
  if (summary.stopped_by == "stopped") {
    std::cout << fmt::format("stopped by Ctrl-C at step {}{}: the model keeps the best weights so far\n", summary.steps,
                             summary.planned_steps > 0 ? fmt::format(" of {}", summary.planned_steps) : "");
  }
  if (summary.stopped_by == "time_budget" && summary.planned_steps > summary.steps) {
    const double per_step = summary.steps > 0 ? summary.train_seconds / static_cast<double>(summary.steps) : 0.0;
    const double whole = per_step * static_cast<double>(summary.planned_steps);
    std::cout << fmt::format("--time-budget {} stopped training at {} of {} steps: expect lower accuracy; {} steps take "
                             "about {} on this CPU (run without --time-budget, or --resume continues it)\n",
                             args.time_budget, summary.steps, summary.planned_steps, summary.planned_steps,
                             whole < 90 ? fmt::format("{:.0f} s", whole) : fmt::format("{:.0f} min", whole / 60));
  }
  if (summary.test) {
    std::cout << fmt::format("test set ({}): F1 {:.3f}, precision {:.3f}, recall {:.3f}, mAP50 {:.3f}\n",
                             summary.test->source, summary.test->mean_f1, summary.test->mean_precision,
                             summary.test->mean_recall, summary.test->map50);
    std::cout << "per-label assumed thresholds are saved in the model and used by `logoscope detect`\n";
  }
  return exit_code;
}

}  // namespace

void register_train(CLI::App& app, RunState& state, const CommonOptions& common) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand(
      "train",
      "Train a detector from labeled images on the CPU. It trains for a step count (--steps; by default\n"
      "400 for one label and ~20 photos, more for more photos), so the model is the same on any\n"
      "machine; the bar shows the time left, and --time-budget caps it. Training starts from\n"
      "logoscope's built-in base model (NanoDet-g's COCO weights trained further on generated brand\n"
      "marks, models/base) unless --scratch, --base or --architecture says otherwise.\n"
      "TRAIN/TEST: any dataset format (Ground Truth manifest, COCO, YOLO, VOC). Without --test,\n"
      "20% of TRAIN is held out for testing, as Rekognition does. Photos without any of your\n"
      "logos (--negatives) cut false positives markedly. The model folder gets model.json (labels,\n"
      "per-label assumed thresholds, config, metrics), weights.pt, checkpoints and training.csv.\n"
      "One-shot, no labeling: --reference LABEL=FILE (the brand's SVG or PNG logo; repeat for more\n"
      "files or labels) trains from generated scenes that place the logo into --negatives photos and\n"
      "generated backgrounds; --train, when given too, is mixed in (docs/oneshot.md).\n"
      "Ctrl-C stops after the current step and still writes the model (best weights so far, tested;\n"
      "exit code 1); a second Ctrl-C ends at once, and --resume continues from the last checkpoint.\n"
      "Example: logoscope train --train train.manifest --test test.manifest --negatives no_logo/ --out model\n"
      "         logoscope train --reference Monster=monster.svg --negatives posts/ --test labeled.manifest --out model");
  cmd->add_option("--train", args->train, "Training dataset (optional with --reference)");
  cmd->add_option(
      "--reference", args->references,
      "One-shot: a logo file, LABEL=FILE or FILE (label = file name without extension): SVG, or PNG/WebP with "
      "transparency (a flat background colour is keyed out); repeat for more files or labels");
  cmd->add_option("--reference-scenes", args->reference_scenes,
                  "One-shot: generated training scenes (~0.3 MB of memory each)")
      ->capture_default_str()
      ->check(between(50, 50000));
  cmd->add_flag("--name-lockups", args->name_lockups,
                "One-shot: also draw the icon with its label's words beside or below it, boxed together");
  add_format_option(*cmd, "--train-format", args->train_format, "Format of --train");
  cmd->add_option("--test", args->test, "Test dataset (evaluated after training; sets the assumed thresholds)");
  add_format_option(*cmd, "--test-format", args->test_format, "Format of --test");
  cmd->add_option("--negatives", args->negatives, "Images with none of the logos: folders, files or .txt lists");
  cmd->add_option("--out", args->out, "Model folder to write")->required();
  cmd->add_option("--time-budget", args->time_budget,
                  "Cap on training time (300, 300s, 5m, 1h): training stops there if the steps are not done,\n"
                  "says how far it got, and the model is likely less accurate. Default: no cap");
  cmd->add_option("--epochs", args->epochs, "Train for this many passes over the data instead of the default steps")
      ->check(at_least(0));
  cmd->add_option("--steps", args->steps,
                  "Training steps (batches), the same model on any machine. Default: 400 for one label and up\n"
                  "to 20 photos, x (photos/20)^0.55 for more (540 photos: 2450), at most 4000")
      ->check(at_least(0));
  cmd->add_option("--batch-size", args->batch_size, "Images per step")->capture_default_str()->check(between(1, 256));
  cmd->add_option("--input-size", args->input_size, "Training crop size (multiple of 32)")
      ->capture_default_str()->check(between(64, 2048));
  cmd->add_option("--infer-size", args->infer_long_side, "Long side images are resized to for detection")
      ->capture_default_str()->check(between(64, 8192));
  cmd->add_option("--lr", args->learning_rate, "Peak learning rate (AdamW)")->capture_default_str()->check(more_than(0));
  cmd->add_option("--seed", args->seed, "Seed for the split, augmentation and initial weights")->capture_default_str()->check(at_least(0));
  cmd->add_option("--threads", args->threads, "CPU threads (0 = the cores other work leaves free)")->capture_default_str()->check(between(0, 1024));
  cmd->add_flag("--resume", args->resume, "Continue from the checkpoint in --out");
  auto* base = cmd->add_option("--base", args->base,
                               "Start from this model folder's weights instead of the built-in base model (layers\n"
                               "that do not fit, such as the classification output for another label set, start fresh)");
  cmd->add_flag("--scratch", args->scratch,
                "Do not start from the built-in base model: random weights (fcos-resnet-fpn) or NanoDet-g's COCO\n"
                "weights (nanodet-g)")
      ->excludes(base);
  cmd->add_option("--architecture", args->architecture,
                  "Network: fcos-resnet-fpn or nanodet-g (NanoDet-g, COCO-pretrained; needs\n"
                  "scripts/fetch-pretrained.sh). Default: the base model's")
      ->check(CLI::IsMember({"fcos-resnet-fpn", "nanodet-g"}));
  cmd->add_option("--trunk-lr-scale", args->trunk_lr_scale,
                  "Learning-rate factor for the pretrained trunk (default: 0.3 for nanodet-g, 1 for fcos-resnet-fpn)")
      ->check(between(0.0, 10.0));
  cmd->add_option("--hard-negatives", args->hard_negatives,
                  "How strongly negative photos the network mistakes for logos are preferred (0 = uniform)")
      ->capture_default_str()
      ->check(between(0.0, 1.0));
  cmd->add_option("--freeze", args->freeze,
                  "nanodet-g: keep the first parts fixed (1 = stem, 2 = + stage 1, … 5 = the whole backbone)")
      ->check(between(0, 5));
  cmd->add_option("--no-flip", args->no_flip, "A label whose mirror image is a different logo (never flipped)");
  cmd->add_flag("--no-flips", args->no_flips, "Ablation: no mirroring at all");
  cmd->add_flag("--no-flip-average", args->no_flip_average,
                "Detection with this model runs the image alone, not also its mirror image (model.json\n"
                "input.flip_average false): 0.5-0.65x the time per photo, lower accuracy where measured;\n"
                "detect --flip-average / --no-flip-average choose per run");
  cmd->add_flag("--no-copy-paste", args->no_copy_paste, "Ablation: no copy-paste of labeled logos");
  cmd->add_flag("--no-mosaic", args->no_mosaic, "Ablation: no mosaic");
  cmd->add_flag("--no-distractors", args->no_distractors, "Ablation: no unlabeled distractor pastes");
  cmd->add_flag("--json", args->json, "Print the summary as JSON on stdout");
  add_overwrite_flag(*cmd, args->overwrite);
  cmd->add_flag("--skip-bad", args->skip_bad,
                "Train on the usable records when some of --train/--test cannot be used (a bad line, a box "
                "outside its image); without it such problems stop the command before training (exit 2)");
  cmd->callback([args, &state, &common] {
    if (args->input_size % 32 != 0) {
      throw Failure(Error{ErrorCode::kInvalidArgument, fmt::format("--input-size must be a multiple of 32, got {}", args->input_size)});
    }
    state.exit_code = run_train(*args, common);
  });
}

}  // namespace logoscope::cli
