// What a person planning a training sees: the bar counts the steps asked for (or the seconds of
// the budget), validation effort follows the run's length, a time cap that cuts the steps short
// says so, and model.json says what ended it.
#include <gtest/gtest.h>

#include <filesystem>

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

TEST_F(TrainerProgress, ATimeCapCutsTheStepCountShortAndSaysHowFarItGot) {
  Seen seen;
  TrainConfig config = quick(seen);
  config.max_steps = 100000;
  config.time_budget_s = 3;
  config.patience = 1000;  // what ends it is the cap, not early stopping
  const std::string model_dir = dir_.file("model-capped");
  const auto summary = train_detector(inputs_, config, model_dir);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_EQ(summary->stopped_by, "time_budget");
  EXPECT_EQ(summary->planned_steps, 100000);
  EXPECT_GT(summary->steps, 0);
  EXPECT_LT(summary->steps, 100000);
  ASSERT_FALSE(seen.training.empty());
  EXPECT_EQ(seen.training.back().what, "steps");
  EXPECT_EQ(seen.training.back().total, 100000);
  EXPECT_EQ(seen.training.back().done, summary->steps);  // the bar ends where training stopped, not at 100%
  const auto info = value_or_throw(model::read_model_info(model_dir));
  EXPECT_EQ(info.training["stopped_by"], "time_budget");
  EXPECT_EQ(info.training["max_steps"], 100000);
  EXPECT_EQ(info.training["steps"], summary->steps);
}

// The UI's Stop: asked between steps, training ends there and still writes a whole model (best
// weights so far, thresholds, model.json saying why it ended and where its time went).
TEST_F(TrainerProgress, AStopRequestEndsTrainingWithAWholeModel) {
  Seen seen;
  TrainConfig config = quick(seen);
  config.max_steps = 100000;
  config.patience = 1000;
  int polls = 0;
  config.stop_requested = [&polls] { return ++polls > 12; };
  const std::string model_dir = dir_.file("model-stopped");
  const auto summary = train_detector(inputs_, config, model_dir);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_EQ(summary->stopped_by, "stopped");
  EXPECT_EQ(summary->steps, 12);
  const auto info = value_or_throw(model::read_model_info(model_dir));
  EXPECT_EQ(info.training["stopped_by"], "stopped");
  EXPECT_EQ(info.training["steps"], 12);
  const auto& split = info.training["time_split_s"];
  ASSERT_TRUE(split.is_object()) << info.training.dump();
  EXPECT_GT(split["network_steps"].get<double>(), 0);
  EXPECT_GE(split["waiting_for_batches"].get<double>(), 0);
  EXPECT_LE(split["network_steps"].get<double>() + split["waiting_for_batches"].get<double>(),
            info.training["train_seconds"].get<double>() + 1e-6);
  EXPECT_TRUE(std::filesystem::exists(model_dir + "/weights.pt"));
}

TEST_F(TrainerProgress, TheRecipeTrainsItsStepCountForTheData) {
  Seen seen;
  TrainConfig config = quick(seen);
  config.max_steps = kRecipeSteps;
  config.time_budget_s = 2;  // only what the run plans is checked: a cap ends it after a moment
  const std::string model_dir = dir_.file("model-recipe");
  const auto summary = train_detector(inputs_, config, model_dir);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_EQ(summary->planned_steps, recipe_steps(1, inputs_.train.samples.size()));
  const auto info = value_or_throw(model::read_model_info(model_dir));
  EXPECT_EQ(info.training["steps_from"], "recipe");
}

TEST(RecipeSteps, GrowWithThePhotosWithinBounds) {
  EXPECT_EQ(recipe_steps(1, 20), 400);
  EXPECT_EQ(recipe_steps(1, 5), 400);      // fewer photos do not train less than one label needs
  EXPECT_EQ(recipe_steps(1, 200), 1400);   // 400 × 10^0.55 = 1419
  EXPECT_EQ(recipe_steps(27, 540), 2450);  // FlickrLogos-27's training split: 400 × 27^0.55 = 2452
  EXPECT_EQ(recipe_steps(27, 0), 2450);    // one-shot: 20 photos' worth per label
  EXPECT_EQ(recipe_steps(3, 100000), 4000);
  for (std::size_t photos = 1; photos < 3000; photos += 37) {
    EXPECT_LE(recipe_steps(2, photos), recipe_steps(2, photos + 37));
  }
}

TEST(TrainDetector, RefusesARunThatNothingEnds) {
  testing::TempDir dir;
  TrainInputs inputs;
  synth::SynthOptions options;
  options.images = 4;
  inputs.train = value_or_throw(synth::write_synthetic_dataset(dir.file("data"), options));
  TrainConfig config;
  config.time_budget_s = 0;
  config.max_steps = 0;
  const auto summary = train_detector(inputs, config, dir.file("model"));
  ASSERT_FALSE(summary);
  EXPECT_NE(summary.error().message.find("nothing ends the training"), std::string::npos) << summary.error().message;
}

}  // namespace
}  // namespace logoscope::train
