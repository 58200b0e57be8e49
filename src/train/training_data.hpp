// train/training_data.hpp — the trainer's data source: what it learns from, decoded once.
//
// From TrainInputs: carve a validation split from train when every label has enough images
// (TrainConfig::min_val_label_images) or take the explicit one; decode the training images (long
// side ≤ 1024, boxes scaled with them) and the negatives (≤ 640) into memory on all cores, skipping
// unreadable files with a warning; cut every labeled box out as a copy-paste instance.
//
// Thread safety: reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "augment/augment.hpp"
#include "logoscope/dataset.hpp"
#include "logoscope/result.hpp"
#include "train/trainer.hpp"

namespace logoscope::train {

struct TrainingData {
  Dataset validation;                          ///< may be empty (no validation)
  std::vector<augment::TrainImage> positives;  ///< decoded training images with their boxes
  std::vector<augment::TrainImage> negatives;  ///< decoded photos without any logo
  std::vector<augment::Instance> instances;    ///< copy-paste bank
  std::int64_t skipped = 0;                    ///< unreadable images left out
  std::int64_t train_images = 0;               ///< training images after the validation split
};

/// Errors: no labeled box, no readable training image (naming inputs.train_source).
Result<TrainingData> prepare_training_data(const TrainInputs& inputs, const TrainConfig& config);

/// Decodes `samples` on all cores (long side ≤ max_long_side, boxes scaled along); unreadable
/// ones are logged, counted in `skipped` and left out. Reports TrainProgress::Phase::kDecoding.
std::vector<augment::TrainImage> decode_samples(const std::vector<Sample>& samples, int max_long_side,
                                                const std::string& what, const ProgressFn& progress,
                                                std::int64_t& skipped);

}  // namespace logoscope::train
