#include "ui/ui_requests.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace logoscope::ui {

namespace {

using json = nlohmann::json;

Error invalid(std::string message) { return Error{ErrorCode::kInvalidArgument, std::move(message)}; }

// The body as a JSON object, or an error that says what was expected.
Result<json> object_body(std::string_view body, std::string_view expected) {
  json value = json::parse(body.begin(), body.end(), nullptr, false);
  if (value.is_discarded()) return invalid(fmt::format("the body is not JSON; expected {}", expected));
  if (!value.is_object()) return invalid(fmt::format("the body is not a JSON object; expected {}", expected));
  return value;
}

Result<std::vector<NamedBox>> read_boxes(const json& value) {
  if (!value.is_array()) return invalid("\"boxes\": expected an array");
  std::vector<NamedBox> boxes;
  boxes.reserve(value.size());
  for (std::size_t index = 0; index < value.size(); ++index) {
    const json& box = value[index];
    const std::string where = fmt::format("boxes[{}]", index);
    if (!box.is_object()) return invalid(where + ": expected an object");
    NamedBox parsed;
    for (const auto& [key, target] : {std::pair{"x0", &parsed.x0}, std::pair{"y0", &parsed.y0},
                                      std::pair{"x1", &parsed.x1}, std::pair{"y1", &parsed.y1}}) {
      const auto found = box.find(key);
      if (found == box.end() || !found->is_number()) return invalid(fmt::format("{}.{}: expected a number", where, key));
      *target = found->get<double>();
    }
    const auto label = box.find("label");
    if (label == box.end() || !label->is_string()) return invalid(where + ".label: expected a label name");
    parsed.label = label->get<std::string>();
    boxes.push_back(std::move(parsed));
  }
  return boxes;
}

}  // namespace

Result<std::string> read_label_request(std::string_view body) {
  auto value = object_body(body, "{\"name\": \"label\"}");
  if (!value) return value.error();
  const auto name = value->find("name");
  if (name == value->end() || !name->is_string()) return invalid("\"name\": expected the label's name");
  return name->get<std::string>();
}

Result<BoxesRequest> read_boxes_request(std::string_view body) {
  auto value = object_body(body, "{\"revision\": N, \"boxes\": [...]}");
  if (!value) return value.error();
  BoxesRequest request;
  const auto revision = value->find("revision");
  if (revision == value->end() || !revision->is_number_integer()) {
    return invalid("\"revision\": expected the image's revision (an integer)");
  }
  // A revision beyond int64 (an unsigned JSON number) matches no image: a conflict, not UB.
  if (revision->is_number_unsigned() && revision->get<std::uint64_t>() > INT64_MAX) {
    request.revision = -1;
  } else {
    request.revision = revision->get<std::int64_t>();
  }
  const auto boxes = value->find("boxes");
  auto read = read_boxes(boxes == value->end() ? json() : *boxes);
  if (!read) return read.error();
  request.boxes = std::move(*read);
  return request;
}

Result<TrainRequest> read_train_request(std::string_view body) {
  TrainRequest request;
  if (std::all_of(body.begin(), body.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; })) {
    return request;
  }
  auto value = object_body(body, "{\"time_budget_s\": seconds}");
  if (!value) return value.error();
  if (const auto steps = value->find("steps"); steps != value->end()) {
    if (!steps->is_number_integer() ||
        (steps->is_number_unsigned() ? steps->get<std::uint64_t>() > static_cast<std::uint64_t>(kMaxTrainSteps)
                                     : steps->get<std::int64_t>() < 0 || steps->get<std::int64_t>() > kMaxTrainSteps)) {
      return invalid(fmt::format("\"steps\": a whole number from 0 to {}", kMaxTrainSteps));
    }
    request.steps = steps->get<std::int64_t>();
  }
  if (const auto budget = value->find("time_budget_s"); budget != value->end()) {
    if (!budget->is_number()) return invalid("\"time_budget_s\": expected a number of seconds");
    request.time_budget_s = budget->get<double>();
  }
  if (request.steps == 0 && !(request.time_budget_s >= kMinTrainBudgetS && request.time_budget_s <= kMaxTrainBudgetS)) {
    return invalid("time_budget_s: between 5 seconds and 24 hours");
  }
  return request;
}

double read_min_confidence(const std::string& text) {
  if (text.empty()) return -1;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !std::isfinite(value)) return -1;
  return std::clamp(value, 0.0, 100.0);
}

}  // namespace logoscope::ui
