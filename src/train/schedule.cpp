#include "train/schedule.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numbers>
#include <sstream>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace logoscope::train {

std::int64_t recipe_steps(std::size_t labels, std::size_t labeled_photos) {
  const double photos = std::max<double>(static_cast<double>(labeled_photos), 20.0 * static_cast<double>(labels));
  const double steps = 400.0 * std::pow(std::max(1.0, photos / 20.0), 0.55);
  return std::clamp<std::int64_t>(50 * std::llround(steps / 50.0), 400, 4000);
}

Result<StepPlan> plan_steps(const LengthRequest& request, std::size_t labels, std::size_t labeled_photos,
                            std::int64_t samples_per_epoch) {
  StepPlan plan{request.max_steps, "steps"};
  if (request.max_steps == kRecipeSteps) {
    plan = {recipe_steps(labels, labeled_photos), "recipe"};
    spdlog::info("{} steps: the default for {} and {} labeled photos (--steps sets another count)", plan.max_steps,
                 labels == 1 ? std::string("1 label") : fmt::format("{} labels", labels), labeled_photos);
  } else if (request.max_steps <= 0 && request.epochs > 0) {
    const std::int64_t batch = std::max(1, request.batch_size);
    plan = {(request.epochs * samples_per_epoch + batch - 1) / batch, "epochs"};
  } else if (request.max_steps <= 0) {
    plan = {0, "time_budget"};
  }
  if (plan.max_steps == 0 && !(request.time_budget_s > 0)) {
    return Error{ErrorCode::kInvalidArgument, "nothing ends the training: give a step count, epochs or a time budget"};
  }
  return plan;
}

double RunLength::progress(std::int64_t step, double elapsed_s) const {
  double fraction = max_steps_ > 0 ? static_cast<double>(step) / static_cast<double>(max_steps_) : 0.0;
  if (capped()) fraction = std::max(fraction, elapsed_s / time_budget_s_);
  return fraction;
}

double learning_rate_at(double base_rate, std::int64_t step, double progress) {
  const double warm = std::min(1.0, static_cast<double>(step + 1) / kWarmupSteps);
  return base_rate * warm *
         (kFinalLearningRate + (1 - kFinalLearningRate) * 0.5 * (1 + std::cos(std::numbers::pi * std::min(progress, 1.0))));
}

ValidationSchedule::ValidationSchedule(const RunLength& length, int most, double progress_now) {
  // Effort follows the run's length: one check per 50 steps or 30 s of budget; a 30-step smoke
  // test checks once, at its end.
  const double run_length = length.max_steps() > 0 ? static_cast<double>(length.max_steps()) / 50.0
                                                   : length.time_budget_s() / 30.0;
  count_ = std::clamp(static_cast<int>(run_length), 1, std::max(1, most));
  next_ = 1 + static_cast<int>(std::floor(progress_now * count_));
}

bool ValidationSchedule::due(double progress) {
  if (progress < static_cast<double>(next_) / count_) return false;
  ++next_;
  return true;
}

bool EarlyStopping::record(double ap50, double progress) {
  if (ap50 > best_) {
    best_ = ap50;
    stale_ = 0;
    return true;
  }
  if (best_ > 0 && progress >= 0.5) ++stale_;
  return false;
}

std::string trim_training_log(const std::string& log, std::int64_t step) {
  const std::string_view header_line = kTrainingLogHeader;
  const auto header_commas = std::count(header_line.begin(), header_line.end(), ',');
  std::istringstream in(log);
  std::string kept;
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    const auto comma = line.find(',');
    std::int64_t row_step = -1;
    if (!header && comma != std::string::npos) std::from_chars(line.data(), line.data() + comma, row_step);
    const auto columns = std::count(line.begin(), line.end(), ',');
    if (header || (row_step >= 0 && row_step <= step && columns == header_commas)) kept += line + "\n";
    header = false;
  }
  return kept;
}

std::string rough_duration(double seconds) {
  if (seconds < 90) return fmt::format("{:.0f} s", seconds);
  const auto minutes = std::llround(seconds / 60.0);
  if (minutes < 60) return fmt::format("{} min", minutes);
  return fmt::format("{} h {:02d} min", minutes / 60, minutes % 60);
}

}  // namespace logoscope::train
