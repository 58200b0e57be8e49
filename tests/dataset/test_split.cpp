#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include <opencv2/imgcodecs.hpp>

#include "dataset/split.hpp"
#include "dataset/stats.hpp"
#include "support/temp_dir.hpp"

namespace logoscope::dataset {
namespace {

namespace fs = std::filesystem;

// 3 labels with 10, 10 and 3 images, 5 images without boxes; every image file distinct.
Dataset make_dataset(const testing::TempDir& dir) {
  Dataset data;
  data.labels = {"acme", "bolt", "rare"};
  const int counts[] = {10, 10, 3};
  int index = 0;
  for (int label = 0; label < 3; ++label) {
    for (int i = 0; i < counts[label]; ++i) {
      Sample sample;
      sample.image = dir.file("img" + std::to_string(index) + ".png");
      cv::Mat pixels(8, 8, CV_8UC3, cv::Scalar(index, label, 7));
      cv::imwrite(sample.image, pixels);
      sample.boxes.push_back({1, 1, 5, 5, label});
      data.samples.push_back(sample);
      ++index;
    }
  }
  for (int i = 0; i < 5; ++i) {
    Sample sample;
    sample.image = dir.file("bg" + std::to_string(i) + ".png");
    cv::imwrite(sample.image, cv::Mat(8, 8, CV_8UC3, cv::Scalar(i, 99, 99)));
    data.samples.push_back(sample);
  }
  return data;
}

std::set<std::string> images_of(const Dataset& data) {
  std::set<std::string> images;
  for (const auto& sample : data.samples) images.insert(sample.image);
  return images;
}

TEST(Split, StratifiesEveryLabelOntoBothSides) {
  testing::TempDir dir;
  const Dataset data = make_dataset(dir);
  const auto split = split_dataset(data, {0.2, 3, true});
  ASSERT_TRUE(split) << split.error().message;
  const auto train = summarize_dataset(split->train);
  const auto test = summarize_dataset(split->test);
  EXPECT_EQ(test.images_per_label, (std::vector<std::int64_t>{2, 2, 1}));
  EXPECT_EQ(train.images_per_label, (std::vector<std::int64_t>{8, 8, 2}));
  EXPECT_EQ(test.images_without_boxes, 1);
  EXPECT_EQ(split->train.samples.size() + split->test.samples.size(), data.samples.size());
  EXPECT_EQ(split->train.labels, data.labels);
}

TEST(Split, IsReproducibleForASeedAndVariesAcrossSeeds) {
  testing::TempDir dir;
  const Dataset data = make_dataset(dir);
  const auto first = split_dataset(data, {0.2, 11, true});
  const auto again = split_dataset(data, {0.2, 11, true});
  ASSERT_TRUE(first && again);
  EXPECT_EQ(images_of(first->test), images_of(again->test));
  bool any_different = false;
  for (std::uint64_t seed = 12; seed < 20 && !any_different; ++seed) {
    const auto other = split_dataset(data, {0.2, seed, true});
    any_different = images_of(other->test) != images_of(first->test);
  }
  EXPECT_TRUE(any_different);
}

TEST(Split, KeepsIdenticalImagesOnOneSide) {
  testing::TempDir dir;
  Dataset data = make_dataset(dir);
  // Five copies of one image under other names, and one entry listed twice.
  for (int copy = 0; copy < 5; ++copy) {
    Sample sample = data.samples[0];
    sample.image = dir.file("copy" + std::to_string(copy) + ".png");
    fs::copy_file(data.samples[0].image, sample.image);
    data.samples.push_back(sample);
  }
  data.samples.push_back(data.samples[5]);
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    const auto split = split_dataset(data, {0.3, seed, true});
    ASSERT_TRUE(split);
    const auto test = images_of(split->test);
    const bool original_in_test = test.count(data.samples[0].image) > 0;
    for (int copy = 0; copy < 5; ++copy) {
      EXPECT_EQ(test.count(dir.file("copy" + std::to_string(copy) + ".png")) > 0, original_in_test) << "seed " << seed;
    }
    const auto train = images_of(split->train);
    EXPECT_FALSE(train.count(data.samples[5].image) > 0 && test.count(data.samples[5].image) > 0);
  }
}

TEST(Split, RejectsBadFractionsAndTinyDatasets) {
  testing::TempDir dir;
  const Dataset data = make_dataset(dir);
  EXPECT_EQ(split_dataset(data, {0.0, 0, true}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(split_dataset(data, {1.0, 0, true}).error().code, ErrorCode::kInvalidArgument);
  Dataset one;
  one.samples.push_back(data.samples[0]);
  const auto result = split_dataset(one, {0.2, 0, true});
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("need at least 2"), std::string::npos);
}

}  // namespace
}  // namespace logoscope::dataset
