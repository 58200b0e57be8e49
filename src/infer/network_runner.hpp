// infer/network_runner.hpp — one image through an in-memory network: resize, pad, forward,
// decode, NMS. Shared by Predictor (a loaded model) and the trainer (validation on EMA weights).
// libtorch types appear here: include only from libtorch-linked modules.
#pragma once

#include <map>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>
#include <torch/torch.h>

#include "infer/nms.hpp"
#include "logoscope/detection.hpp"
#include "model/detector_net.hpp"

namespace logoscope::infer {

struct RunOptions {
  int long_side = 512;      ///< resize so the long side is this (pixels)
  float min_score = 0.05F;
  int top_k = 1000;
  NmsOptions nms;
};

class NetworkRunner {
 public:
  /// `net` must be in eval mode and stay on its device; `strides` are its output strides.
  NetworkRunner(model::DetectorNet net, std::vector<int> strides);

  /// Detections for one RGB (CV_8UC3) image in its own pixels.
  std::vector<Detection> run(const cv::Mat& rgb, const RunOptions& options);

 private:
  model::DetectorNet net_;
  std::vector<int> strides_;
  torch::Device device_;  ///< where the network's parameters live
  std::map<std::pair<int, int>, torch::Tensor> centres_by_size_;
};

}  // namespace logoscope::infer
