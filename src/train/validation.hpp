// train/validation.hpp — scoring the network being trained, through the path `detect` runs.
//
// The weights are wrapped in an infer::Predictor (Predictor::create with the ModelInfo that will
// be saved), so validation, the choice of the best checkpoint and the assumed thresholds in
// model.json see exactly what `logoscope detect` and `evaluate` will: the same resizing, tiling,
// large-logo pass and NMS. Images that cannot be read count as misses, as in `evaluate`.
//
// Thread safety: one call at a time (it runs the network).
#pragma once

#include <vector>

#include "eval/metrics.hpp"
#include "logoscope/dataset.hpp"
#include "logoscope/detection.hpp"
#include "model/detector.hpp"
#include "model/model_info.hpp"
#include "train/trainer.hpp"

namespace logoscope::train {

/// `data` with its boxes re-indexed to `labels` (the model's); boxes of other labels become ignore.
Dataset in_model_labels(const Dataset& data, const std::vector<std::string>& labels);

struct NetworkScore {
  eval::Metrics metrics;
  std::vector<ImageDetections> detections;
  int unreadable = 0;
};

/// Runs `net` (as `info` describes it) over `data` (in the model's labels, in_model_labels) at
/// min score 0.01 and scores it. Reports `phase` progress through `progress`.
NetworkScore score_network(const model::ModelInfo& info, model::DetectorImpl& net, const Dataset& data,
                           TrainProgress::Phase phase, const ProgressFn& progress);

}  // namespace logoscope::train
