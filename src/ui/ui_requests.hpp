// ui/ui_requests.hpp — the web UI's API bodies and parameters as `logoscope ui` reads them: a new
// label, an image's boxes, a training's budget, a minimum confidence. Pure functions (no I/O, no
// exceptions), so that the server's handlers only answer and the readers can be fuzzed
// (fuzz/fuzz_ui_request.cpp).
//
// Every error is kInvalidArgument with a message for the person at the browser, naming the field.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "logoscope/result.hpp"
#include "ui/project.hpp"

namespace logoscope::ui {

/// POST /api/labels: {"name": "RedBull"} → the name (its rules are Project::add_label's).
Result<std::string> read_label_request(std::string_view body);

/// PUT /api/datasets/D/image: {"revision": 12, "boxes": [{"x0","y0","x1","y1","label"}, ...]}.
struct BoxesRequest {
  std::int64_t revision = 0;
  std::vector<NamedBox> boxes;  ///< as given; Project::set_boxes checks them against the image
};
Result<BoxesRequest> read_boxes_request(std::string_view body);

/// POST /api/train: {} or {"time_budget_s": 60} or {"steps": 40} (tests).
struct TrainRequest {
  double time_budget_s = 60;
  std::int64_t steps = 0;  ///< > 0: this many steps instead of the budget
};
inline constexpr double kMinTrainBudgetS = 5;
inline constexpr double kMaxTrainBudgetS = 24 * 3600;
inline constexpr std::int64_t kMaxTrainSteps = 1'000'000;
Result<TrainRequest> read_train_request(std::string_view body);

/// ?min_confidence=… (0–100, clamped): a missing, unreadable or non-finite value is -1, which the
/// detection takes as "each label's assumed threshold".
double read_min_confidence(const std::string& text);

}  // namespace logoscope::ui
