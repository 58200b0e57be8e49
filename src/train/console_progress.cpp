#include "train/console_progress.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>

#include "core/progress.hpp"

namespace logoscope::train {

namespace {

struct Bars {
  std::mutex mutex;
  std::map<std::string, std::unique_ptr<Progress>> open;  ///< by phase label
  std::map<std::string, std::int64_t> drawn;
};

const char* phase_label(TrainProgress::Phase phase) {
  switch (phase) {
    case TrainProgress::Phase::kDecoding: return "decoding";
    case TrainProgress::Phase::kTraining: return "training";
    case TrainProgress::Phase::kValidating: return "validating";
    case TrainProgress::Phase::kTesting: return "testing";
  }
  return "working";
}

}  // namespace

ProgressFn console_progress(bool enabled) {
  if (!enabled) return {};
  auto bars = std::make_shared<Bars>();
  return [bars](const TrainProgress& update) {
    // Validation interrupts training briefly; its result shows in the training bar's status.
    if (update.phase == TrainProgress::Phase::kValidating) return;
    std::lock_guard<std::mutex> lock(bars->mutex);
    const bool labelled = update.phase == TrainProgress::Phase::kDecoding || update.phase == TrainProgress::Phase::kTraining;
    const std::string key = labelled ? std::string(phase_label(update.phase)) + " " + update.what
                                     : std::string(phase_label(update.phase));
    auto& bar = bars->open[key];
    if (!bar) {
      bar = std::make_unique<Progress>(key, update.total, true);
      bars->drawn[key] = 0;
    }
    const std::int64_t done = std::min(update.done, update.total);
    if (done > bars->drawn[key]) {
      bar->advance(done - bars->drawn[key]);
      bars->drawn[key] = done;
    }
    if (!update.status.empty()) bar->set_status(update.status);
    if (update.finished) {
      bar->finish();
      bars->open.erase(key);
      bars->drawn.erase(key);
    }
  };
}

}  // namespace logoscope::train
