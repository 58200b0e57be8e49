#include "pretrain/pretrain.hpp"

#include <atomic>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/thread_pool.hpp"
#include "model/model_info.hpp"

namespace fs = std::filesystem;

namespace logoscope::pretrain {

namespace {

// Every box becomes the one "logo" label; ignore flags (mostly hidden or faint marks) stay.
std::vector<Box> class_agnostic(std::vector<Box> boxes) {
  for (auto& box : boxes) box.label = 0;
  return boxes;
}

std::vector<augment::TrainImage> generate_training_scenes(const marks::SceneStream& stream, int count,
                                                          const train::ProgressFn& progress) {
  std::vector<augment::TrainImage> images(static_cast<std::size_t>(count));
  std::atomic<std::int64_t> done{0};
  auto report = [&](std::int64_t value, bool finished) {
    if (progress) progress({train::TrainProgress::Phase::kDecoding, "generated scenes", value, count, "", finished});
  };
  parallel_for(images.size(), default_thread_count(), [&](std::size_t i) {
    marks::SceneSample scene = stream.next(i);
    images[i].rgb = std::move(scene.rgb);
    images[i].boxes = class_agnostic(std::move(scene.boxes));
    report(++done, false);
  });
  report(count, true);
  return images;
}

// Writes held-out scenes as JPEGs and returns them as a one-label dataset.
Result<Dataset> write_held_out(const marks::SceneStream& stream, const std::string& dir, std::uint64_t first, int count) {
  auto written = marks::write_scene_samples(stream, dir, first, count);
  if (!written) return written.error();
  Dataset data;
  data.labels = {kAnyLogoLabel};
  for (auto& sample : written->samples) {
    sample.boxes = class_agnostic(std::move(sample.boxes));
    data.samples.push_back(std::move(sample));
  }
  return data;
}

std::string simple_icons_version(const std::string& icons_dir) {
  if (icons_dir.empty()) return "";
  std::ifstream in(fs::path(icons_dir).parent_path() / "package.json");
  const auto json = nlohmann::json::parse(in, nullptr, false);
  return json.is_object() ? json.value("version", "") : "";
}

}  // namespace

nlohmann::json pretrain_config_to_json(const PretrainConfig& config, const marks::MarkLibrary& library) {
  const auto& lib = config.library;
  const auto& s = config.scenes;
  std::vector<std::string> excluded_brands;
  for (const auto& term : lib.exclude.terms()) {
    if (excluded_brands.empty() || excluded_brands.back() != term.brand) excluded_brands.push_back(term.brand);
  }
  return {
      {"generator", "logoscope src/marks SceneStream"},
      {"marks",
       {{"icons", lib.icons_dir.empty() ? "" : "simple-icons"},
        {"simple_icons_version", simple_icons_version(lib.icons_dir)},
        {"icon_licences", lib.icon_licences},
        {"icon_count", library.icon_count()},
        {"wordmark_count", library.wordmark_count()},
        {"wordmark_seed", lib.wordmark_seed},
        {"fonts", lib.font_paths},
        {"hershey_wordmarks", lib.hershey_wordmarks},
        {"excluded_brands", excluded_brands},
        {"excluded_marks", library.excluded().size()}}},
      {"scenes",
       {{"seed", s.seed},
        {"width", s.width},
        {"height", s.height},
        {"min_marks", s.min_marks},
        {"max_marks", s.max_marks},
        {"empty_prob", s.empty_prob},
        {"min_mark_side", s.min_mark_side},
        {"max_mark_side_fraction", s.max_mark_side_fraction},
        {"wordmark_prob", s.wordmark_prob},
        {"lockup_prob", s.lockup_prob},
        {"min_visible_fraction", s.min_visible_fraction},
        {"photos_dir", s.background.photos_dir}}},
      {"training_scenes", {{"first", 0}, {"count", config.scene_count}}},
      {"validation_scenes", {{"first", config.scene_count}, {"count", config.validation_scenes}}},
      {"test_scenes", {{"first", config.scene_count + config.validation_scenes}, {"count", config.test_scenes}}}};
}

Result<train::TrainSummary> pretrain_base_model(const PretrainConfig& config, const std::string& model_dir) {
  if (config.scene_count < 1) {
    return Error{ErrorCode::kInvalidArgument, fmt::format("scene count must be at least 1, got {}", config.scene_count)};
  }
  auto library = marks::MarkLibrary::load(config.library);
  if (!library) return library.error();
  spdlog::info("marks: {} icons, {} wordmarks ({} left out)", library->icon_count(), library->wordmark_count(),
               library->excluded().size());
  PretrainConfig effective = config;  // scenes are drawn at the training input size
  effective.scenes.width = config.train.input_size;
  effective.scenes.height = config.train.input_size;
  const marks::SceneOptions& scene_options = effective.scenes;
  auto stream = marks::SceneStream::create(*library, scene_options);
  if (!stream) return stream.error();

  train::TrainInputs inputs;
  inputs.train.labels = {kAnyLogoLabel};
  inputs.train_source = fmt::format("generated scenes 0–{} (seed {})", config.scene_count - 1, scene_options.seed);
  const std::string scenes_dir = (fs::path(model_dir) / "scenes").string();
  const auto first_val = static_cast<std::uint64_t>(config.scene_count);
  if (config.validation_scenes > 0) {
    auto validation = write_held_out(*stream, (fs::path(scenes_dir) / "validation").string(), first_val,
                                     config.validation_scenes);
    if (!validation) return validation.error();
    inputs.validation = std::move(*validation);
  }
  if (config.test_scenes > 0) {
    auto test = write_held_out(*stream, (fs::path(scenes_dir) / "test").string(),
                               first_val + static_cast<std::uint64_t>(std::max(0, config.validation_scenes)),
                               config.test_scenes);
    if (!test) return test.error();
    inputs.test = std::move(*test);
    inputs.test_source = fmt::format("generated scenes {}–{}", first_val + std::max(0, config.validation_scenes),
                                     first_val + std::max(0, config.validation_scenes) + config.test_scenes - 1);
  }
  inputs.images = generate_training_scenes(*stream, config.scene_count, config.train.on_progress);

  train::TrainConfig train_config = config.train;
  // The generator's marks are the positives; procedural look-alike marks pasted unlabeled would
  // teach the opposite. Crops of other scenes stay as distractors.
  train_config.augment.distractor_marks.clear();
  auto summary = train::train_detector(inputs, train_config, model_dir);
  if (!summary) return summary.error();

  auto info = model::read_model_info(model_dir);
  if (!info) return info.error();
  info->training["pretraining"] = pretrain_config_to_json(effective, *library);
  auto written = model::write_model_info(*info, model_dir);
  if (!written) return written.error();
  return summary;
}

}  // namespace logoscope::pretrain
