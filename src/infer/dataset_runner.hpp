// infer/dataset_runner.hpp — run a model over every image of a dataset (for `evaluate --model`
// and the benchmarks), with a progress bar. Unreadable images are Problems, not failures: they
// get no detections and the run goes on.
//
// Thread safety: one call per Predictor at a time.
#pragma once

#include <functional>
#include <vector>

#include "infer/predictor.hpp"
#include "logoscope/dataset.hpp"
#include "logoscope/detection.hpp"
#include "logoscope/problems.hpp"

namespace logoscope::infer {

struct DatasetRun {
  /// One per sample, in order. Labels index the model's labels (predictor.info().labels).
  std::vector<ImageDetections> detections;
  Problems problems;           ///< images that could not be decoded ("unreadable_image")
  double seconds = 0;          ///< wall time, decoding included
  double network_seconds = 0;  ///< time inside Predictor::detect
};

/// Runs `predictor` on each sample's image. `progress_label` empty = no progress bar.
DatasetRun detect_dataset(const Predictor& predictor, const Dataset& data, const std::string& progress_label);

/// The same, calling `on_image(done, total)` after each image instead of drawing a bar.
DatasetRun detect_dataset(const Predictor& predictor, const Dataset& data,
                          const std::function<void(std::size_t, std::size_t)>& on_image);

}  // namespace logoscope::infer
