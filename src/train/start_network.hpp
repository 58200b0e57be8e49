// train/start_network.hpp — the network a training starts from.
//
//   base_model set        that model folder's architecture and weights (model::init_from_base:
//                         layers matching by name and shape; a one-label "logo" base seeds
//                         every label's classifier)
//   architecture nanodet-g, no base
//                         NanoDet-g's COCO weights from the pretrained cache
//                         (scripts/fetch-pretrained.sh), new classification and centerness outputs
//   otherwise             fcos-resnet-fpn with random weights
// and a ModelInfo describing it (labels, sizes, the training config), which validation and the
// saved model.json share.
//
// Thread safety: reentrant.
#pragma once

#include <nlohmann/json.hpp>

#include "logoscope/result.hpp"
#include "model/detector.hpp"
#include "model/model_info.hpp"
#include "train/trainer.hpp"

namespace logoscope::train {

struct StartedNetwork {
  model::Detector net;
  model::ModelInfo info;
  nlohmann::json start;  ///< what it started from, for model.json ("training.start")
  double trunk_lr_scale = 1.0;
};

/// Errors: a base or pretrained cache that cannot be read (naming the file and the fix), a base
/// of another architecture than `config.architecture`, an unknown architecture.
Result<StartedNetwork> start_network(const std::vector<std::string>& labels, const TrainConfig& config);

}  // namespace logoscope::train
