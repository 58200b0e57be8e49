#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/cli_app.hpp"
#include "dataset/image_inputs.hpp"
#include "cli/modes.hpp"
#include "marks/exclusion.hpp"
#include "pretrain/pretrain.hpp"
#include "train/console_progress.hpp"

namespace fs = std::filesystem;

namespace logoscope::cli {

namespace {

struct PretrainArgs {
  std::string out;
  std::string icons = "build/marks/node_modules/simple-icons/icons";
  std::string photos;
  bool exclude_flickrlogos27 = false;
  int wordmarks = 1000;
  int scenes = 12000;
  int validation_scenes = 300;
  int test_scenes = 300;
  std::string time_budget = "30m";
  int epochs = 0;
  std::int64_t steps = 0;
  int batch_size = 16;
  int input_size = 320;
  double learning_rate = 2e-3;
  std::uint64_t seed = 1;
  int threads = 0;
  std::string architecture = "nanodet-g";
  double trunk_lr_scale = -1;
  bool resume = false;
  bool json = false;
  bool overwrite = false;
};

int run_pretrain(const PretrainArgs& given, const CommonOptions& common) {
  PretrainArgs args = given;
  if (args.resume && resume_starts_over(args.out)) {
    args.resume = false;
    args.overwrite = true;  // only the stopped run's own files are there
  }
  pretrain::PretrainConfig config;
  config.train.time_budget_s = value_or_throw(dataset::parse_duration(args.time_budget));
  if (!args.resume) check_output(args.out, {args.icons, args.photos}, args.overwrite, "--out");
  if (args.icons != "none") {
    std::error_code ec;
    if (!fs::is_directory(args.icons, ec)) {
      throw Failure(Error{ErrorCode::kNotFound,
                          fmt::format("--icons {}: no such folder; run scripts/fetch-marks.sh (simple-icons from npm) "
                                      "or pass --icons none for font wordmarks only",
                                      args.icons)});
    }
    config.library.icons_dir = args.icons;
  }
  config.library.wordmarks = args.wordmarks;
  if (args.exclude_flickrlogos27) config.library.exclude = marks::flickrlogos27_exclusions();
  config.scenes.seed = args.seed;
  config.scenes.background.photos_dir = args.photos;
  config.scene_count = args.scenes;
  config.validation_scenes = args.validation_scenes;
  config.test_scenes = args.test_scenes;
  config.train.epochs = args.epochs;
  config.train.max_steps = args.steps;
  config.train.batch_size = args.batch_size;
  config.train.input_size = args.input_size;
  config.train.learning_rate = args.learning_rate;
  config.train.seed = args.seed;
  config.train.threads = args.threads;
  config.train.resume = args.resume;
  config.train.on_progress = train::console_progress(!common.quiet);
  config.train.architecture = args.architecture;
  config.train.trunk_lr_scale = args.trunk_lr_scale;
  // Many scenes and one label: validate more often than a few-shot run and stop late.
  config.train.validations = 12;
  config.train.patience = 6;

  const auto summary = value_or_throw(pretrain::pretrain_base_model(config, args.out));
  const auto& test = summary.test_metrics;
  if (args.json) {
    std::cout << nlohmann::json{{"model", args.out}, {"steps", summary.steps}, {"images_seen", summary.images_seen},
                                {"train_seconds", summary.train_seconds}, {"best_val_ap50", summary.best_val_ap50},
                                {"test", test}}
                     .dump(2)
              << "\n";
    return kExitOk;
  }
  std::cout << fmt::format("pretrained for {:.0f} s ({} steps, {} augmented scenes); base model: {}\n",
                           summary.train_seconds, summary.steps, summary.images_seen, args.out);
  if (!test.empty()) {
    std::cout << fmt::format("held-out generated scenes: F1 {:.3f}, precision {:.3f}, recall {:.3f}, AP50 {:.3f}\n",
                             test["mean_f1"].get<double>(), test["mean_precision"].get<double>(),
                             test["mean_recall"].get<double>(), test["map50"].get<double>());
  }
  std::cout << fmt::format("use it: logoscope train --base {} …   or   logoscope detect --model {} IMAGES\n", args.out,
                           args.out);
  return kExitOk;
}

}  // namespace

void register_pretrain(CLI::App& app, RunState& state, const CommonOptions& common) {
  auto args = std::make_shared<PretrainArgs>();
  CLI::App* cmd = app.add_subcommand(
      "pretrain",
      "Grow a base model: a class-agnostic \"logo\" detector learnt from generated scenes (CC0 brand\n"
      "marks from simple-icons and made-up wordmarks in Debian's fonts, painted, bent and degraded\n"
      "on generated backgrounds; docs/marks.md), starting from NanoDet-g's COCO weights. `logoscope\n"
      "train` starts from models/base, made this way (models/base/MODEL_CARD.md has the exact command).\n"
      "Same options, same scenes. Needs the icon set once: scripts/fetch-marks.sh (npm).\n"
      "Example: logoscope pretrain --out base --steps 4000 --exclude-flickrlogos27");
  cmd->add_option("--out", args->out, "Model folder to write (scenes/ inside holds the held-out scenes)")->required();
  cmd->add_option("--icons", args->icons, "simple-icons' icons/ folder, or none (wordmarks only)")->capture_default_str();
  cmd->add_option("--photos", args->photos, "A folder of photos to use as some of the backgrounds (none by default)");
  cmd->add_flag("--exclude-flickrlogos27", args->exclude_flickrlogos27,
                "Leave out the 27 FlickrLogos-27 brands and their variants (for honest benchmarks)");
  cmd->add_option("--wordmarks", args->wordmarks, "Made-up wordmarks to add")->capture_default_str()
      ->check(between(0, 100000));
  cmd->add_option("--scenes", args->scenes, "Training scenes generated into memory (~0.3 MB each at 320²)")
      ->capture_default_str()->check(between(1, 10000000));
  cmd->add_option("--validation-scenes", args->validation_scenes, "Held-out scenes for choosing the best weights")
      ->capture_default_str()->check(between(0, 100000));
  cmd->add_option("--test-scenes", args->test_scenes, "Held-out scenes for the final score and threshold")
      ->capture_default_str()->check(between(0, 100000));
  cmd->add_option("--time-budget", args->time_budget, "Training time: 600, 45m, 2h")->capture_default_str();
  cmd->add_option("--epochs", args->epochs, "Stop after this many passes over the scenes instead")
      ->check(at_least(0));
  cmd->add_option("--steps", args->steps, "Stop after this many steps instead (the same model on any machine)")
      ->check(at_least(0));
  cmd->add_option("--batch-size", args->batch_size, "Images per step")->capture_default_str()->check(between(1, 1024));
  cmd->add_option("--input-size", args->input_size, "Scene and training crop size (multiple of 32)")
      ->capture_default_str()->check(between(64, 2048));
  cmd->add_option("--lr", args->learning_rate, "Peak learning rate (AdamW)")->capture_default_str()->check(more_than(0));
  cmd->add_option("--architecture", args->architecture,
                  "Network: nanodet-g (from NanoDet-g's COCO weights, scripts/fetch-pretrained.sh) or\n"
                  "fcos-resnet-fpn (from random weights)")
      ->check(CLI::IsMember({"fcos-resnet-fpn", "nanodet-g"}))
      ->capture_default_str();
  cmd->add_option("--trunk-lr-scale", args->trunk_lr_scale,
                  "Learning-rate factor for NanoDet-g's COCO trunk (default 0.3; models/base used 0.1)")
      ->check(between(0.0, 10.0));
  cmd->add_option("--seed", args->seed, "Seed of the scenes, augmentation and initial weights")->capture_default_str()->check(at_least(0));
  cmd->add_option("--threads", args->threads, "CPU threads (0 = the cores other work leaves free)")->capture_default_str()->check(between(0, 1024));
  cmd->add_flag("--resume", args->resume, "Continue from the checkpoint in --out (the scenes are regenerated)");
  add_overwrite_flag(*cmd, args->overwrite);
  cmd->add_flag("--json", args->json, "Print the summary as JSON on stdout");
  cmd->callback([args, &state, &common] {
    if (args->input_size % 32 != 0) {
      throw Failure(Error{ErrorCode::kInvalidArgument,
                          fmt::format("--input-size must be a multiple of 32, got {}", args->input_size)});
    }
    state.exit_code = run_pretrain(*args, common);
  });
}

}  // namespace logoscope::cli
