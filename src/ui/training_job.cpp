#include "ui/training_job.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "logoscope/evaluate.hpp"
#include "logoscope/train.hpp"

namespace logoscope::ui {

using nlohmann::json;

namespace {

constexpr double kTestFraction = 0.2;
constexpr std::uint64_t kSplitSeed = 0;

// The job's share of the whole bar for each phase: decoding, training (with its validations),
// the library's test pass, then the evaluation that writes the report.
struct Span {
  double start;
  double width;
};
Span phase_span(TrainProgress::Phase phase) {
  switch (phase) {
    case TrainProgress::Phase::kDecoding:
      return {0.0, 0.05};
    case TrainProgress::Phase::kTraining:
      return {0.05, 0.75};
    case TrainProgress::Phase::kValidating:
      return {0.05, 0.75};
    case TrainProgress::Phase::kTesting:
      return {0.80, 0.05};
  }
  return {0.0, 0.0};
}

const char* phase_name(TrainProgress::Phase phase) {
  switch (phase) {
    case TrainProgress::Phase::kDecoding:
      return "decoding";
    case TrainProgress::Phase::kTraining:
      return "training";
    case TrainProgress::Phase::kValidating:
      return "validating";
    case TrainProgress::Phase::kTesting:
      return "testing";
  }
  return "training";
}

}  // namespace

TrainingJob::TrainingJob(Project& project, std::function<void(const std::string&)> on_trained)
    : project_(project), on_trained_(std::move(on_trained)) {}

TrainingJob::~TrainingJob() {
  if (thread_.joinable()) thread_.join();
}

Result<std::string> TrainingJob::start(const JobOptions& options) {
  std::lock_guard lock(mutex_);
  if (running_) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("model {} is training; wait for it to finish", model_)};
  }
  const DatasetCounts train = project_.counts("train");
  const DatasetCounts test = project_.counts("test");
  if (train.labeled + test.labeled < 2 || train.labeled < 1) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("label at least 2 images first ({} of {} training images have a box)",
                             train.labeled, train.images)};
  }
  if (!(options.time_budget_s > 0) && options.steps <= 0) {
    return Error{ErrorCode::kInvalidArgument, "time_budget_s: give a positive number of seconds"};
  }
  if (thread_.joinable()) thread_.join();
  model_ = project_.next_model_name();
  running_ = true;
  stop_ = false;
  std::error_code ec;
  std::filesystem::create_directories(project_.models_dir() / model_, ec);  // reserves the name
  thread_ = std::thread([this, model = model_, options] { run(model, options); });
  return model_;
}

Result<std::string> TrainingJob::stop() {
  std::lock_guard lock(mutex_);
  if (!running_) return Error{ErrorCode::kInvalidArgument, "no training is running"};
  stop_ = true;
  spdlog::info("training {}: stop asked; it ends after its current step", model_);
  return model_;
}

void TrainingJob::publish(const std::string& kind, json data) {
  {
    std::lock_guard lock(mutex_);
    // A watcher that sees "done" or "failed" must also see the job as ended.
    if (kind != "progress") running_ = false;
    latest_.sequence += 1;
    latest_.kind = kind;
    latest_.data = std::move(data);
  }
  changed_.notify_all();
}

void TrainingJob::run(std::string model, JobOptions options) {
  // This thread's exceptions would end the whole server: each becomes the job's failure.
  try {
    run_unchecked(model, options);
  } catch (const std::exception& e) {
    spdlog::error("training {}: {}", model, e.what());
    publish("failed", {{"model", model}, {"message", fmt::format("training stopped: {}", e.what())}});
  }
}

void TrainingJob::run_unchecked(const std::string& model, const JobOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  double fraction = 0;
  auto progress = [&](const std::string& phase, double overall, const std::string& status) {
    fraction = std::clamp(std::max(fraction, overall), 0.0, 1.0);
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    json eta = nullptr;
    if (fraction > 0.06 && fraction < 1) eta = std::round(elapsed * (1 - fraction) / fraction);
    publish("progress",
            {{"model", model}, {"phase", phase}, {"fraction", fraction}, {"status", status}, {"eta_s", eta}});
  };
  auto fail = [&](const std::string& message) {
    spdlog::error("training {}: {}", model, message);
    publish("failed", {{"model", model}, {"message", message}});
  };
  progress("preparing", 0, "reading the datasets");

  std::string note;
  if (project_.counts("test").labeled == 0) {
    auto moved = project_.split_test_from_train(kTestFraction, kSplitSeed);
    if (!moved) return fail(moved.error().message);
    note = fmt::format("{} labeled training images moved to the test set (it was empty)", *moved);
    spdlog::info("{}", note);
    progress("preparing", 0, note);
  }

  const std::string out = (project_.models_dir() / model).string();
  TrainOptions train;
  train.train = project_.manifest_path("train");
  train.test = project_.manifest_path("test");
  train.out = out;
  train.overwrite = true;  // the folder was reserved empty by start()
  train.time_budget_s = options.time_budget_s;
  train.steps = options.steps;
  train.stop_requested = [this] { return stop_.load(); };
  auto trained = train_model(train, [&](const TrainProgress& p) {
    const Span span = phase_span(p.phase);
    double inside = p.total > 0 ? static_cast<double>(p.done) / static_cast<double>(p.total) : 0;
    if (p.phase == TrainProgress::Phase::kValidating) inside = 0;  // validation keeps the training position
    const std::string status = p.status.empty() ? p.what : p.status;
    progress(phase_name(p.phase), span.start + span.width * std::clamp(inside, 0.0, 1.0), status);
  });
  if (!trained) return fail(trained.error().message);

  EvaluateOptions evaluate_options;
  evaluate_options.model = out;
  evaluate_options.test = project_.manifest_path("test");
  evaluate_options.out = out + "/evaluation";
  evaluate_options.overwrite = true;
  auto scores = evaluate(evaluate_options, [&](std::size_t done, std::size_t total) {
    progress("evaluating",
             0.85 + 0.15 * static_cast<double>(done) / static_cast<double>(std::max<std::size_t>(total, 1)),
             fmt::format("evaluating on the test set: {} of {} images", done, total));
  });
  if (!scores) return fail(scores.error().message);

  if (!project_.served()) {
    if (auto served = project_.set_served(model); !served) spdlog::warn("{}", served.error().message);
  }
  if (on_trained_) on_trained_(model);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  publish("done", {{"model", model},
                   {"fraction", 1.0},
                   {"f1", scores->mean_f1},
                   {"map50", scores->map50},
                   {"steps", trained->steps},
                   {"stopped_by", trained->stopped_by},
                   {"seconds", std::round(seconds)},
                   {"note", note},
                   {"report", fmt::format("/project/models/{}/evaluation/report.html", model)}});
}

std::optional<JobEvent> TrainingJob::wait_after(std::uint64_t after,
                                                std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  if (!changed_.wait_for(lock, timeout, [&] { return latest_.sequence > after; })) return std::nullopt;
  return latest_;
}

JobEvent TrainingJob::latest() const {
  std::lock_guard lock(mutex_);
  return latest_;
}

bool TrainingJob::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

std::optional<std::string> TrainingJob::running_model() const {
  std::lock_guard lock(mutex_);
  if (!running_) return std::nullopt;
  return model_;
}

}  // namespace logoscope::ui
