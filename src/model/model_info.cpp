#include "model/model_info.hpp"

#include "core/files.hpp"
#include "core/json_fields.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/stat.h>

#include <fmt/format.h>

#include "storage/storage.hpp"

namespace fs = std::filesystem;

namespace logoscope::model {

namespace {

constexpr const char* kResnetFpn = "fcos-resnet-fpn";
constexpr const char* kNanoDet = "nanodet-g";

// Scores 0–1 as confidences 0–100, rounded to 0.01 so that the file reads as people type them.
std::vector<double> confidences(const std::vector<float>& thresholds) {
  std::vector<double> out;
  for (const float threshold : thresholds) out.push_back(std::round(threshold * 10000.0) / 100.0);
  return out;
}

nlohmann::json network_to_json(const ModelInfo& info) {
  if (info.architecture == kNanoDet) return {{"architecture", info.architecture}, {"strides", info.strides}};
  return {{"architecture", info.architecture}, {"widths", info.widths},         {"depths", info.depths},
          {"neck_width", info.neck_width},     {"head_convs", info.head_convs}, {"strides", info.strides}};
}

}  // namespace

nlohmann::json model_info_to_json(const ModelInfo& info) {
  nlohmann::json json = {{"format", kModelFormatName},
          {"version", kModelFormatVersion},
          {"labels", info.labels},
          {"min_confidence", confidences(info.thresholds)},
          {"network", network_to_json(info)},
          {"input",
           {{"train_size", info.train_size},
            {"infer_long_side", info.infer_long_side},
            {"pixels", "RGB, 0-1, normalised by ImageNet mean/std inside the network"}}},
          {"nms", {{"iou", info.nms_iou}, {"containment", info.nms_containment}}},
          {"training", info.training},
          {"datasets", info.datasets},
          {"metrics", info.metrics}};
  if (!info.quantization.empty()) json["quantization"] = info.quantization;
  return json;
}

Result<ModelInfo> model_info_from_json(const nlohmann::json& json, const std::string& source) {
  auto fail = [&](const std::string& what) {
    return Error{ErrorCode::kInvalidValue, fmt::format("{}: {}", source, what)};
  };
  if (!json.is_object() || field_or<std::string>(json, "format", "") != kModelFormatName) {
    return fail(fmt::format("not a logoscope model (field \"format\" must be \"{}\")", kModelFormatName));
  }
  if (!json.contains("version") || !json["version"].is_number_integer())
    return fail("field \"version\" is missing");
  ModelInfo info;
  info.version = json["version"].get<int>();
  if (info.version > kModelFormatVersion || info.version < 1) {
    return fail(
        fmt::format("model format version {} is not supported by this logoscope (it reads version {}); "
                    "upgrade logoscope or retrain",
                    info.version, kModelFormatVersion));
  }
  try {
    info.labels = json.at("labels").get<std::vector<std::string>>();
    if (info.version >= 2) {
      info.thresholds = json.at("min_confidence").get<std::vector<float>>();
      for (auto& threshold : info.thresholds) threshold /= 100.0F;
    } else {
      info.thresholds = json.at("thresholds").get<std::vector<float>>();
    }
    const auto& net = json.at("network");
    info.architecture = net.value("architecture", kResnetFpn);  // another type: caught below
    if (info.architecture == kResnetFpn) {
      info.widths = net.at("widths").get<std::vector<int>>();
      info.depths = net.at("depths").get<std::vector<int>>();
      info.neck_width = net.at("neck_width").get<int>();
      info.head_convs = net.at("head_convs").get<int>();
    } else if (info.architecture != kNanoDet) {
      return fail(fmt::format("network.architecture \"{}\" is not one this logoscope knows ({}, {}); upgrade logoscope",
                              info.architecture, kResnetFpn, kNanoDet));
    }
    info.strides = net.at("strides").get<std::vector<int>>();
    info.train_size = json.at("input").at("train_size").get<int>();
    info.infer_long_side = json.at("input").at("infer_long_side").get<int>();
    info.nms_iou = json.at("nms").at("iou").get<double>();
    info.nms_containment = json.at("nms").at("containment").get<double>();
    info.training = json.value("training", nlohmann::json::object());
    info.datasets = json.value("datasets", nlohmann::json::object());
    info.metrics = json.value("metrics", nlohmann::json::object());
    info.quantization = json.value("quantization", nlohmann::json::object());
    if (!info.quantization.is_object()) return fail("field \"quantization\" must be an object");
  } catch (const nlohmann::json::exception& error) {
    return fail(fmt::format("malformed field: {}", error.what()));
  }
  if (info.labels.empty()) return fail("field \"labels\" is empty");
  if (info.thresholds.size() != info.labels.size()) info.thresholds.assign(info.labels.size(), 0.5F);
  return info;
}

std::vector<std::string> model_files() { return {"model.json", "weights.pt"}; }

Result<ModelInfo> read_model_info(const std::string& model_dir) {
  const std::string path = storage::join(model_dir, "model.json");
  auto text = storage::read_text(path);
  if (!text) {
    if (text.error().code != ErrorCode::kNotFound) return text.error();
    return Error{ErrorCode::kNotFound, fmt::format("{}: no model here (model.json not found)", model_dir)};
  }
  const auto json = nlohmann::json::parse(*text, nullptr, false);
  if (json.is_discarded()) return Error{ErrorCode::kParse, fmt::format("{}: not valid JSON", path)};
  return model_info_from_json(json, path);
}

Status write_text_atomically(const std::string& path, const std::string& text) {
  return storage::write_file(path, text);
}

Status write_model_info(const ModelInfo& info, const std::string& model_dir) {
  return write_text_atomically((fs::path(model_dir) / "model.json").string(),
                               model_info_to_json(info).dump(2) + "\n");
}

std::int64_t weights_written_ms(const std::string& model_dir) {
  struct stat status {};
  if (stat((std::filesystem::path(model_dir) / "weights.pt").c_str(), &status) != 0) return 0;
  return static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1000 + status.st_mtim.tv_nsec / 1'000'000;
}

}  // namespace logoscope::model
