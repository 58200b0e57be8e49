// ui/training_job.hpp — the UI's one training at a time: train a new model version of the project
// with the library (train.hpp), evaluate it on the test set (evaluate.hpp, writing the report into
// models/vN/evaluation/), and publish progress as events for the browser (server-sent events).
//
// Events: "progress" {model, phase, fraction 0–1 of the whole job, status, eta_s}, then "done"
// {model, f1, map50, steps, stopped_by, report} or "failed" {model, message}. Only the latest event is kept: a
// watcher that falls behind skips to it (progress is a state, not a log).
//
// When the test set has no labeled image, a seeded 20 % of train's labeled images moves to it
// first (as Rekognition's "split training dataset"); the event stream says so.
//
// Thread safety: every member may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "logoscope/result.hpp"
#include "ui/project.hpp"

namespace logoscope::ui {

struct JobEvent {
  std::uint64_t sequence = 0;  ///< grows with every event; 0 = none yet
  std::string kind;            ///< "progress", "done", "failed"
  nlohmann::json data;
};

struct JobOptions {
  double time_budget_s = 60;
  std::int64_t steps = 0;  ///< > 0: this many steps instead (tests)
};

class TrainingJob {
 public:
  /// `on_trained(model)` runs on the job's thread after a model was written and evaluated.
  TrainingJob(Project& project, std::function<void(const std::string&)> on_trained);
  ~TrainingJob();
  TrainingJob(const TrainingJob&) = delete;
  TrainingJob& operator=(const TrainingJob&) = delete;

  /// Starts training the next model version; returns its name. Errors: kInvalidArgument when a
  /// training runs already or when fewer than 2 images are labeled (the message says what to do).
  Result<std::string> start(const JobOptions& options);

  /// Asks the running training to stop after its current step; it then keeps the best weights so
  /// far, is evaluated and ends with "done" as usual (stopped_by "stopped"). Returns the model's
  /// name. Errors: kInvalidArgument when no training runs.
  Result<std::string> stop();

  /// The latest event after `after` (a sequence number), waiting up to `timeout`; nullopt when
  /// none came.
  std::optional<JobEvent> wait_after(std::uint64_t after, std::chrono::milliseconds timeout) const;
  [[nodiscard]] JobEvent latest() const;
  [[nodiscard]] bool running() const;
  /// The model being trained, while running.
  [[nodiscard]] std::optional<std::string> running_model() const;

 private:
  void run(std::string model, JobOptions options);
  void run_unchecked(const std::string& model, const JobOptions& options);
  /// Makes `kind` the latest event; "done" and "failed" also end the job.
  void publish(const std::string& kind, nlohmann::json data);

  Project& project_;
  std::function<void(const std::string&)> on_trained_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  JobEvent latest_;
  bool running_ = false;
  std::atomic<bool> stop_{false};
  std::string model_;
  std::thread thread_;
};

}  // namespace logoscope::ui
