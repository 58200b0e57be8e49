// Learnability (dlib's test of a detector): train on generated logos, expect high AP on held-out
// generated images, then save, reload and get identical detections.
#include <gtest/gtest.h>

#include <filesystem>

#include "dataset/split.hpp"
#include "eval/metrics.hpp"
#include "imageio/image_io.hpp"
#include "infer/predictor.hpp"
#include "support/temp_dir.hpp"
#include "synth/synth_dataset.hpp"
#include "train/trainer.hpp"

namespace logoscope::train {
namespace {

TEST(Learnability, LearnsSyntheticLogosAndReloadsIdentically) {
  testing::TempDir dir;
  synth::SynthOptions options;
  options.images = 48;
  options.labels = 2;
  options.seed = 5;
  const Dataset data = value_or_throw(synth::write_synthetic_dataset(dir.path(), options));
  const auto parts = value_or_throw(dataset::split_dataset(data, {0.25, 5, true}));

  TrainInputs inputs;
  inputs.train = parts.train;
  inputs.test = parts.test;
  TrainConfig config;
  config.epochs = 100;
  config.time_budget_s = 1e9;
  config.seed = 3;
  const std::string model_dir = dir.file("model");
  const auto summary = train_detector(inputs, config, model_dir);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_GE(summary->test_metrics["map50"].get<double>(), 0.9) << summary->test_metrics.dump();

  // Reload twice and compare with an independent evaluation of the reloaded model.
  auto first = infer::Predictor::load(model_dir);
  auto second = infer::Predictor::load(model_dir);
  ASSERT_TRUE(first && second);
  std::vector<Sample> truth;
  std::vector<ImageDetections> found;
  for (const auto& sample : parts.test.samples) {
    const auto image = value_or_throw(imageio::decode_image_file(sample.image));
    const auto a = (*first)->detect(image.rgb);
    const auto b = (*second)->detect(image.rgb);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].x0, b[i].x0);
      EXPECT_EQ(a[i].score, b[i].score);
      EXPECT_EQ(a[i].label, b[i].label);
    }
    truth.push_back(sample);
    found.push_back({sample.image, image.rgb.cols, image.rgb.rows, a});
  }
  const auto metrics = eval::compute_metrics(truth, found, data.labels);
  EXPECT_GE(metrics.map50, 0.9);
}

}  // namespace
}  // namespace logoscope::train
