// The background batch loader (train/batch_loader.hpp): batches in the network's layout, targets
// that sit on the logos' pixels, negatives named, and hard negatives drawn more often once the
// network has scored them high.
#include <gtest/gtest.h>

#include <map>

#include <opencv2/imgproc.hpp>

#include "augment/augment.hpp"
#include "support/red_logos.hpp"
#include "train/batch_loader.hpp"

namespace logoscope::train {
namespace {

using augment::TrainImage;
using testing::red_logo;

// A logo-free photo whose shade names it: negative i is grey level 20 + 10·i.
TrainImage negative(int index) {
  TrainImage image;
  image.rgb = cv::Mat(160, 200, CV_8UC3, cv::Scalar(20 + 10 * index, 20 + 10 * index, 20 + 10 * index));
  return image;
}

// Only geometry and the choice of base image: colours stay as they were, so red is the logo.
augment::AugmentConfig plain_config() {
  augment::AugmentConfig config = testing::geometry_only();
  config.output_size = 128;
  config.mosaic_prob = 0;
  return config;
}

const std::vector<int> kStrides = {8, 16, 32};

TEST(BatchLoader, BatchesHaveTheNetworksLayoutAndTargetsSitOnTheLogos) {
  std::vector<TrainImage> positives = {red_logo(200, 160, {40, 30, 60, 50}), red_logo(240, 180, {120, 20, 90, 90})};
  const std::vector<TrainImage> negatives;
  const auto instances = augment::collect_instances(positives);
  BatchLoader loader(positives, negatives, instances, plain_config(), {}, kStrides, 4, 11);
  const auto layout = model::GridLayout::make(128, 128, kStrides);
  int foreground = 0;
  int on_red = 0;
  for (int b = 0; b < 6; ++b) {
    const Batch batch = loader.next();
    ASSERT_EQ(batch.images.sizes(), (std::vector<std::int64_t>{4, 3, 128, 128}));
    ASSERT_EQ(batch.labels.sizes(), (std::vector<std::int64_t>{4, layout.total}));
    ASSERT_EQ(batch.boxes.sizes(), (std::vector<std::int64_t>{4, layout.total, 4}));
    ASSERT_EQ(batch.centerness.sizes(), (std::vector<std::int64_t>{4, layout.total}));
    ASSERT_EQ(batch.negative_sources, (std::vector<int>{-1, -1, -1, -1}));  // no negatives to draw
    EXPECT_GE(batch.images.min().item<float>(), 0.0F);
    EXPECT_LE(batch.images.max().item<float>(), 1.0F);
    const auto images = batch.images.contiguous();
    int positives_here = 0;
    for (int i = 0; i < 4; ++i) {
      for (std::size_t level = 0; level < kStrides.size(); ++level) {
        const int stride = kStrides[level];
        for (int y = 0; y < layout.heights[level]; ++y) {
          for (int x = 0; x < layout.widths[level]; ++x) {
            const std::int64_t at = layout.offsets[level] + y * layout.widths[level] + x;
            if (batch.labels[i][at].item<std::int64_t>() < 0) continue;
            ++positives_here;
            ++foreground;
            // A positive location's own pixel: red (R high, G and B low) in the network's input.
            const int px = std::min(127, static_cast<int>((x + 0.5) * stride));
            const int py = std::min(127, static_cast<int>((y + 0.5) * stride));
            const float r = images[i][0][py][px].item<float>();
            const float g = images[i][1][py][px].item<float>();
            on_red += (r > 0.8F && g < 0.25F) ? 1 : 0;
            // l, t, r, b reach from the location to a box inside the image.
            const auto ltrb = batch.boxes[i][at];
            EXPECT_GT(ltrb[0].item<float>() + ltrb[2].item<float>(), 0.0F);
            EXPECT_GT(batch.centerness[i][at].item<float>(), 0.0F);
          }
        }
      }
    }
    EXPECT_EQ(batch.positives, positives_here);
  }
  ASSERT_GT(foreground, 20);
  // Resampling blurs the square's edge: nearly every positive location still lands on red.
  EXPECT_GE(on_red, foreground * 9 / 10) << on_red << " of " << foreground << " positive locations on the logo";
}

TEST(BatchLoader, NegativesAreNamedAndTheHardOnesComeBackMoreOften) {
  std::vector<TrainImage> positives = {red_logo(200, 160, {40, 30, 60, 50})};
  std::vector<TrainImage> negatives;
  for (int i = 0; i < 8; ++i) negatives.push_back(negative(i));
  const auto instances = augment::collect_instances(positives);
  auto config = plain_config();
  config.negative_base_prob = 1.0;  // every sample on a negative photo
  auto count_draws = [&](bool report_hard, int batches) {
    BatchLoader loader(positives, negatives, instances, config, {}, kStrides, 4, 5, 1.0);
    std::map<int, int> draws;
    for (int b = 0; b < batches; ++b) {
      const Batch batch = loader.next();
      for (std::size_t i = 0; i < batch.negative_sources.size(); ++i) {
        const int source = batch.negative_sources[i];
        EXPECT_GE(source, 0);
        EXPECT_LT(source, 8);
        if (b >= 8) ++draws[source];  // after the batches queued before the first report
        // The network "mistakes" negative 3 for a logo, and nothing else.
        if (report_hard) loader.report_scores({source}, {source == 3 ? 0.95F : 0.0F});
      }
    }
    return draws;
  };
  const auto uniform = count_draws(false, 48);
  const auto hard = count_draws(true, 48);
  const int total = 40 * 4;
  // Uniform: about 1/8 each. Hard: half the draws weighted by (0.05 + score)^2, so negative 3
  // takes about half plus its uniform share.
  EXPECT_LT(uniform.count(3) ? uniform.at(3) : 0, total / 4);
  EXPECT_GT(hard.count(3) ? hard.at(3) : 0, total * 2 / 5);
}

}  // namespace
}  // namespace logoscope::train
