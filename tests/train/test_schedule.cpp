// The trainer's decisions that depend on numbers alone (train/schedule.hpp): the run's length,
// its progress, the learning rate, the validation points, early stopping and the log a resumed
// run keeps. Each against values worked out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "train/schedule.hpp"

namespace logoscope::train {
namespace {

TEST(PlanSteps, TheRecipeAGivenCountEpochsOrATimeBudget) {
  auto recipe = plan_steps({kRecipeSteps, 0, 16, 0}, 1, 20, 30);
  ASSERT_TRUE(recipe.ok());
  EXPECT_EQ(recipe->max_steps, recipe_steps(1, 20));
  EXPECT_EQ(recipe->steps_from, "recipe");

  auto given = plan_steps({120, 3, 16, 60}, 1, 20, 30);  // a count wins over epochs
  ASSERT_TRUE(given.ok());
  EXPECT_EQ(given->max_steps, 120);
  EXPECT_EQ(given->steps_from, "steps");

  auto epochs = plan_steps({0, 3, 16, 0}, 1, 20, 30);  // 3 × 30 samples in batches of 16: 90 / 16 → 6
  ASSERT_TRUE(epochs.ok());
  EXPECT_EQ(epochs->max_steps, 6);
  EXPECT_EQ(epochs->steps_from, "epochs");

  auto budget = plan_steps({0, 0, 16, 45}, 1, 20, 30);
  ASSERT_TRUE(budget.ok());
  EXPECT_EQ(budget->max_steps, 0);
  EXPECT_EQ(budget->steps_from, "time_budget");

  auto nothing = plan_steps({0, 0, 16, 0}, 1, 20, 30);
  ASSERT_FALSE(nothing.ok());
  EXPECT_EQ(nothing.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(nothing.error().message.find("nothing ends the training"), std::string::npos);
}

TEST(RunLength, StepsOrTheBudgetWhicheverIsFurther) {
  const RunLength steps(200, 0);
  EXPECT_DOUBLE_EQ(steps.progress(50, 1e6), 0.25);  // no cap: time does not count
  const RunLength capped(200, 100);
  EXPECT_DOUBLE_EQ(capped.progress(50, 10), 0.25);
  EXPECT_DOUBLE_EQ(capped.progress(50, 80), 0.8);
  EXPECT_DOUBLE_EQ(capped.progress(200, 10), 1.0);
  const RunLength budget(0, 60);
  EXPECT_DOUBLE_EQ(budget.progress(1000, 30), 0.5);
}

TEST(LearningRate, WarmsUpLinearlyThenFollowsACosineToFivePercent) {
  EXPECT_DOUBLE_EQ(learning_rate_at(1.0, 0, 0.0), 1.0 / kWarmupSteps);
  EXPECT_DOUBLE_EQ(learning_rate_at(1.0, 29, 0.0), 30.0 / kWarmupSteps);
  EXPECT_DOUBLE_EQ(learning_rate_at(2.0, kWarmupSteps - 1, 0.0), 2.0);
  EXPECT_NEAR(learning_rate_at(1.0, 500, 0.5), kFinalLearningRate + (1 - kFinalLearningRate) * 0.5, 1e-12);
  EXPECT_NEAR(learning_rate_at(1.0, 500, 1.0), kFinalLearningRate, 1e-12);
  EXPECT_NEAR(learning_rate_at(1.0, 500, 3.0), kFinalLearningRate, 1e-12) << "past the end it stays at the floor";
  // Never rising after the warm-up, over a whole run.
  double previous = 2.0;
  for (int step = kWarmupSteps; step <= 400; ++step) {
    const double rate = learning_rate_at(1.0, step, step / 400.0);
    EXPECT_LE(rate, previous + 1e-15);
    previous = rate;
  }
}

std::vector<int> validation_steps(std::int64_t max_steps, int most, std::int64_t from_step = 0) {
  const RunLength length(max_steps, 0);
  ValidationSchedule schedule(length, most, length.progress(from_step, 0));
  std::vector<int> at;
  for (std::int64_t step = from_step + 1; step <= max_steps; ++step) {
    if (schedule.due(length.progress(step, 0))) at.push_back(static_cast<int>(step));
  }
  return at;
}

TEST(ValidationSchedule, OnePerFiftyStepsAtMostTheLimitAlwaysAtTheEnd) {
  EXPECT_EQ(validation_steps(30, 8), std::vector<int>({30})) << "a smoke test checks once, at its end";
  EXPECT_EQ(validation_steps(200, 8), std::vector<int>({50, 100, 150, 200}));
  EXPECT_EQ(validation_steps(800, 8), std::vector<int>({100, 200, 300, 400, 500, 600, 700, 800}));
  EXPECT_EQ(validation_steps(800, 0), std::vector<int>({800})) << "a limit under one still checks at the end";
  // A run resumed at step 230 of 800 checks at the next point, not at the ones it has passed.
  EXPECT_EQ(validation_steps(800, 8, 230), std::vector<int>({300, 400, 500, 600, 700, 800}));
  // A time budget alone: one per 30 s.
  const RunLength budget(0, 95);
  EXPECT_EQ(ValidationSchedule(budget, 8, 0).count(), 3);
}

TEST(EarlyStopping, CountsChecksWithoutImprovementOnceHalfTheRunIsSpent) {
  EarlyStopping early;
  EXPECT_TRUE(early.record(0.0, 0.1)) << "the first check is the best so far";
  EXPECT_FALSE(early.record(0.0, 0.6));
  EXPECT_FALSE(early.should_stop(1, 0.6)) << "nothing learnt yet: patience does not count";
  EXPECT_TRUE(early.record(0.4, 0.2));
  EXPECT_FALSE(early.record(0.3, 0.3));
  EXPECT_FALSE(early.should_stop(1, 0.3)) << "before half the run, patience does not count";
  EXPECT_FALSE(early.record(0.3, 0.6));
  EXPECT_FALSE(early.record(0.4, 0.7)) << "equal is not better";
  EXPECT_TRUE(early.should_stop(2, 0.7));
  EXPECT_FALSE(early.should_stop(2, 1.0)) << "at its end the run ends anyway, by its length";
  EXPECT_FALSE(early.should_stop(3, 0.7));
  EXPECT_TRUE(early.record(0.5, 0.8));
  EXPECT_FALSE(early.should_stop(1, 0.8)) << "an improvement starts the count again";
  EXPECT_DOUBLE_EQ(early.best(), 0.5);
  // A resumed run starts from the checkpoint's best.
  EarlyStopping resumed(0.6);
  EXPECT_FALSE(resumed.record(0.55, 0.9));
  EXPECT_TRUE(resumed.record(0.61, 0.95));
}

TEST(TrimTrainingLog, KeepsTheHeaderAndWholeRowsUpToTheCheckpoint) {
  const std::string header = std::string(kTrainingLogHeader) + "\n";
  const std::string row10 = "10,5.0,160,1.5,0.7,0.1,0.6,0.0002,,\n";
  const std::string row20 = "20,9.9,320,1.3,0.5,0.1,0.6,0.0001,0.6,0.5\n";
  const std::string row30 = "30,14.1,480,1.2,0.4,0.1,0.6,0.0001,,\n";
  EXPECT_EQ(trim_training_log(header + row10 + row20 + row30, 20), header + row10 + row20);
  EXPECT_EQ(trim_training_log(header + row10 + "20,9.9,320,1.3", 20), header + row10) << "a row cut by a kill";
  EXPECT_EQ(trim_training_log(header + row10 + "garbage\n" + row20, 25), header + row10 + row20);
  EXPECT_EQ(trim_training_log(header, 0), header);
  EXPECT_EQ(trim_training_log("", 10), "");
}

TEST(RoughDuration, SecondsMinutesHours) {
  EXPECT_EQ(rough_duration(45), "45 s");
  EXPECT_EQ(rough_duration(89.4), "89 s");
  EXPECT_EQ(rough_duration(12 * 60), "12 min");
  EXPECT_EQ(rough_duration(65 * 60), "1 h 05 min");
}

}  // namespace
}  // namespace logoscope::train
