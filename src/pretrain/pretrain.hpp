// pretrain/pretrain.hpp — grow the base detector that `logoscope train` starts from: class-agnostic
// "logo" detection learnt from generated scenes (marks/: CC0 brand marks and font wordmarks on
// generated backgrounds), so that no weights are ever downloaded.
//
// Pipeline: generate `scenes` scenes (indices 0…scenes−1 of a SceneStream) into memory on all
// cores → the ordinary trainer (train/trainer.hpp) learns one label, "logo", with its copy-paste /
// mosaic / photometric augmentation on top of the generator's own → validation on scenes
// [scenes, scenes+validation_scenes) and a held-out synthetic test on the next
// test_scenes (written as JPEGs under MODEL_DIR/scenes/, outside what a model folder needs) →
// model.json gets a "pretraining" block: generator options, mark counts, exclusions, seeds.
//
// Everything is a function of the options, the icon set and the fonts: the same command rebuilds
// the same scenes; wall-time budgets make the number of steps machine-dependent (use epochs to
// fix it).
//
// Thread safety: one pretraining per process (the trainer sets libtorch's thread count).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "logoscope/result.hpp"
#include "marks/mark_library.hpp"
#include "marks/scene_stream.hpp"
#include "train/trainer.hpp"

namespace logoscope::pretrain {

/// The one label a base model detects.
inline constexpr const char* kAnyLogoLabel = "logo";

struct PretrainConfig {
  marks::MarkLibraryOptions library;
  marks::SceneOptions scenes;      ///< width/height = the training input size
  int scene_count = 12000;         ///< training scenes held in memory (~0.3 MB each at 320²)
  int validation_scenes = 300;
  int test_scenes = 300;
  train::TrainConfig train;               ///< budget, batch, learning rate, seed, augmentation
};

/// Generates the scenes, trains and writes MODEL_DIR (a normal model folder, label "logo").
/// Errors: the library's (no mark, unreadable icons), invalid scene options, I/O.
Result<train::TrainSummary> pretrain_base_model(const PretrainConfig& config, const std::string& model_dir);

/// The options that decide the scenes, as recorded in model.json (for the model card).
nlohmann::json pretrain_config_to_json(const PretrainConfig& config, const marks::MarkLibrary& library);

}  // namespace logoscope::pretrain
