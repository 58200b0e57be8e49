// The web UI's API inputs as `logoscope ui` reads them (ui/ui_requests.hpp): the first byte picks
// the reader (a new label, an image's boxes, a training's budget, ?min_confidence=), the rest is
// the body. Beyond not crashing: what a reader accepts is in range.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ui/ui_requests.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  using namespace logoscope::ui;
  switch (data[0] % 4) {
    case 0:
      (void)read_label_request(body);
      break;
    case 1:
      if (auto edit = read_boxes_request(body)) {
        for (const NamedBox& box : edit->boxes) {
          if (!std::isfinite(box.x0) || !std::isfinite(box.y0) || !std::isfinite(box.x1) || !std::isfinite(box.y1)) {
            std::abort();  // JSON holds no NaN or infinity: the reader made one up
          }
        }
      }
      break;
    case 2:
      if (auto train = read_train_request(body)) {
        const bool by_steps = train->steps > 0 && train->steps <= kMaxTrainSteps;
        const bool by_budget = train->time_budget_s >= kMinTrainBudgetS && train->time_budget_s <= kMaxTrainBudgetS;
        if (train->steps < 0 || !(by_steps || by_budget)) std::abort();
      }
      break;
    default: {
      const double confidence = read_min_confidence(std::string(body));
      if (!(confidence == -1 || (confidence >= 0 && confidence <= 100))) std::abort();
      break;
    }
  }
  return 0;
}
