// oneshot/reference_scenes.hpp — training data for a detector made from a brand's own logo files
// (`logoscope train --reference LABEL=FILE`), with no labeled photo needed (docs/oneshot.md).
//
//   ReferenceSceneConfig config;
//   config.references = {{"RedBull", "redbull.svg"}};
//   config.backgrounds = negative_photo_files;        // the user's photos without the logo
//   auto scenes = make_reference_scenes(config, labels, "model/scenes", progress);
//   inputs.images = scenes->training;  inputs.validation = scenes->validation;
//
// Each scene is a crop of one of the user's photos (or a generated background) with 1–4 marks: a
// reference mark (in its own colours, or single-colour, inverted, grey, outlined, hollow, in an
// emblem; bent around a can, waved like cloth, in perspective, blurred, low-resolution, partly
// hidden) or a made-up wordmark left unlabeled, so that other logos are learnt as background.
// Everything is a function of the files, the options and the seed.
//
// Thread safety: reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "augment/augment.hpp"
#include "logoscope/dataset.hpp"
#include "logoscope/result.hpp"
#include "marks/reference_marks.hpp"
#include "train/trainer.hpp"

namespace logoscope::oneshot {

struct ReferenceSceneConfig {
  std::vector<marks::ReferenceSpec> references;
  std::vector<std::string> backgrounds;  ///< photo files used as scene backgrounds (may be empty)
  int scene_size = 320;                  ///< square scenes: the training input size
  int scene_count = 3000;                ///< training scenes, held in memory (~0.3 MB each at 320²)
  int validation_scenes = 120;           ///< written as JPEGs for checkpoint choice
  int test_scenes = 0;                   ///< > 0: also a generated test set (when no real one is given)
  int distractor_wordmarks = 400;        ///< made-up wordmarks painted unlabeled
  /// The smallest mark's longer side, as a fraction of the scene (sizes are log-uniform up to 95 %).
  double min_mark_fraction = 0.07;
  /// Also draw each icon-shaped reference with the label's words beside or below it, boxed together.
  bool name_lockups = false;
  std::uint64_t seed = 0;
};

struct ReferenceScenes {
  std::vector<augment::TrainImage> training;  ///< boxes labeled by index into the label list
  Dataset validation;                         ///< written under scenes_dir/validation
  Dataset test;                               ///< written under scenes_dir/test when test_scenes > 0
  nlohmann::json record;                      ///< for model.json: files, how they were read, counts
};

/// Loads the references (errors name the file: see marks/reference_marks.hpp), generates the
/// scenes and writes the held-out ones as JPEGs under scenes_dir. `labels` is the label list to
/// use: reference labels missing from it are appended (labeled photos' labels come first).
/// Errors: the references', kInvalidArgument (no reference, bad counts), kIo.
Result<ReferenceScenes> make_reference_scenes(const ReferenceSceneConfig& config, std::vector<std::string>& labels,
                                              const std::string& scenes_dir, const train::ProgressFn& progress);

}  // namespace logoscope::oneshot
