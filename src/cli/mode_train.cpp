#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/cli_app.hpp"
#include "cli/image_inputs.hpp"
#include "cli/modes.hpp"
#include "core/text.hpp"
#include "dataset/split.hpp"
#include "eval/metrics_json.hpp"
#include "train/console_progress.hpp"
#include "train/trainer.hpp"

namespace logoscope::cli {

namespace {

struct TrainArgs {
  std::string train;
  std::string train_format;
  std::string test;
  std::string test_format;
  std::vector<std::string> negatives;
  std::string out;
  std::string time_budget = "5m";
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
  bool no_copy_paste = false;
  bool no_mosaic = false;
  bool no_distractors = false;
  bool json = false;
  bool overwrite = false;
};

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
  check_output(args.out, {args.train, args.test}, args.overwrite, "--out");
}

int run_train(const TrainArgs& args, const CommonOptions& common) {
  // Everything that can be checked without reading the data is checked first.
  const double time_budget_s = value_or_throw(parse_duration(args.time_budget));
  check_model_folder(args);
  train::TrainInputs inputs;
  Problems problems;
  inputs.train = read_dataset_or_throw(args.train, args.train_format, problems);
  inputs.train_source = args.train;
  if (!args.test.empty()) {
    inputs.test = read_dataset_or_throw(args.test, args.test_format, problems);
    inputs.test_source = args.test;
  } else {
    dataset::SplitOptions split;
    split.test_fraction = 0.2;
    split.seed = args.seed;
    auto parts = value_or_throw(dataset::split_dataset(inputs.train, split));
    spdlog::info("no --test: holding out {} of {} images for testing (stratified 80/20 split, seed {})",
                 parts.test.samples.size(), inputs.train.samples.size(), args.seed);
    inputs.train = std::move(parts.train);
    inputs.test = std::move(parts.test);
    inputs.test_source = args.train + " (20% held out)";
  }
  if (!problems.empty()) {
    spdlog::warn("{} while reading the data (run `logoscope dataset validate`):",
                 count_of(problems.size(), "problem"));
    print_problems(problems, 10);
  }
  inputs.negatives = value_or_throw(expand_image_inputs(args.negatives));
  inputs.no_flip_labels = args.no_flip;

  train::TrainConfig config;
  config.time_budget_s = time_budget_s;
  config.epochs = args.epochs;
  config.batch_size = args.batch_size;
  config.input_size = args.input_size;
  config.infer_long_side = args.infer_long_side;
  config.learning_rate = args.learning_rate;
  config.seed = args.seed;
  config.threads = args.threads;
  config.resume = args.resume;
  // A resumed run continues from its checkpoint; the base only seeds a new one.
  config.architecture = args.architecture;
  config.freeze = args.freeze;
  config.max_steps = args.steps;
  config.trunk_lr_scale = args.trunk_lr_scale;
  config.hard_negative_weight = args.hard_negatives;
  config.base_model = args.resume ? args.base : base_model_to_start_from(args.base, args.scratch, args.architecture);
  config.on_progress = train::console_progress(!common.quiet);
  if (args.no_flips) config.augment.flip_prob = 0;
  if (args.no_copy_paste) config.augment.paste_prob = 0;
  if (args.no_mosaic) config.augment.mosaic_prob = 0;
  if (args.no_distractors) config.augment.max_distractors = 0;

  const auto summary = value_or_throw(train::train_detector(inputs, config, args.out));
  if (args.json) {
    std::cout << nlohmann::json{{"model", args.out}, {"steps", summary.steps}, {"images_seen", summary.images_seen},
                                {"train_seconds", summary.train_seconds}, {"best_val_ap50", summary.best_val_ap50},
                                {"test", summary.test_metrics}}
                     .dump(2)
              << "\n";
    return kExitOk;
  }
  std::cout << fmt::format("trained for {:.0f} s ({} steps, {} augmented images); model: {}\n", summary.train_seconds,
                           summary.steps, summary.images_seen, args.out);
  if (!summary.test_metrics.empty()) {
    std::cout << fmt::format("test set ({}): F1 {:.3f}, precision {:.3f}, recall {:.3f}, mAP50 {:.3f}\n",
                             inputs.test_source, summary.test_metrics["mean_f1"].get<double>(),
                             summary.test_metrics["mean_precision"].get<double>(),
                             summary.test_metrics["mean_recall"].get<double>(), summary.test_metrics["map50"].get<double>());
    std::cout << "per-label assumed thresholds are saved in the model and used by `logoscope detect`\n";
  }
  return kExitOk;
}

}  // namespace

void register_train(CLI::App& app, RunState& state, const CommonOptions& common) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand(
      "train",
      "Train a detector from labeled images on the CPU, within a time budget. Training starts from\n"
      "logoscope's built-in base model (NanoDet-g's COCO weights trained further on generated brand\n"
      "marks, models/base) unless --scratch, --base or --architecture says otherwise.\n"
      "TRAIN/TEST: any dataset format (Ground Truth manifest, COCO, YOLO, VOC). Without --test,\n"
      "20% of TRAIN is held out for testing, as Rekognition does. Photos without any of your\n"
      "logos (--negatives) cut false positives markedly. The model folder gets model.json (labels,\n"
      "per-label assumed thresholds, config, metrics), weights.pt, checkpoints and training.csv.\n"
      "Example: logoscope train --train train.manifest --test test.manifest --negatives no_logo/ --out model");
  cmd->add_option("--train", args->train, "Training dataset")->required();
  add_format_option(*cmd, "--train-format", args->train_format, "Format of --train");
  cmd->add_option("--test", args->test, "Test dataset (evaluated after training; sets the assumed thresholds)");
  add_format_option(*cmd, "--test-format", args->test_format, "Format of --test");
  cmd->add_option("--negatives", args->negatives, "Images with none of the logos: folders, files or .txt lists");
  cmd->add_option("--out", args->out, "Model folder to write")->required();
  cmd->add_option("--time-budget", args->time_budget, "Training time: 300, 300s, 5m, 1h")->capture_default_str();
  cmd->add_option("--epochs", args->epochs, "Stop after this many passes over the data instead of the time budget")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--steps", args->steps,
                  "Stop after this many steps instead of the time budget (the same result on any machine)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--batch-size", args->batch_size, "Images per step")->capture_default_str()->check(CLI::Range(1, 256));
  cmd->add_option("--input-size", args->input_size, "Training crop size (multiple of 32)")
      ->capture_default_str()->check(CLI::Range(64, 2048));
  cmd->add_option("--infer-size", args->infer_long_side, "Long side images are resized to for detection")
      ->capture_default_str()->check(CLI::Range(64, 8192));
  cmd->add_option("--lr", args->learning_rate, "Peak learning rate (AdamW)")->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed for the split, augmentation and initial weights")->capture_default_str();
  cmd->add_option("--threads", args->threads, "CPU threads (0 = the cores other work leaves free)")->capture_default_str();
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
      ->check(CLI::Range(0.0, 10.0));
  cmd->add_option("--hard-negatives", args->hard_negatives,
                  "How strongly negative photos the network mistakes for logos are preferred (0 = uniform)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--freeze", args->freeze,
                  "nanodet-g: keep the first parts fixed (1 = stem, 2 = + stage 1, … 5 = the whole backbone)")
      ->check(CLI::Range(0, 5));
  cmd->add_option("--no-flip", args->no_flip, "A label whose mirror image is a different logo (never flipped)");
  cmd->add_flag("--no-flips", args->no_flips, "Ablation: no mirroring at all");
  cmd->add_flag("--no-copy-paste", args->no_copy_paste, "Ablation: no copy-paste of labeled logos");
  cmd->add_flag("--no-mosaic", args->no_mosaic, "Ablation: no mosaic");
  cmd->add_flag("--no-distractors", args->no_distractors, "Ablation: no unlabeled distractor pastes");
  cmd->add_flag("--json", args->json, "Print the summary as JSON on stdout");
  add_overwrite_flag(*cmd, args->overwrite);
  cmd->callback([args, &state, &common] {
    if (args->input_size % 32 != 0) {
      throw Failure(Error{ErrorCode::kInvalidArgument, fmt::format("--input-size must be a multiple of 32, got {}", args->input_size)});
    }
    state.exit_code = run_train(*args, common);
  });
}

}  // namespace logoscope::cli
