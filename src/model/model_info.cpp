#include "model/model_info.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <sys/stat.h>

#include <fmt/format.h>

#include "core/files.hpp"
#include "core/json_fields.hpp"
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

// Numbers read with their range checked: nlohmann converts 3.5e118 to int (or 1e300 to float)
// unchecked, which is undefined. A bad value throws std::invalid_argument naming the field,
// which model_info_from_json reports as a malformed field.
int whole_number(const nlohmann::json& value, const std::string& field) {
  const bool fits = value.is_number_unsigned()  ? value.get<std::uint64_t>() <= static_cast<std::uint64_t>(INT_MAX)
                    : value.is_number_integer() ? value.get<std::int64_t>() >= INT_MIN && value.get<std::int64_t>() <= INT_MAX
                                                : false;
  if (!fits) throw std::invalid_argument(fmt::format("{} must be a whole number, not {}", field, value.dump()));
  return value.get<int>();
}

std::vector<int> whole_numbers(const nlohmann::json& value, const std::string& field) {
  if (!value.is_array()) throw std::invalid_argument(fmt::format("{} must be a list of whole numbers", field));
  std::vector<int> numbers;
  for (const auto& item : value) numbers.push_back(whole_number(item, field));
  return numbers;
}

// Confidences (0–100) or, in version 1 files, scores (0–1), as scores.
std::vector<float> thresholds_from(const nlohmann::json& value, const std::string& field, double scale) {
  if (!value.is_array()) throw std::invalid_argument(fmt::format("{} must be a list of numbers", field));
  std::vector<float> thresholds;
  for (const auto& item : value) {
    if (!item.is_number() || !(item.get<double>() >= 0 && item.get<double>() <= scale)) {
      throw std::invalid_argument(fmt::format("{} holds {}: each must be a number from 0 to {}", field, item.dump(), scale));
    }
    thresholds.push_back(static_cast<float>(item.get<double>() / scale));
  }
  return thresholds;
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
            {"flip_average", info.flip_average},
            {"no_flip_labels", info.no_flip_labels},
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
  const auto& version = json["version"];
  info.version = version.is_number_unsigned()
                     ? static_cast<int>(std::min<std::uint64_t>(version.get<std::uint64_t>(), INT_MAX))
                     : static_cast<int>(std::clamp<std::int64_t>(version.get<std::int64_t>(), INT_MIN, INT_MAX));
  if (info.version > kModelFormatVersion || info.version < 1) {
    return fail(
        fmt::format("model format version {} is not supported by this logoscope (it reads version {}); "
                    "upgrade logoscope or retrain",
                    info.version, kModelFormatVersion));
  }
  try {
    info.labels = json.at("labels").get<std::vector<std::string>>();
    if (info.version >= 2) {
      info.thresholds = thresholds_from(json.at("min_confidence"), "min_confidence", 100.0);
    } else {
      info.thresholds = thresholds_from(json.at("thresholds"), "thresholds", 1.0);
    }
    const auto& net = json.at("network");
    info.architecture = net.value("architecture", kResnetFpn);  // another type: caught below
    if (info.architecture == kResnetFpn) {
      info.widths = whole_numbers(net.at("widths"), "network.widths");
      info.depths = whole_numbers(net.at("depths"), "network.depths");
      info.neck_width = whole_number(net.at("neck_width"), "network.neck_width");
      info.head_convs = whole_number(net.at("head_convs"), "network.head_convs");
    } else if (info.architecture != kNanoDet) {
      return fail(fmt::format("network.architecture \"{}\" is not one this logoscope knows ({}, {}); upgrade logoscope",
                              info.architecture, kResnetFpn, kNanoDet));
    }
    info.strides = whole_numbers(net.at("strides"), "network.strides");
    info.train_size = whole_number(json.at("input").at("train_size"), "input.train_size");
    info.infer_long_side = whole_number(json.at("input").at("infer_long_side"), "input.infer_long_side");
    info.flip_average = json.at("input").value("flip_average", false);
    info.no_flip_labels = json.at("input").value("no_flip_labels", std::vector<std::string>{});
    info.nms_iou = json.at("nms").at("iou").get<double>();
    info.nms_containment = json.at("nms").at("containment").get<double>();
    info.training = json.value("training", nlohmann::json::object());
    info.datasets = json.value("datasets", nlohmann::json::object());
    info.metrics = json.value("metrics", nlohmann::json::object());
    info.quantization = json.value("quantization", nlohmann::json::object());
    if (!info.quantization.is_object()) return fail("field \"quantization\" must be an object");
  } catch (const nlohmann::json::exception& error) {
    return fail(fmt::format("malformed field: {}", error.what()));
  } catch (const std::invalid_argument& error) {
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
