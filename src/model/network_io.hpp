// model/network_io.hpp — build the network a ModelInfo describes, and save/load its weights.
#pragma once

#include <string>

#include "logoscope/result.hpp"
#include "model/detector_net.hpp"
#include "model/model_info.hpp"

namespace logoscope::model {

/// Stores 4-D parameters channels-last (oneDNN's fast layout on CPU: +10–25 % here).
void to_channels_last(torch::nn::Module& module);

/// CUDA when this libtorch has it and a GPU is visible (LOGOSCOPE_CUDA builds), else the CPU.
torch::Device preferred_device();

NetConfig net_config_of(const ModelInfo& info);

/// Builds the network for `info` and loads `weights_path`. Errors name the file; a libtorch
/// error (c10::Error) is translated, never thrown.
Result<DetectorNet> load_network(const ModelInfo& info, const std::string& weights_path);

/// Saves parameters and buffers atomically (temporary file + rename).
Status save_network(DetectorNet& net, const std::string& weights_path);

}  // namespace logoscope::model
