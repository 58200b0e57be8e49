// The perceptual hash tells copies of a picture (resized, re-encoded, a little noise) from other
// pictures.
#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "labeling/image_hash.hpp"
#include "labeling/priority.hpp"

namespace logoscope::labeling {
namespace {

// A photo-like RGB scene: a gradient sky and a few filled shapes, all from `seed`.
cv::Mat scene(unsigned seed, int width = 480, int height = 360) {
  std::mt19937 rng(seed);
  cv::Mat image(height, width, CV_8UC3);
  const cv::Vec3b top(static_cast<uchar>(rng() % 256), static_cast<uchar>(rng() % 256), static_cast<uchar>(rng() % 256));
  for (int y = 0; y < height; ++y) {
    image.row(y).setTo(cv::Scalar(top[0] * (height - y) / height, top[1], top[2] * y / height));
  }
  for (int shape = 0; shape < 6; ++shape) {
    const cv::Point centre(static_cast<int>(rng() % width), static_cast<int>(rng() % height));
    const cv::Scalar colour(rng() % 256, rng() % 256, rng() % 256);
    if (shape % 2 == 0) {
      cv::circle(image, centre, 20 + static_cast<int>(rng() % 80), colour, cv::FILLED);
    } else {
      cv::rectangle(image, cv::Rect(centre.x, centre.y, 30 + static_cast<int>(rng() % 150), 30 + static_cast<int>(rng() % 100)),
                    colour, cv::FILLED);
    }
  }
  return image;
}

TEST(PerceptualHash, CopiesOfAPictureAreFewBitsApartAndOtherPicturesMany) {
  for (unsigned seed = 1; seed <= 8; ++seed) {
    const cv::Mat original = scene(seed);
    const std::uint64_t hash = perceptual_hash(original);
    EXPECT_EQ(perceptual_hash(original.clone()), hash);

    cv::Mat smaller;
    cv::resize(original, smaller, cv::Size(), 0.37, 0.37, cv::INTER_AREA);
    std::vector<std::uint8_t> jpeg;
    cv::imencode(".jpg", smaller, jpeg, {cv::IMWRITE_JPEG_QUALITY, 60});
    const cv::Mat reencoded = cv::imdecode(jpeg, cv::IMREAD_COLOR);
    cv::Mat noisy = original.clone();
    cv::Mat noise(noisy.size(), noisy.type());
    cv::randn(noise, cv::Scalar::all(0), cv::Scalar::all(6));
    noisy += noise;
    EXPECT_LE(hash_distance(hash, perceptual_hash(reencoded)), 6) << "seed " << seed;
    EXPECT_LE(hash_distance(hash, perceptual_hash(noisy)), 6) << "seed " << seed;
    EXPECT_GT(hash_distance(hash, perceptual_hash(scene(seed + 100))), kNearDuplicateBits) << "seed " << seed;
  }
}

TEST(PerceptualHash, GreyAndRgbOfOnePictureAgreeAndOtherTypesAreRefused) {
  const cv::Mat rgb = scene(3);
  cv::Mat grey;
  cv::cvtColor(rgb, grey, cv::COLOR_RGB2GRAY);
  EXPECT_EQ(perceptual_hash(rgb), perceptual_hash(grey));
  EXPECT_THROW(perceptual_hash(cv::Mat()), std::invalid_argument);
  EXPECT_THROW(perceptual_hash(cv::Mat(10, 10, CV_32FC3)), std::invalid_argument);
}

}  // namespace
}  // namespace logoscope::labeling
