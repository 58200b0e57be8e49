// Test fixtures for the libtorch inference tests: a NanoDet-g with random weights whose
// activations neither vanish nor explode, and photograph-like scenes.
#pragma once

#include <cmath>
#include <memory>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "model/nanodet_net.hpp"

namespace logoscope::infer {

// Random weights scaled so that activations neither vanish nor explode through the 30 layers.
inline std::shared_ptr<model::NanoDetNetImpl> random_nanodet(int labels) {
  torch::manual_seed(11);
  auto net = std::make_shared<model::NanoDetNetImpl>(labels);
  torch::NoGradGuard no_grad;
  for (auto& parameter : net->named_parameters()) {
    auto& value = parameter.value();
    if (parameter.key().find("bias") != std::string::npos) {
      value.uniform_(-0.2, 0.2);
    } else {
      const double fan_in = static_cast<double>(value.numel() / value.size(0));
      value.normal_(0.0, std::sqrt(2.0 / fan_in));
    }
  }
  net->eval();
  return net;
}

// Photographs stand-in: smooth colour gradients, blobs and edges (uniform noise would give
// ranges no real image has).
inline cv::Mat scene(int width, int height, int seed) {
  cv::RNG rng(static_cast<std::uint64_t>(seed));
  cv::Mat rgb(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      rgb.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(x * 255 / width), static_cast<uchar>(y * 255 / height),
                                          static_cast<uchar>((x + y + seed * 37) % 256));
    }
  }
  for (int k = 0; k < 12; ++k) {
    const cv::Point centre(rng.uniform(0, width), rng.uniform(0, height));
    cv::circle(rgb, centre, rng.uniform(4, width / 4),
               cv::Scalar(rng.uniform(0, 256), rng.uniform(0, 256), rng.uniform(0, 256)), cv::FILLED);
    cv::rectangle(rgb, cv::Rect(rng.uniform(0, width), rng.uniform(0, height), rng.uniform(8, 64), rng.uniform(8, 64)),
                  cv::Scalar(rng.uniform(0, 256), rng.uniform(0, 256), rng.uniform(0, 256)), 2);
  }
  return rgb;
}

}  // namespace logoscope::infer
