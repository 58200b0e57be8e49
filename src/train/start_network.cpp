#include "train/start_network.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "model/nanodet_net.hpp"
#include "model/network_io.hpp"

namespace logoscope::train {

Result<StartedNetwork> start_network(const std::vector<std::string>& labels, const TrainConfig& config) {
  StartedNetwork started;
  model::ModelInfo& info = started.info;
  info.labels = labels;
  info.thresholds.assign(labels.size(), 0.5F);
  info.train_size = config.input_size;
  info.infer_long_side = config.infer_long_side;
  info.flip_average = config.flip_average && config.augment.flip_prob > 0;
  info.training = config_to_json(config);

  std::string architecture = config.architecture;
  if (!config.base_model.empty()) {
    auto base_info = model::read_model_info(config.base_model);
    if (!base_info) return base_info.error();
    if (!architecture.empty() && architecture != base_info->architecture) {
      return Error{ErrorCode::kInvalidArgument,
                   fmt::format("--architecture {} cannot start from {}: that base model is a {} network", architecture,
                               config.base_model, base_info->architecture)};
    }
    architecture = base_info->architecture;
    info.widths = base_info->widths;
    info.depths = base_info->depths;
    info.neck_width = base_info->neck_width;
    info.head_convs = base_info->head_convs;
  }
  if (architecture.empty()) architecture = model::kResnetFpnArchitecture;
  if (architecture != model::kResnetFpnArchitecture && architecture != model::kNanoDetArchitecture) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("unknown architecture \"{}\" ({} or {})", architecture, model::kResnetFpnArchitecture,
                             model::kNanoDetArchitecture)};
  }
  info.architecture = architecture;
  const int num_labels = static_cast<int>(labels.size());

  if (!config.base_model.empty()) {
    started.net = model::build_network(info);
    auto init = model::init_from_base(*started.net, config.base_model);
    if (!init) return init.error();
    spdlog::info("starting from the base model {}: {} tensors taken over, {} freshly initialised", config.base_model,
                 init->copied, init->skipped);
    started.start = {{"from", "base"}, {"base_model", config.base_model}, {"copied", init->copied}, {"fresh", init->skipped}};
  } else if (architecture == model::kNanoDetArchitecture) {
    auto net = model::nanodet_from_cache(num_labels);
    if (!net) return net.error();
    started.net = *net;
    spdlog::info("starting from NanoDet-g's COCO weights (pretrained cache)");
    started.start = {{"from", "nanodet-g-coco"}};
  } else {
    started.net = model::build_network(info);
    started.start = {{"from", "scratch"}};
  }
  if (config.freeze > 0) {
    auto* nanodet = dynamic_cast<model::NanoDetNetImpl*>(started.net.get());
    if (nanodet == nullptr) {
      return Error{ErrorCode::kInvalidArgument,
                   fmt::format("--freeze applies to nanodet-g networks, not to {}", architecture)};
    }
    if (config.freeze > 5) return Error{ErrorCode::kInvalidArgument, fmt::format("--freeze is 0…5, got {}", config.freeze)};
    nanodet->freeze(config.freeze);
    started.start["frozen_parts"] = config.freeze;
  }
  // NanoDet-g's trunk holds COCO features (and logo features on top in a nanodet-g base): fine-tune
  // it gently while the new outputs learn fast.
  const bool pretrained_trunk = architecture == model::kNanoDetArchitecture;
  started.trunk_lr_scale = config.trunk_lr_scale >= 0 ? config.trunk_lr_scale : (pretrained_trunk ? 0.3 : 1.0);
  started.start["trunk_lr_scale"] = started.trunk_lr_scale;
  return started;
}

}  // namespace logoscope::train
