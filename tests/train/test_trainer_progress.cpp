// What a person planning a training sees: the bar counts the steps asked for (or the seconds of
// the budget), validation effort follows the run's length, and model.json says what ended it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/model_info.hpp"
#include "support/temp_dir.hpp"
#include "synth/synth_dataset.hpp"
#include "train/trainer.hpp"

namespace logoscope::train {
namespace {

struct Seen {
  std::vector<TrainProgress> training;
  int validations = 0;
};

class TrainerProgress : public ::testing::Test {
 protected:
  void SetUp() override {
    synth::SynthOptions options;
    options.images = 40;
    options.labels = 1;
    options.seed = 2;
    inputs_.train = value_or_throw(synth::write_synthetic_dataset(dir_.file("data"), options));
  }

  TrainConfig quick(Seen& seen) const {
    TrainConfig config;
    config.batch_size = 2;
    config.input_size = 128;
    config.infer_long_side = 160;
    config.min_val_label_images = 5;  // a validation split from these few images
    config.time_budget_s = 1e9;
    config.on_progress = [&seen](const TrainProgress& update) {
      if (update.phase == TrainProgress::Phase::kTraining) seen.training.push_back(update);
      if (update.phase == TrainProgress::Phase::kValidating && update.finished) ++seen.validations;
    };
    return config;
  }

  testing::TempDir dir_;
  TrainInputs inputs_;
};

TEST_F(TrainerProgress, CountsStepsAndValidatesInProportion) {
  for (const auto& [steps, validations] : std::vector<std::pair<std::int64_t, int>>{{30, 1}, {120, 2}}) {
    Seen seen;
    TrainConfig config = quick(seen);
    config.max_steps = steps;
    const std::string model_dir = dir_.file("model-" + std::to_string(steps));
    const auto summary = train_detector(inputs_, config, model_dir);
    ASSERT_TRUE(summary) << summary.error().message;
    ASSERT_FALSE(seen.training.empty());
    for (const auto& update : seen.training) {
      EXPECT_EQ(update.what, "steps");
      EXPECT_EQ(update.total, steps);
      EXPECT_LE(update.done, steps);
    }
    EXPECT_EQ(seen.training.back().done, steps);
    EXPECT_TRUE(seen.training.back().finished);
    EXPECT_EQ(seen.validations, validations) << steps << " steps";
    const auto info = value_or_throw(model::read_model_info(model_dir));
    EXPECT_EQ(info.training["stopped_by"], "steps");
  }
}

TEST_F(TrainerProgress, ATimeBudgetCountsSecondsAndSaysItStoppedTheRun) {
  Seen seen;
  TrainConfig config = quick(seen);
  config.time_budget_s = 3;
  const std::string model_dir = dir_.file("model-budget");
  const auto summary = train_detector(inputs_, config, model_dir);
  ASSERT_TRUE(summary) << summary.error().message;
  ASSERT_FALSE(seen.training.empty());
  EXPECT_EQ(seen.training.back().what, "seconds");
  EXPECT_EQ(seen.training.back().total, 3);
  const auto info = value_or_throw(model::read_model_info(model_dir));
  EXPECT_EQ(info.training["stopped_by"], "time_budget");
}

}  // namespace
}  // namespace logoscope::train
