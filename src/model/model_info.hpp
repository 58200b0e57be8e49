// model/model_info.hpp — the versioned model directory's description (model.json), readable
// without libtorch (evaluation updates thresholds; tools list models).
//
// A model directory holds:
//   model.json   this description: format "logoscope-model", version, labels, network shape,
//                input sizes, per-label assumed thresholds, NMS settings, training config and
//                seed, dataset hashes, metrics
//   weights.pt   the network's parameters and buffers (libtorch archive)
//   training.csv a row every 10 steps (step, seconds, images, losses, lr) and one per validation
//                (the same plus val F1, val AP50; empty on the other rows)
// Readers reject other formats and newer versions with a clear error.
//
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "logoscope/result.hpp"

namespace logoscope::model {

/// 2: per-label thresholds stored as "min_confidence" on the 0–100 scale (version 1: "thresholds",
/// 0–1); both are read.
inline constexpr int kModelFormatVersion = 2;
inline constexpr const char* kModelFormatName = "logoscope-model";

struct ModelInfo {
  int version = kModelFormatVersion;
  std::vector<std::string> labels;
  /// Per label, the assumed threshold (argmax F1) as a score 0–1; model.json shows it ×100 as
  /// "min_confidence", the default of `detect --min-confidence`.
  std::vector<float> thresholds;
  /// "fcos-resnet-fpn" (DetectorNet; widths…head_convs describe it) or "nanodet-g" (NanoDetNet).
  std::string architecture = "fcos-resnet-fpn";
  std::vector<int> widths = {16, 24, 48, 96, 160};
  std::vector<int> depths = {0, 1, 2, 1};
  int neck_width = 48;
  int head_convs = 1;
  std::vector<int> strides = {8, 16, 32};
  int train_size = 320;                ///< square training crops
  int infer_long_side = 512;           ///< images are resized so their long side is this
  double nms_iou = 0.5;
  double nms_containment = 0.8;
  /// Detection also runs the mirror image and averages the two views (infer/flip_fusion.hpp);
  /// model.json input.flip_average, false when absent (models from before 2026-12-07).
  bool flip_average = false;
  /// Labels whose mirror image is another logo (train --no-flip): never mirrored in training, and
  /// seen by the original view only when flip averaging. model.json input.no_flip_labels.
  std::vector<std::string> no_flip_labels;
  nlohmann::json training;             ///< resolved training config, seed, timings
  nlohmann::json datasets;             ///< paths and content hashes
  nlohmann::json metrics;              ///< evaluation of the test set
  /// Activation ranges for int8 inference ("quantization" in model.json; infer/int8_nanodet.hpp
  /// writes and checks it). Empty object: not calibrated, int8 inference unavailable.
  nlohmann::json quantization = nlohmann::json::object();
};

nlohmann::json model_info_to_json(const ModelInfo& info);
Result<ModelInfo> model_info_from_json(const nlohmann::json& json, const std::string& source);

/// The files of a model folder that loading it reads ("model.json", "weights.pt"), relative to
/// the folder: an InputSet protects them (core/input_set.hpp).
std::vector<std::string> model_files();

/// Reads DIR/model.json. Errors name the file and the field.
Result<ModelInfo> read_model_info(const std::string& model_dir);
/// Writes DIR/model.json atomically (temporary file + rename).
Status write_model_info(const ModelInfo& info, const std::string& model_dir);

/// When DIR/weights.pt was last written, ms since the epoch; 0 when it cannot be read.
std::int64_t weights_written_ms(const std::string& model_dir);

/// Writes `text` to `path` atomically.
Status write_text_atomically(const std::string& path, const std::string& text);

}  // namespace logoscope::model
