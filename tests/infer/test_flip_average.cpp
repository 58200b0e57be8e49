// Flip averaging through the Predictor (infer/predictor.hpp, infer/flip_fusion.hpp): the model's
// setting is what detect runs unless the caller overrides it, and the fused result is what the
// two single views give when fused by hand.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include "infer/flip_fusion.hpp"
#include "infer/network_fixtures.hpp"
#include "infer/nms.hpp"
#include "infer/predictor.hpp"
#include "model/model_info.hpp"

namespace logoscope::infer {
namespace {

model::ModelInfo nanodet_info(bool flip_average) {
  model::ModelInfo info;
  info.architecture = "nanodet-g";
  info.labels = {"logo", "other"};
  info.thresholds = {0.5F, 0.5F};
  info.flip_average = flip_average;
  return info;
}

TEST(FlipAverage, TheModelsSettingUnlessTheCallerSaysOtherwise) {
  auto net = random_nanodet(2);
  for (const bool in_model : {false, true}) {
    const auto info = nanodet_info(in_model);
    PredictorOptions options;
    auto follows = Predictor::create(info, *net, options);
    ASSERT_TRUE(follows) << follows.error().message;
    EXPECT_EQ((*follows)->flip_average(), in_model);
    options.flip_average = !in_model;
    auto overridden = Predictor::create(info, *net, options);
    ASSERT_TRUE(overridden) << overridden.error().message;
    EXPECT_EQ((*overridden)->flip_average(), !in_model);
  }
}

TEST(FlipAverage, ModelJsonCarriesTheSettingAndOldModelsRunOneView) {
  auto info = nanodet_info(true);
  info.no_flip_labels = {"other"};
  auto json = model::model_info_to_json(info);
  auto back = model::model_info_from_json(json, "model.json");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(back->flip_average);
  EXPECT_EQ(back->no_flip_labels, std::vector<std::string>{"other"});
  json["input"].erase("flip_average");
  json["input"].erase("no_flip_labels");
  back = model::model_info_from_json(json, "model.json");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_FALSE(back->flip_average);
  EXPECT_TRUE(back->no_flip_labels.empty());
}

// Count of `expected` detections (away from the score floor) that `actual` has too: the same label,
// nearly the same box and score.
int matched(const std::vector<Detection>& expected, const std::vector<Detection>& actual, float floor) {
  int count = 0;
  for (const auto& e : expected) {
    if (e.score < floor) {
      ++count;  // near the floor a rounding difference may keep or drop it: not compared
      continue;
    }
    for (const auto& a : actual) {
      if (a.label == e.label && std::abs(a.score - e.score) < 2e-3F && std::abs(a.x0 - e.x0) < 0.5 &&
          std::abs(a.y0 - e.y0) < 0.5 && std::abs(a.x1 - e.x1) < 0.5 && std::abs(a.y1 - e.y1) < 0.5) {
        ++count;
        break;
      }
    }
  }
  return count;
}

// The image and its mirror image through the single-view predictor, fused and suppressed by hand,
// against the flip-averaging predictor (which batches both views into one network pass). Sizes are
// multiples of 32, so the mirror image's padding is the mirror of the image's.
TEST(FlipAverage, EqualsTheTwoSingleViewsFusedByHand) {
  auto net = random_nanodet(2);
  for (const bool no_flip_other : {false, true}) {
    auto info = nanodet_info(false);
    if (no_flip_other) info.no_flip_labels = {"other"};
    PredictorOptions single;
    single.min_score = 0.15F;
    single.large_logo_pass = false;
    single.tiling.mode = TileMode::kOff;
    single.long_side = 320;
    PredictorOptions both = single;
    both.flip_average = true;
    single.min_score = 0.5F * both.min_score;  // each view keeps candidates down to half the floor
    auto one_view = Predictor::create(info, *net, single);
    auto two_views = Predictor::create(info, *net, both);
    ASSERT_TRUE(one_view && two_views);
    for (int seed = 0; seed < 3; ++seed) {
      const cv::Mat image = scene(320, 224, seed);
      cv::Mat mirror;
      cv::flip(image, mirror, 1);
      const auto a = (*one_view)->detect(image);
      const auto b = unmirror_detections((*one_view)->detect(mirror), image.cols);
      const std::vector<bool> original_only = {false, no_flip_other};
      auto expected = fuse_flipped(a, b, original_only);
      std::erase_if(expected, [&](const Detection& d) { return d.score < both.min_score; });
      NmsOptions nms;
      nms.iou_threshold = info.nms_iou;
      nms.containment_threshold = info.nms_containment;
      expected = non_max_suppression(std::move(expected), nms);
      const auto actual = (*two_views)->detect(image);
      ASSERT_FALSE(expected.empty()) << "the random network should find something to compare";
      EXPECT_EQ(matched(expected, actual, both.min_score + 0.01F), static_cast<int>(expected.size()))
          << "seed " << seed << ": " << expected.size() << " expected, " << actual.size() << " found";
      EXPECT_NEAR(static_cast<double>(expected.size()), static_cast<double>(actual.size()),
                  std::max(2.0, 0.05 * static_cast<double>(expected.size())));
      if (no_flip_other) {
        // The mirror view does not speak for "other": its detections there are the original view's.
        for (const auto& d : actual) {
          if (d.label != 1) continue;
          EXPECT_TRUE(std::any_of(a.begin(), a.end(), [&](const Detection& o) {
            return o.label == 1 && std::abs(o.score - d.score) < 2e-3F && std::abs(o.x0 - d.x0) < 0.5;
          }));
        }
      }
    }
  }
}

}  // namespace
}  // namespace logoscope::infer
