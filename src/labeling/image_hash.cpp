#include "labeling/image_hash.hpp"

#include <stdexcept>

#include <opencv2/img_hash.hpp>
#include <opencv2/imgproc.hpp>

namespace logoscope::labeling {

std::uint64_t perceptual_hash(const cv::Mat& image) {
  if (image.empty() || (image.type() != CV_8UC3 && image.type() != CV_8UC1)) {
    throw std::invalid_argument("perceptual_hash: an RGB or grey 8-bit image is required");
  }
  cv::Mat grey;
  if (image.type() == CV_8UC3) {
    cv::cvtColor(image, grey, cv::COLOR_RGB2GRAY);
  } else {
    grey = image;
  }
  // Averaged down first: the hash's own 32×32 resize samples, and a 4000-pixel photo would alias.
  cv::Mat thumbnail;
  cv::resize(grey, thumbnail, cv::Size(32, 32), 0, 0, cv::INTER_AREA);
  cv::Mat bytes;
  cv::img_hash::pHash(thumbnail, bytes);
  std::uint64_t hash = 0;
  for (int i = 0; i < bytes.cols; ++i) hash = (hash << 8U) | bytes.at<std::uint8_t>(0, i);
  return hash;
}

}  // namespace logoscope::labeling
