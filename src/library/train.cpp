// The public training API (include/logoscope/train.hpp) over train::train_detector: reading the
// data, the 80/20 hold-out when no test set is given, and the starting point.
#include "logoscope/train.hpp"

#include <algorithm>
#include <filesystem>
#include <iterator>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/input_set.hpp"
#include "dataset/formats.hpp"
#include "dataset/image_inputs.hpp"
#include "dataset/split.hpp"
#include "library/boundary.hpp"
#include "model/base_model.hpp"
#include "model/model_info.hpp"
#include "oneshot/reference_scenes.hpp"
#include "storage/output_folder.hpp"
#include "storage/storage.hpp"
#include "train/trainer.hpp"

namespace fs = std::filesystem;

namespace logoscope {

namespace {

double metric(const nlohmann::json& metrics, const char* key) {
  const auto it = metrics.find(key);
  return it != metrics.end() && it->is_number() ? it->get<double>() : 0.0;
}

// Records of the data that could not be used: said before any training, not after it.
Error problems_before_training(const Problems& all) {
  Problems problems;
  std::copy_if(all.begin(), all.end(), std::back_inserter(problems),
               [](const Problem& problem) { return problem.severity == Severity::kError; });
  constexpr std::size_t kShown = 10;
  std::string listed;
  for (std::size_t i = 0; i < problems.size() && i < kShown; ++i) listed += "\n  " + format_problem(problems[i]);
  if (problems.size() > kShown) listed += fmt::format("\n  … and {} more", problems.size() - kShown);
  return Error{ErrorCode::kInvalidValue,
               fmt::format("{} problem{} while reading the data, so nothing was trained:{}\nfix them (`logoscope "
                           "dataset validate` lists every one, `dataset validate --fix` writes a cleaned copy), or "
                           "train on the rest with --skip-bad (TrainOptions::skip_bad)",
                           problems.size(), problems.size() == 1 ? "" : "s", listed)};
}

// An input is never an output, even with overwrite: the model folder may not be, or hold, any
// file the training reads (core/input_set.hpp).
// `destination`: where the model goes as the user named it (an s3:// prefix is trained into a
// local staging folder first).
Status check_model_folder_apart(const TrainOptions& options, const train::TrainInputs& inputs,
                                const std::string& destination) {
  if (options.resume) return Ok{};  // the folder is the checkpoint being continued
  InputSet read = {options.train, options.test};
  read.add_folder_with(options.base, model::model_files());
  read.add_all(options.negatives);
  for (const auto& text : options.references) {
    if (auto spec = marks::parse_reference_spec(text)) read.add(spec->path);  // a bad spec is refused below
  }
  for (const auto* part : {&inputs.train, &inputs.test}) {
    for (const auto& sample : part->samples) read.add(sample.image);
  }
  read.add_all(inputs.negatives);
  return read.check_output(destination, "model folder");
}

}  // namespace

namespace {

// The trainer's configuration from the options: lengths, rates, the start and the augmentation switches.
train::TrainConfig train_config_of(const TrainOptions& options) {
  train::TrainConfig config;
  config.time_budget_s = options.time_budget_s;
  config.stop_requested = options.stop_requested;
  config.epochs = options.epochs;
  config.max_steps = options.steps > 0 || options.epochs > 0 ? options.steps : train::kRecipeSteps;
  config.batch_size = options.batch_size;
  config.input_size = options.input_size;
  config.infer_long_side = options.infer_size;
  config.learning_rate = options.learning_rate;
  config.seed = options.seed;
  config.threads = options.context.threads;
  config.resume = options.resume;
  config.skip_bad = options.skip_bad;
  config.architecture = options.architecture;
  config.freeze = options.freeze;
  config.trunk_lr_scale = options.trunk_lr_scale;
  config.hard_negative_weight = options.hard_negatives;
  if (options.resume || options.scratch || !options.base.empty()) {
    config.base_model = options.scratch ? "" : options.base;  // a resumed run continues its checkpoint
  } else if (const auto base = model::find_builtin_base_model(options.architecture)) {
    spdlog::info("starting from the built-in base model {} (scratch to start without it)", *base);
    config.base_model = *base;
  } else {
    spdlog::warn("no built-in base model{} found (looked in {}): starting without one",
                 options.architecture.empty() ? "" : " for " + options.architecture,
                 model::builtin_base_model_search_paths());
  }
  if (!options.flips) config.augment.flip_prob = 0;
  config.flip_average = options.flip_average;
  if (!options.copy_paste) config.augment.paste_prob = 0;
  return config;
}

Result<TrainSummary> train_into_folder(const TrainOptions& options,
                                       const std::function<void(const TrainProgress&)>& on_progress,
                                       const std::string& destination);

}  // namespace

Result<TrainSummary> train_model(const TrainOptions& options,
                                 const std::function<void(const TrainProgress&)>& on_progress) {
  return library::never_throws("train_model", [&]() -> Result<TrainSummary> {
    if (!storage::is_remote(options.out)) return train_into_folder(options, on_progress, options.out);
    // An s3:// model folder: trained into a local staging folder, uploaded when training ends
    // (model.json last, so the folder is usable only once complete).
    if (options.resume) {
      return Error{ErrorCode::kInvalidArgument,
                   fmt::format("{}: resuming reads the checkpoint from a local model folder; download it first (aws s3 "
                               "sync {} FOLDER) and resume there",
                               options.out, options.out)};
    }
    if (!options.overwrite) {
      auto existing = storage::stat_file(storage::join(options.out, "model.json"));
      if (!existing) return existing.error();
      if (*existing) {
        return Error{ErrorCode::kInvalidArgument,
                     fmt::format("{} already holds a trained model: train over it (overwrite), or choose another prefix",
                                 options.out)};
      }
    }
    auto staged = storage::OutputFolder::open(options.out);
    if (!staged) return staged.error();
    TrainOptions local = options;
    local.out = staged->path();
    local.overwrite = true;
    auto summary = train_into_folder(local, on_progress, options.out);
    if (!summary) return summary.error();
    spdlog::info("uploading the model to {}", options.out);
    if (auto published = staged->publish({"model.json"}); !published) return published.error();
    summary->model = options.out;
    return summary;
  });
}

namespace {

Result<TrainSummary> train_into_folder(const TrainOptions& options,
                                       const std::function<void(const TrainProgress&)>& on_progress,
                                       const std::string& destination) {
  if (options.train.empty() && options.references.empty()) {
    return Error{ErrorCode::kInvalidArgument, "no training dataset and no reference logo file given"};
  }
  if (options.out.empty()) return Error{ErrorCode::kInvalidArgument, "no model folder to write given"};
  std::error_code error;
  if (!options.resume && !options.overwrite && fs::exists(fs::path(options.out) / "model.json", error)) {
    return Error{
        ErrorCode::kInvalidArgument,
        fmt::format("{} already holds a trained model: resume its training, train over it (overwrite), or "
                    "choose another folder",
                    options.out)};
  }
  TrainSummary summary;
  summary.model = options.out;
  train::TrainInputs inputs;
  Problems problems;
  auto format = [](const std::string& name) -> Result<std::optional<dataset::DatasetFormat>> {
    if (name.empty()) return std::optional<dataset::DatasetFormat>{};
    auto parsed = dataset::parse_dataset_format(name);
    if (!parsed) return parsed.error();
    return std::optional<dataset::DatasetFormat>{*parsed};
  };
  const auto train_format = format(options.train_format);
  if (!train_format) return train_format.error();
  const auto test_format = format(options.test_format);
  if (!test_format) return test_format.error();
  if (!options.train.empty()) {
    auto train_data = dataset::read_dataset(options.train, *train_format, problems);
    if (!train_data) return train_data.error();
    inputs.train = std::move(train_data).value();
    inputs.train_source = options.train;
  }
  if (!options.test.empty()) {
    auto test_data = dataset::read_dataset(options.test, *test_format, problems);
    if (!test_data) return test_data.error();
    inputs.test = std::move(test_data).value();
    inputs.test_source = options.test;
  } else if (!options.train.empty()) {
    dataset::SplitOptions split;
    split.test_fraction = 0.2;
    split.seed = options.seed;
    auto parts = dataset::split_dataset(inputs.train, split);
    if (!parts) return parts.error();
    spdlog::info("no test set: holding out {} of {} images for testing (stratified 80/20 split, seed {})",
                 parts->test.samples.size(), inputs.train.samples.size(), options.seed);
    inputs.train = std::move(parts->train);
    inputs.test = std::move(parts->test);
    inputs.test_source = options.train + " (20% held out)";
  }
  // Errors (a record or box that cannot be used) stop the training; warnings (the record is used
  // as read, e.g. a box clipped to its image) are reported with the summary.
  const auto errors = std::count_if(problems.begin(), problems.end(),
                                    [](const Problem& problem) { return problem.severity == Severity::kError; });
  if (errors > 0 && !options.skip_bad) return problems_before_training(problems);
  for (const auto& problem : problems) summary.warnings.push_back(format_problem(problem));
  auto negatives = dataset::expand_image_inputs(options.negatives);
  if (!negatives) return negatives.error();
  inputs.negatives = std::move(negatives).value();
  inputs.no_flip_labels = options.no_flip_labels;
  if (auto apart = check_model_folder_apart(options, inputs, destination); !apart) return apart.error();
  {
    // A credentials problem with s3:// images is one error now, not a failed image each later.
    std::vector<std::string> images = inputs.negatives;
    for (const auto* part : {&inputs.train, &inputs.test}) {
      for (const auto& sample : part->samples) images.push_back(sample.image);
    }
    if (auto access = storage::check_s3_access(images); !access) return access.error();
  }

  nlohmann::json one_shot;
  if (!options.references.empty()) {
    oneshot::ReferenceSceneConfig scenes_config;
    for (const auto& text : options.references) {
      auto spec = marks::parse_reference_spec(text);
      if (!spec) return spec.error();
      scenes_config.references.push_back(std::move(*spec));
    }
    scenes_config.backgrounds = inputs.negatives;
    scenes_config.scene_size = options.input_size;
    scenes_config.scene_count = options.reference_scenes;
    scenes_config.name_lockups = options.reference_name_lockups;
    scenes_config.seed = options.seed;
    const bool generated_test = inputs.test.samples.empty();
    if (generated_test) {
      scenes_config.test_scenes = options.reference_test_scenes;
      spdlog::warn("no test set: the assumed thresholds come from {} generated scenes; a few labeled photos as "
                   "the test set (train --test) give thresholds that fit your photos",
                   scenes_config.test_scenes);
    }
    auto scenes = oneshot::make_reference_scenes(scenes_config, inputs.train.labels,
                                                 (fs::path(options.out) / "scenes").string(), on_progress);
    if (!scenes) return scenes.error();
    inputs.images = std::move(scenes->training);
    inputs.validation = std::move(scenes->validation);
    if (generated_test) {
      inputs.test = std::move(scenes->test);
      inputs.test_source = "generated scenes (no test set given)";
    }
    inputs.train_source = fmt::format("{}{} generated scenes from {} reference file(s)",
                                      options.train.empty() ? "" : options.train + " + ", options.reference_scenes,
                                      options.references.size());
    one_shot = std::move(scenes->record);
  }

  train::TrainConfig config = train_config_of(options);
  if (!options.references.empty() && config.augment.paste_prob > 0) {
    // Copy-paste cuts boxes out as rectangles: from generated scenes they carry generated
    // background into real photos, and the network learns that patch instead of the logo (RedBull
    // development protocol: AP50 0.079 with, 0.195 without; docs/oneshot.md). The scenes already
    // place the logo into the negative photos, with its exact shape.
    spdlog::info("one-shot: copy-paste is off (the generated scenes place the logo into your photos themselves)");
    config.augment.paste_prob = 0;
  }
  if (!options.mosaic) config.augment.mosaic_prob = 0;
  if (!options.distractors) config.augment.max_distractors = 0;
  config.on_progress = on_progress;

  auto trained = train::train_detector(inputs, config, options.out);
  if (!trained) return trained.error();
  if (!one_shot.is_null()) {
    auto info = model::read_model_info(options.out);
    if (!info) return info.error();
    info->training["one_shot"] = std::move(one_shot);
    if (auto written = model::write_model_info(*info, options.out); !written) return written.error();
  }
  summary.steps = trained->steps;
  summary.planned_steps = trained->planned_steps;
  summary.stopped_by = trained->stopped_by;
  summary.images_seen = trained->images_seen;
  summary.train_seconds = trained->train_seconds;
  summary.best_val_ap50 = trained->best_val_ap50;
  if (!trained->test_metrics.empty()) {
    const auto& metrics = trained->test_metrics;
    summary.test =
        TestScores{inputs.test_source, metric(metrics, "mean_f1"), metric(metrics, "mean_precision"),
                   metric(metrics, "mean_recall"), metric(metrics, "map50")};
  }
  return summary;
}

}  // namespace

}  // namespace logoscope
