// infer/network_runner.hpp — images through an in-memory network: normalise, pad, forward,
// decode, NMS. Shared by Predictor (a loaded model, with tiling) and the trainer (validation on
// EMA weights).
//
// The network runs as a FoldedNet (batch norms folded into the convolutions, every convolution
// through oneDNN: libtorch's own dispatch sends small batch-1 convolutions to an im2col + the
// reference BLAS path that was 40 % of the time; BENCHMARKS.md, "Detection speed").
//
// libtorch types appear here: include only from libtorch-linked modules.
// Thread safety: run and run_passes may be called from several threads at once (the inference
// network is read-only; the cache of location centres is locked).
#pragma once

#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include <torch/torch.h>
#include <opencv2/core.hpp>

#include "infer/folded_net.hpp"
#include "infer/nms.hpp"
#include "logoscope/detection.hpp"
#include "model/detector.hpp"

namespace logoscope::infer {

struct RunOptions {
  int long_side = 512;  ///< resize so the long side is this (pixels)
  float min_score = 0.05F;
  int top_k = 1000;
  NmsOptions nms;
};

/// One network input: `pixels` (CV_8UC3, at network scale; may be a view into a larger image)
/// and how its boxes map back to image pixels: image = network / scale + offset, clipped to
/// [offset, offset + extent] (the area the pixels show, never the padding).
struct PassInput {
  cv::Mat pixels;
  double scale_x = 1;
  double scale_y = 1;
  int offset_x = 0;
  int offset_y = 0;
  int extent_w = 0;  ///< image pixels the pass covers
  int extent_h = 0;
};

/// Milliseconds spent in each stage (added to by the runner).
struct PassTimes {
  double preprocess_ms = 0;   ///< uint8 → normalised float canvas
  double network_ms = 0;      ///< forward
  double network_gflop = 0;   ///< arithmetic of the forward passes (FlopCount)
  double postprocess_ms = 0;  ///< decode + per-pass NMS
};

class NetworkRunner {
 public:
  /// `net` must be in eval mode and stay on its device. Its weights are copied into its inference
  /// form now (make_inference_net): later changes to `net` are not seen. Throws Failure when there
  /// is none (bf16 on a CPU without it, an unknown architecture).
  /// kInt8 reads its activation ranges from `quantization` (model.json's object).
  explicit NetworkRunner(model::DetectorImpl& net, Precision precision = Precision::kFloat32,
                         const nlohmann::json& quantization = nlohmann::json::object());

  /// Detections for one RGB (CV_8UC3) image in its own pixels (resized to options.long_side).
  std::vector<Detection> run(const cv::Mat& rgb, const RunOptions& options) const;

  /// Runs `passes` (each at most canvas_w × canvas_h pixels, multiples of 32) as one batch and
  /// returns, per pass, its detections in image pixels after NMS (options.nms), at most
  /// options.top_k candidates each. options.long_side is not used.
  std::vector<std::vector<Detection>> run_passes(const std::vector<PassInput>& passes, int canvas_w,
                                                 int canvas_h, const RunOptions& options,
                                                 PassTimes* times = nullptr) const;

 private:
  std::unique_ptr<InferenceNet> net_;
  std::vector<int> strides_;
  torch::Device device_;  ///< where the network's parameters live
  torch::Tensor centres(int canvas_w, int canvas_h) const;
  mutable std::mutex centres_mutex_;
  mutable std::map<std::pair<int, int>, torch::Tensor> centres_by_size_;
};

/// The size (w, h) an image of width × height is resized to so that its long side is long_side.
std::pair<int, int> scaled_size(int width, int height, int long_side);

/// `rgb` resized so that its long side is long_side (area averaging when shrinking, bilinear when
/// growing), as every network pass sees an image; `rgb` itself (shared) when it has that size.
cv::Mat resize_to_long_side(const cv::Mat& rgb, int long_side);

/// `images` (CV_8UC3, each at most canvas_w × canvas_h) normalised into one [N, 3, H, W] tensor of
/// `dtype` (float or bfloat16), channels-last, padded with the normalised padding colour
/// (normalise_into): the network's input.
torch::Tensor normalised_canvas(const std::vector<cv::Mat>& images, int canvas_w, int canvas_h, torch::Dtype dtype);

/// Rounds up to the network's padding granularity (32).
inline int pad_to_32(int pixels) {
  return (pixels + 31) / 32 * 32;
}

}  // namespace logoscope::infer
