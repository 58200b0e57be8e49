// tests/support/red_logos.hpp — training images whose logo is its red pixels, and an augmentation
// that changes geometry only, so that a test can tell from the pixels alone where a box belongs
// (test_augment, test_batch_loader).
#pragma once

#include <opencv2/core.hpp>

#include "augment/augment.hpp"

namespace logoscope::testing {

/// A grey photo with a pure red rectangle and its box (label 0).
inline augment::TrainImage red_logo(int width, int height, cv::Rect logo) {
  augment::TrainImage image;
  image.rgb = cv::Mat(height, width, CV_8UC3, cv::Scalar(128, 128, 128));
  image.rgb(logo).setTo(cv::Scalar(255, 0, 0));
  image.boxes.push_back({static_cast<double>(logo.x), static_cast<double>(logo.y), static_cast<double>(logo.x + logo.width),
                         static_cast<double>(logo.y + logo.height), 0, false, false});
  return image;
}

/// Geometry only: no colour changes that could turn red into something else, no pastes.
inline augment::AugmentConfig geometry_only() {
  augment::AugmentConfig config;
  config.color_jitter = 0;
  config.grayscale_prob = 0;
  config.tint_prob = 0;
  config.blur_prob = 0;
  config.noise_prob = 0;
  config.jpeg_prob = 0;
  config.occlusion_prob = 0;
  config.paste_prob = 0;
  config.max_distractors = 0;
  return config;
}

}  // namespace logoscope::testing
