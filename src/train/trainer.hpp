// train/trainer.hpp — turn a small labeled dataset into a detector, within a time or step budget.
//
// Stages, one job each (each in its own file):
//   training_data  read the inputs: carve a validation split, decode positives and negatives
//                  once into memory, cut the copy-paste instance bank
//   start_network  the network to start from: the built-in base, another model, NanoDet-g's COCO
//                  weights, or random; which layers are frozen
//   (this file)    the run as named steps (trainer.cpp's TrainingRun): prepare, restore a
//                  checkpoint, plan, then per step the schedule and one AdamW step on a batch a
//                  background thread composes (batch_loader: augment/ + FCOS targets, hard
//                  negatives drawn more often), at the schedule's points validate and
//                  checkpoint, and at the end save; EMA weights throughout
//   schedule       the pure decisions: the step count, progress, the warm-up + cosine learning
//                  rate, the validation points, early stopping, the log a resumed run keeps
//   validation     the EMA weights scored through infer::Predictor — the same path `detect` and
//                  `evaluate` run (tiling, large-logo pass) — to keep the best weights, and the
//                  test set's per-label assumed thresholds for model.json
// Progress goes through TrainConfig::on_progress (console_progress.hpp turns it into bars).
//
// Reproducible: one seed drives the split, the augmentation and the initial weights. The length
// is a step count (the recipe's for the data, given steps, or epochs), the same on any machine; a
// wall-time budget is a cap on top of it, and when the cap ends training first the run says so
// (model.json training.stopped_by = "time_budget", with the steps planned and done). Pretraining
// may run on a time budget alone.
//
// Thread safety: one training at a time per process (it sets libtorch's thread count).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "augment/augment.hpp"
#include "logoscope/dataset.hpp"
#include "logoscope/result.hpp"
#include "logoscope/train.hpp"
#include "train/schedule.hpp"

namespace logoscope::train {

/// Where training is and how it goes, reported to TrainConfig::on_progress: the public struct
/// (include/logoscope/train.hpp), so that library clients get it as the trainer reports it.
using TrainProgress = logoscope::TrainProgress;
using ProgressFn = std::function<void(const TrainProgress&)>;


/// TrainConfig::flip_average's default.
inline constexpr bool kDefaultFlipAverage = true;

struct TrainConfig {
  /// Cap on wall-clock training time (decoding and the final evaluation excluded); <= 0: none.
  /// With a step count, training ends at whichever comes first, and the learning-rate schedule
  /// follows whichever is further along, so a capped run still ends annealed.
  double time_budget_s = 0;
  std::function<bool()> stop_requested;  ///< polled between steps; true ends training (stopped_by "stopped")
  /// > 0: this many steps; kRecipeSteps: recipe_steps for the data; 0: epochs or the time budget.
  std::int64_t max_steps = 0;
  int epochs = 0;               ///< > 0 (and max_steps 0): this many passes worth of samples
  int batch_size = 16;
  double learning_rate = 2e-3;
  /// Learning-rate factor for the pretrained trunk (everything but the detection head's outputs);
  /// < 0: the architecture's default (1 for fcos-resnet-fpn, 0.3 for nanodet-g: chosen on the
  /// FlickrLogos-27 development split, where 0.1 gave mAP50 0.587, 0.3 0.646 and 1.0 0.182).
  double trunk_lr_scale = -1;
  double weight_decay = 5e-4;
  double ema_decay = 0.998;
  int input_size = 320;         ///< square training crops
  int infer_long_side = 512;    ///< stored in the model for detection
  /// Detection (validation and the test evaluation included) also runs the mirror image and
  /// averages the two views (model.json input.flip_average); off when nothing is mirrored in
  /// training (augment.flip_prob 0). Chosen on the brands development split (BENCHMARKS.md,
  /// "Flip averaging").
  bool flip_average = kDefaultFlipAverage;
  int threads = 0;              ///< 0 = the cores other work leaves free (choose_thread_count)
  std::uint64_t seed = 0;
  double val_fraction = 0.15;   ///< carved from train when every label has ≥ min_val_label_images
  int min_val_label_images = 25;
  int validations = 8;          ///< most validations over the run (one per 50 steps or 30 s of budget)
  int patience = 4;             ///< stop after this many validations without AP50 improvement
  bool resume = false;
  /// Images that cannot be read (missing, undecodable) are left out and training goes on; without
  /// it they end the call before the first step, each named in the log.
  bool skip_bad = false;
  /// The network: "fcos-resnet-fpn" or "nanodet-g"; empty = the base model's, else fcos-resnet-fpn.
  std::string architecture;
  std::string base_model;       ///< a model folder to start from (model::init_from_base); empty = see start_network.hpp
  int freeze = 0;               ///< nanodet-g: parts kept fixed (1 = stem, 2 = + stage 1, … 5 = whole backbone)
  /// Hard negatives: how strongly the negative photos the network currently scores highest are
  /// preferred as backgrounds (0 = uniform sampling).
  double hard_negative_weight = 1.0;
  augment::AugmentConfig augment;
  ProgressFn on_progress;       ///< may be empty (silent)
};

struct TrainInputs {
  Dataset train;
  std::string train_source;            ///< for model.json
  Dataset test;                        ///< may be empty: then no test evaluation
  std::string test_source;
  std::vector<std::string> negatives;  ///< images with no logo of any label
  std::vector<std::string> no_flip_labels;  ///< labels whose mirror image is another logo
  /// Training images already in memory (generated scenes: pretrain/, oneshot/), labeled by index
  /// into train.labels; train.samples (labeled photos, may be empty) are decoded and added.
  std::vector<augment::TrainImage> images;
  /// An explicit validation set (images on disk); empty: carved from train as described above.
  Dataset validation;
};

struct TrainSummary {
  std::int64_t steps = 0;
  std::int64_t planned_steps = 0;  ///< the step count the run was to reach; 0 for a time budget alone
  std::string stopped_by;          ///< "steps", "epochs", "time_budget", "early_stop" or "stopped"
  std::int64_t images_seen = 0;
  double train_seconds = 0;
  double images_per_second = 0;
  double best_val_ap50 = -1;
  nlohmann::json test_metrics;  ///< empty when there is no test set
  std::string model_dir;
};

/// Trains and writes MODEL_DIR (model.json, weights.pt, last_*.pt, training.csv).
/// Errors: unusable inputs (no readable training image, no box), a start that cannot be loaded
/// (missing pretrained weights name the fetch command), I/O failures.
Result<TrainSummary> train_detector(const TrainInputs& inputs, const TrainConfig& config, const std::string& model_dir);

/// The resolved training configuration as recorded in model.json ("training").
nlohmann::json config_to_json(const TrainConfig& config);

}  // namespace logoscope::train
