#include "model/network_io.hpp"

#include <filesystem>

#include <fmt/format.h>

namespace fs = std::filesystem;

namespace logoscope::model {

void to_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& parameter : module.parameters()) {
    if (parameter.dim() == 4) parameter.set_data(parameter.data().contiguous(torch::MemoryFormat::ChannelsLast));
  }
}

torch::Device preferred_device() {
  if (torch::cuda::is_available()) return torch::kCUDA;
  return torch::kCPU;
}

NetConfig net_config_of(const ModelInfo& info) {
  NetConfig config;
  config.widths = info.widths;
  config.depths = info.depths;
  config.neck_width = info.neck_width;
  config.head_convs = info.head_convs;
  config.num_labels = static_cast<int>(info.labels.size());
  return config;
}

Result<DetectorNet> load_network(const ModelInfo& info, const std::string& weights_path) {
  if (!fs::exists(weights_path)) {
    return Error{ErrorCode::kNotFound, fmt::format("{}: weights file not found", weights_path)};
  }
  try {
    DetectorNet net(net_config_of(info));
    torch::load(net, weights_path);
    to_channels_last(*net);
    net->to(preferred_device());
    return net;
  } catch (const c10::Error& error) {
    return Error{ErrorCode::kInvalidValue,
                 fmt::format("{}: cannot load weights for this model.json: {}", weights_path, error.what_without_backtrace())};
  } catch (const std::exception& error) {
    return Error{ErrorCode::kInvalidValue, fmt::format("{}: cannot load weights: {}", weights_path, error.what())};
  }
}

Result<BaseInit> init_from_base(DetectorNet& net, const std::string& base_dir) {
  auto info = read_model_info(base_dir);
  if (!info) return info.error();
  auto base = load_network(*info, (fs::path(base_dir) / "weights.pt").string());
  if (!base) return base.error();
  BaseInit result;
  torch::NoGradGuard no_grad;
  const auto copy_matching = [&](auto target_items, auto source_items) {
    for (auto& item : target_items) {
      const torch::Tensor* source = source_items.find(item.key());
      if (source != nullptr && source->sizes() == item.value().sizes()) {
        item.value().copy_(source->to(item.value().device()));
        ++result.copied;
      } else {
        ++result.skipped;
      }
    }
  };
  copy_matching(net->named_parameters(), (*base)->named_parameters());
  copy_matching(net->named_buffers(), (*base)->named_buffers());
  if (result.copied == 0) {
    return Error{ErrorCode::kInvalidValue,
                 fmt::format("{}: no layer of this base model matches the network being trained", base_dir)};
  }
  return result;
}

Status save_network(DetectorNet& net, const std::string& weights_path) {
  const std::string temporary = weights_path + ".tmp";
  try {
    torch::save(net, temporary);
  } catch (const c10::Error& error) {
    return Error{ErrorCode::kIo, fmt::format("{}: cannot save weights: {}", temporary, error.what_without_backtrace())};
  }
  std::error_code ec;
  fs::rename(temporary, weights_path, ec);
  if (ec) return Error{ErrorCode::kIo, fmt::format("{}: cannot rename into place: {}", weights_path, ec.message())};
  return Ok{};
}

}  // namespace logoscope::model
