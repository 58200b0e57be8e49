#include "model/network_io.hpp"

#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "core/files.hpp"
#include "model/nanodet_net.hpp"

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

Detector build_network(const ModelInfo& info) {
  const int labels = static_cast<int>(info.labels.size());
  if (info.architecture == kNanoDetArchitecture) return std::make_shared<NanoDetNetImpl>(labels);
  return DetectorNet(net_config_of(info)).ptr();
}

Result<Detector> load_network(const ModelInfo& info, const std::string& weights_path) {
  if (!fs::exists(weights_path)) {
    return Error{ErrorCode::kNotFound, fmt::format("{}: weights file not found", weights_path)};
  }
  try {
    Detector net = build_network(info);
    torch::serialize::InputArchive archive;
    archive.load_from(weights_path);
    net->load(archive);
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

namespace {

bool is_classifier(const std::string& name, const std::vector<std::string>& prefixes) {
  for (const auto& prefix : prefixes) {
    if (name.rfind(prefix + ".", 0) == 0) return true;
  }
  return false;
}

}  // namespace

Result<BaseInit> init_from_base(DetectorImpl& net, const std::string& base_dir) {
  auto info = read_model_info(base_dir);
  if (!info) return info.error();
  if (info->architecture != net.architecture()) {
    return Error{ErrorCode::kInvalidValue,
                 fmt::format("{}: the base model is a {} network, the one being trained a {}", base_dir,
                             info->architecture, net.architecture())};
  }
  auto base = load_network(*info, (fs::path(base_dir) / "weights.pt").string());
  if (!base) return base.error();
  BaseInit result;
  torch::NoGradGuard no_grad;
  const auto classifiers = net.classifier_prefixes();
  const bool widen_logo = (*base)->num_labels() == 1;
  const auto copy_matching = [&](auto target_items, auto source_items) {
    for (auto& item : target_items) {
      const torch::Tensor* source = source_items.find(item.key());
      auto& target = item.value();
      if (source != nullptr && source->sizes() == target.sizes()) {
        target.copy_(source->to(target.device()));
        ++result.copied;
      } else if (source != nullptr && widen_logo && is_classifier(item.key(), classifiers) && source->dim() >= 1 &&
                 source->size(0) == 1 && source->dim() == target.dim() &&
                 source->sizes().slice(1) == target.sizes().slice(1)) {
        target.copy_(source->to(target.device()).expand_as(target));  // every label starts as "logo"
        ++result.copied;
      } else {
        ++result.skipped;
      }
    }
  };
  copy_matching(net.named_parameters(), (*base)->named_parameters());
  copy_matching(net.named_buffers(), (*base)->named_buffers());
  if (result.copied == 0) {
    return Error{ErrorCode::kInvalidValue,
                 fmt::format("{}: no layer of this base model matches the network being trained", base_dir)};
  }
  return result;
}

void copy_weights(DetectorImpl& to, DetectorImpl& from) {
  torch::NoGradGuard no_grad;
  auto to_params = to.parameters();
  auto from_params = from.parameters();
  LOGOSCOPE_CHECK(to_params.size() == from_params.size());
  for (std::size_t i = 0; i < from_params.size(); ++i) to_params[i].copy_(from_params[i]);
  auto to_buffers = to.buffers();
  auto from_buffers = from.buffers();
  LOGOSCOPE_CHECK(to_buffers.size() == from_buffers.size());
  for (std::size_t i = 0; i < from_buffers.size(); ++i) to_buffers[i].copy_(from_buffers[i]);
}

Status save_network(DetectorImpl& net, const std::string& weights_path) {
  std::ostringstream bytes;
  try {
    torch::serialize::OutputArchive archive;
    net.save(archive);
    archive.save_to(bytes);
  } catch (const c10::Error& error) {
    return Error{ErrorCode::kIo, fmt::format("{}: cannot save weights: {}", weights_path, error.what_without_backtrace())};
  }
  return write_file_atomically(weights_path, bytes.str());
}

}  // namespace logoscope::model
