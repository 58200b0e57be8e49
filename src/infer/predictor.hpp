// infer/predictor.hpp — run a trained model on images: preprocess → network → decode → NMS.
//
// Images are resized so that their long side is the model's infer_long_side (or
// PredictorOptions::long_side), padded to a multiple of 32, run through the network, decoded,
// and suppressed (class-aware NMS + containment). Detections come back in original-image pixels.
// No libtorch type appears here (pimpl).
//
// Thread safety: one Predictor per thread (libtorch parallelises inside each call).
#pragma once

#include <memory>
#include <string>

#include <opencv2/core.hpp>

#include "infer/nms.hpp"
#include "logoscope/detection.hpp"
#include "logoscope/result.hpp"
#include "model/model_info.hpp"

namespace logoscope::infer {

struct PredictorOptions {
  float min_score = 0.05F;  ///< detections below are never returned (evaluation uses 0.01)
  int long_side = 0;        ///< 0 = the model's infer_long_side
  int top_k = 1000;         ///< candidates before NMS
  NmsOptions nms{-1.0, -1.0, false, 300};  ///< negative iou/containment: the model's settings
  int threads = 0;          ///< libtorch intra-op threads; 0 = all cores
};

class Predictor {
 public:
  /// Loads MODEL_DIR (model.json + weights.pt). Errors: kNotFound, kInvalidValue (unknown
  /// version, mismatched weights) naming the file.
  static Result<std::unique_ptr<Predictor>> load(const std::string& model_dir, const PredictorOptions& options = {});
  ~Predictor();
  Predictor(const Predictor&) = delete;
  Predictor& operator=(const Predictor&) = delete;

  /// Detections for one RGB image (CV_8UC3), all scores ≥ min_score, after NMS.
  std::vector<Detection> detect(const cv::Mat& rgb);

  [[nodiscard]] const model::ModelInfo& info() const;

 private:
  struct Impl;
  explicit Predictor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace logoscope::infer
