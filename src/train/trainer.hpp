// train/trainer.hpp — turn a small labeled dataset into a detector, within a time budget.
//
// Pipeline: decode every training image once into memory → a background thread composes
// augmented batches (augment/) and their FCOS targets → AdamW steps with a warm-up + cosine
// schedule that follows the time budget → EMA weights → periodic validation (F1, AP50 on a split
// carved from train) with best/last checkpoints → the best weights evaluated on the test set,
// whose per-label assumed thresholds go into model.json.
//
// Reproducible: one seed drives the split, the augmentation and the initial weights (wall-time
// budgets still make the number of steps depend on the machine; --epochs fixes it).
//
// Thread safety: one training at a time per process (it sets libtorch's thread count).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "augment/augment.hpp"
#include "logoscope/dataset.hpp"
#include "logoscope/result.hpp"

namespace logoscope::train {

struct TrainConfig {
  double time_budget_s = 300;   ///< wall-clock training time (excluding final evaluation)
  int epochs = 0;               ///< > 0: stop after this many passes worth of samples instead
  int batch_size = 16;
  double learning_rate = 2e-3;
  double weight_decay = 5e-4;
  double ema_decay = 0.998;
  int input_size = 320;         ///< square training crops
  int infer_long_side = 512;    ///< stored in the model for detection
  int threads = 0;              ///< 0 = all cores
  std::uint64_t seed = 0;
  double val_fraction = 0.15;   ///< carved from train when every label has ≥ min_val_label_images
  int min_val_label_images = 25;
  int validations = 8;          ///< how many times to validate over the run
  int patience = 4;             ///< stop after this many validations without AP50 improvement
  bool resume = false;
  bool progress = true;
  std::string base_model;       ///< a model folder to start from (model::init_from_base); empty = scratch
  augment::AugmentConfig augment;
};

struct TrainInputs {
  Dataset train;
  std::string train_source;            ///< for model.json
  Dataset test;                        ///< may be empty: then no test evaluation
  std::string test_source;
  std::vector<std::string> negatives;  ///< images with no logo of any label
  std::vector<std::string> no_flip_labels;  ///< labels whose mirror image is another logo
  /// Training images already in memory (generated scenes, pretrain.hpp): used instead of decoding
  /// train.samples, whose labels still name the classes. Empty: decode train.samples.
  std::vector<augment::TrainImage> images;
  /// An explicit validation set (images on disk); empty: carved from train as described above.
  Dataset validation;
};

struct TrainSummary {
  std::int64_t steps = 0;
  std::int64_t images_seen = 0;
  double train_seconds = 0;
  double best_val_ap50 = -1;
  nlohmann::json test_metrics;  ///< empty when there is no test set
  std::string model_dir;
};

/// Trains and writes MODEL_DIR (model.json, weights.pt, last.pt, training.csv).
/// Errors: unusable inputs (no readable training image, no box) and I/O failures.
Result<TrainSummary> train_detector(const TrainInputs& inputs, const TrainConfig& config, const std::string& model_dir);

}  // namespace logoscope::train
