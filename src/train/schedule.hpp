// train/schedule.hpp — the decisions of a training run that depend on numbers alone: how many
// steps it runs, how far along it is, its learning rate at a step, when it validates, when it
// stops early, and which rows of training.csv a resumed run keeps. No tensors: each is a pure
// function or a small value type, unit-tested on its own (tests/train/test_schedule.cpp); the
// loop in trainer.cpp calls them in order.
//
// Thread safety: pure functions; the classes are values owned by one training.
#pragma once

#include <cstdint>
#include <string>

#include "logoscope/result.hpp"

namespace logoscope::train {

/// TrainConfig::max_steps value: the recipe's step count for the data (recipe_steps).
constexpr std::int64_t kRecipeSteps = -1;

/// The default training length: 400 steps of 16 for one label and up to 20 labeled photos,
/// growing with the photos as (photos / 20)^0.55 (fl27's 540 photos: 2450 steps), at most 4000,
/// in multiples of 50. `labeled_photos` counts the training photos; one-shot's generated scenes
/// are not photos and count as 20 per label.
std::int64_t recipe_steps(std::size_t labels, std::size_t labeled_photos);

/// Where a run's length comes from and what it is.
struct StepPlan {
  std::int64_t max_steps = 0;  ///< 0: a time budget alone ends the run
  std::string steps_from;      ///< "recipe", "steps", "epochs" or "time_budget" (model.json training.steps_from)
};

/// What decides a run's length, as TrainConfig gives it.
struct LengthRequest {
  std::int64_t max_steps = 0;  ///< > 0 a count; kRecipeSteps the recipe's; 0 none
  int epochs = 0;
  int batch_size = 16;
  double time_budget_s = 0;
};

/// The run's step count: the recipe's for `labels` and `labeled_photos` (recipe_steps), the given
/// count, epochs × `samples_per_epoch` / batch size, or none (a time budget alone). Errors:
/// kInvalidArgument when nothing would end the run.
Result<StepPlan> plan_steps(const LengthRequest& request, std::size_t labels, std::size_t labeled_photos,
                            std::int64_t samples_per_epoch);

/// How far a run is, 0..1 (and past 1 when done): the step count's fraction, or the time budget's
/// when that is further along.
class RunLength {
 public:
  RunLength(std::int64_t max_steps, double time_budget_s) : max_steps_(max_steps), time_budget_s_(time_budget_s) {}
  [[nodiscard]] double progress(std::int64_t step, double elapsed_s) const;
  [[nodiscard]] std::int64_t max_steps() const { return max_steps_; }
  [[nodiscard]] double time_budget_s() const { return time_budget_s_; }
  [[nodiscard]] bool capped() const { return time_budget_s_ > 0; }

 private:
  std::int64_t max_steps_;
  double time_budget_s_;
};

/// Steps of linear warm-up at the start of every run.
constexpr int kWarmupSteps = 60;
/// The cosine schedule ends at this fraction of the base rate.
constexpr double kFinalLearningRate = 0.05;

/// The learning rate before step `step` (0-based) at `progress` (RunLength::progress): linear
/// warm-up over kWarmupSteps, times a cosine from 1 down to kFinalLearningRate over the run.
double learning_rate_at(double base_rate, std::int64_t step, double progress);

/// When the run validates (and checkpoints): `count` evenly spaced points over its progress, one
/// per 50 steps (or 30 s of a time budget alone), at most `most`, at least one (at the end).
class ValidationSchedule {
 public:
  /// `progress_now` > 0 for a resumed run: it validates at its next point, not at every one passed.
  ValidationSchedule(const RunLength& length, int most, double progress_now);
  /// True when `progress` has reached the next point; the point after it becomes the next.
  bool due(double progress);
  [[nodiscard]] int count() const { return count_; }

 private:
  int count_ = 1;
  int next_ = 1;
};

/// Keeps the best validation AP50 and counts the checks since it last improved. Patience counts
/// only once something was learnt (AP50 > 0) and half the run is spent.
class EarlyStopping {
 public:
  explicit EarlyStopping(double best_ap50 = -1) : best_(best_ap50) {}
  /// Records a validation; true when it is the best so far (its weights are to be kept).
  bool record(double ap50, double progress);
  /// True when `patience` checks in a row have not improved and the run would go on.
  [[nodiscard]] bool should_stop(int patience, double progress) const { return stale_ >= patience && progress < 1.0; }
  [[nodiscard]] double best() const { return best_; }

 private:
  double best_;
  int stale_ = 0;
};

/// The header of training.csv; every row has as many columns.
inline constexpr const char* kTrainingLogHeader = "step,seconds,images,loss,cls_loss,box_loss,ctr_loss,lr,val_f1,val_ap50";

/// training.csv as a resumed run keeps it: the header and the rows up to `step` (the checkpoint
/// it resumes from); rows logged after the checkpoint are redone, and a row cut by a kill is dropped.
std::string trim_training_log(const std::string& log, std::int64_t step);

/// "45 s", "12 min", "1 h 05 min".
std::string rough_duration(double seconds);

}  // namespace logoscope::train
