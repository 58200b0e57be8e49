#include "eval/predictions.hpp"

#include <array>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/files.hpp"
#include "core/paths.hpp"
#include "storage/storage.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace logoscope::eval {

namespace {

void add(Problems& problems, Severity severity, const char* kind, const SourceLocation& where,
         std::string field, std::string image, std::string message) {
  problems.push_back(Problem{severity, kind, where, std::move(field), std::move(image), std::move(message)});
}

std::string brief(const json& value) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

// A finite number from `object[key]`, or nullopt with a problem naming `field_prefix + key`.
std::optional<double> number_field(const json& object, const char* key, const std::string& field_prefix,
                                   const SourceLocation& where, const std::string& image,
                                   Problems& problems) {
  const auto it = object.find(key);
  if (it == object.end()) {
    add(problems, Severity::kError, "missing_field", where, field_prefix + key, image,
        fmt::format("{}{} is missing; label skipped", field_prefix, key));
    return std::nullopt;
  }
  if (!it->is_number() || !std::isfinite(it->get<double>())) {
    add(problems, Severity::kError, "invalid_value", where, field_prefix + key, image,
        fmt::format("{}{} is not a finite number: {}; label skipped", field_prefix, key, brief(*it)));
    return std::nullopt;
  }
  return it->get<double>();
}

std::optional<PredictedLabel> parse_label(const json& item, const std::string& field,
                                          const SourceLocation& where, const std::string& image,
                                          Problems& problems) {
  if (!item.is_object()) {
    add(problems, Severity::kError, "invalid_value", where, field, image,
        fmt::format("{} is not an object: {}; skipped", field, brief(item)));
    return std::nullopt;
  }
  PredictedLabel label;
  const auto name = item.find("Name");
  if (name == item.end() || !name->is_string() || name->get<std::string>().empty()) {
    add(problems, Severity::kError, "missing_field", where, field + ".Name", image,
        fmt::format("{}.Name is missing or not a non-empty string; label skipped", field));
    return std::nullopt;
  }
  label.name = name->get<std::string>();
  const auto confidence = number_field(item, "Confidence", field + ".", where, image, problems);
  if (!confidence) return std::nullopt;
  if (*confidence < 0 || *confidence > 100) {
    add(problems, Severity::kError, "invalid_value", where, field + ".Confidence", image,
        fmt::format("{}.Confidence {} is outside 0-100; label skipped", field, *confidence));
    return std::nullopt;
  }
  label.score = static_cast<float>(*confidence / 100.0);

  if (const auto pixel = item.find("PixelBox"); pixel != item.end() && pixel->is_object()) {
    const std::string prefix = field + ".PixelBox.";
    const auto x0 = number_field(*pixel, "x0", prefix, where, image, problems);
    const auto y0 = number_field(*pixel, "y0", prefix, where, image, problems);
    const auto x1 = number_field(*pixel, "x1", prefix, where, image, problems);
    const auto y1 = number_field(*pixel, "y1", prefix, where, image, problems);
    if (!x0 || !y0 || !x1 || !y1) return std::nullopt;
    label.pixels = true;
    label.x0 = *x0;
    label.y0 = *y0;
    label.x1 = *x1;
    label.y1 = *y1;
    return label;
  }
  const auto geometry = item.find("Geometry");
  const json* box = nullptr;
  if (geometry != item.end() && geometry->is_object()) {
    const auto it = geometry->find("BoundingBox");
    if (it != geometry->end() && it->is_object()) box = &*it;
  }
  if (box == nullptr) {
    add(problems, Severity::kError, "missing_field", where, field + ".Geometry.BoundingBox", image,
        fmt::format("{} has neither Geometry.BoundingBox nor PixelBox; label skipped", field));
    return std::nullopt;
  }
  const std::string prefix = field + ".Geometry.BoundingBox.";
  const auto left = number_field(*box, "Left", prefix, where, image, problems);
  const auto top = number_field(*box, "Top", prefix, where, image, problems);
  const auto width = number_field(*box, "Width", prefix, where, image, problems);
  const auto height = number_field(*box, "Height", prefix, where, image, problems);
  if (!left || !top || !width || !height) return std::nullopt;
  label.x0 = *left;
  label.y0 = *top;
  label.x1 = *left + *width;
  label.y1 = *top + *height;
  return label;
}

std::optional<PredictionRecord> parse_line(const std::string& line, const SourceLocation& where,
                                           Problems& problems) {
  json value;
  try {
    value = json::parse(line);
  } catch (const json::exception& error) {  // parse_error, and out_of_range for a number like 1e500
    add(problems, Severity::kError, "bad_json", where, "", "",
        fmt::format("not valid JSON ({}); line skipped", error.what()));
    return std::nullopt;
  }
  if (!value.is_object()) {
    add(problems, Severity::kError, "bad_json", where, "", "",
        fmt::format("line is not a JSON object: {}; skipped", brief(value)));
    return std::nullopt;
  }
  PredictionRecord record;
  record.source = where;
  const auto image = value.find("image");
  if (image == value.end() || !image->is_string() || image->get<std::string>().empty()) {
    add(problems, Severity::kError, "missing_field", where, "image", "",
        "\"image\" is missing or not a non-empty string; line skipped");
    return std::nullopt;
  }
  record.image = image->get<std::string>();
  for (const char* key : {"width", "height"}) {
    const auto it = value.find(key);
    if (it == value.end()) continue;
    if (!it->is_number_integer() || it->get<std::int64_t>() <= 0 || it->get<std::int64_t>() > 1'000'000) {
      add(problems, Severity::kWarning, "invalid_value", where, key, record.image,
          fmt::format("{} is not a positive integer: {}; ignored", key, brief(*it)));
      continue;
    }
    (std::string_view(key) == "width" ? record.width : record.height) = it->get<int>();
  }
  if (const auto error = value.find("error"); error != value.end()) {
    record.failed = true;
    record.error = error->is_object() && error->contains("message") && (*error)["message"].is_string()
                       ? (*error)["message"].get<std::string>()
                       : brief(*error);
    return record;
  }
  const auto labels = value.find("CustomLabels");
  if (labels == value.end() || !labels->is_array()) {
    add(problems, Severity::kError, "missing_field", where, "CustomLabels", record.image,
        "\"CustomLabels\" is missing or not an array; line skipped");
    return std::nullopt;
  }
  for (std::size_t i = 0; i < labels->size(); ++i) {
    if (auto label =
            parse_label((*labels)[i], fmt::format("CustomLabels[{}]", i), where, record.image, problems)) {
      record.labels.push_back(std::move(*label));
    }
  }
  return record;
}

std::string absolute_key(const std::string& ref, const std::string& base_dir) {
  const std::string joined = resolve_ref(ref, base_dir);
  if (is_s3_uri(joined)) return joined;
  std::error_code ec;
  const fs::path resolved = fs::absolute(fs::path(joined), ec);
  return (ec ? fs::path(joined) : resolved).lexically_normal().string();
}

std::string file_name(const std::string& ref) {
  const auto slash = ref.find_last_of('/');
  return slash == std::string::npos ? ref : ref.substr(slash + 1);
}

}  // namespace

namespace {

constexpr std::string_view kCsvHeader = kDetectionsCsvHeader;

// One CSV record (RFC 4180: quoted fields may hold commas, doubled quotes and line breaks) from
// `text` at `pos`; advances `pos` past it and counts the lines it spans.
std::vector<std::string> csv_record(const std::string& text, std::size_t& pos, int& lines) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  while (pos < text.size()) {
    const char c = text[pos++];
    if (quoted) {
      if (c == '"' && pos < text.size() && text[pos] == '"') {
        fields.back() += '"';
        ++pos;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++lines;
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c == '\n') {
      break;
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  ++lines;
  return fields;
}

std::optional<double> csv_number(const std::string& text) {
  try {
    std::size_t used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size() && std::isfinite(value)) return value;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// logoscope detect --format csv: one row per detection, an image without any has one row with an
// empty label; an unreadable image has its message in the error column.
std::vector<PredictionRecord> parse_csv(const std::string& text, const std::string& path, Problems& problems) {
  std::vector<PredictionRecord> records;
  std::size_t pos = 0;
  int line = 0;
  csv_record(text, pos, line);  // the header
  while (pos < text.size()) {
    const int first_line = line + 1;
    const auto fields = csv_record(text, pos, line);
    if (fields.size() == 1 && fields[0].find_first_not_of(" \t") == std::string::npos) continue;
    const SourceLocation where{path, first_line};
    if (fields.size() != 12 || fields[0].empty()) {
      add(problems, Severity::kError, "bad_csv", where, "", "",
          fmt::format("expected 12 fields ({}), got {}; row skipped", kCsvHeader, fields.size()));
      continue;
    }
    if (records.empty() || records.back().image != fields[0]) {
      PredictionRecord record;
      record.image = fields[0];
      record.source = where;
      records.push_back(std::move(record));
    }
    PredictionRecord& record = records.back();
    if (!fields[11].empty()) {
      record.failed = true;
      record.error = fields[11];
      continue;
    }
    if (fields[1].empty()) continue;  // the image had no detection
    PredictedLabel label;
    label.name = fields[1];
    const auto confidence = csv_number(fields[2]);
    std::array<std::optional<double>, 4> pixels{csv_number(fields[7]), csv_number(fields[8]), csv_number(fields[9]),
                                                csv_number(fields[10])};
    if (!confidence || *confidence < 0 || *confidence > 100 || !pixels[0] || !pixels[1] || !pixels[2] || !pixels[3]) {
      add(problems, Severity::kError, "invalid_value", where, "confidence/x0/y0/x1/y1", record.image,
          "confidence (0-100) or a pixel coordinate is not a number; row skipped");
      continue;
    }
    label.score = static_cast<float>(*confidence / 100.0);
    label.pixels = true;
    label.x0 = *pixels[0];
    label.y0 = *pixels[1];
    label.x1 = *pixels[2];
    label.y1 = *pixels[3];
    record.labels.push_back(std::move(label));
  }
  return records;
}

}  // namespace

std::vector<PredictionRecord> parse_predictions(const std::string& text, const std::string& path,
                                                Problems& problems) {
  if (text.rfind(kCsvHeader, 0) == 0) return parse_csv(text, path, problems);
  std::vector<PredictionRecord> records;
  std::size_t start = 0;
  int line_number = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (auto record = parse_line(line, SourceLocation{path, line_number}, problems))
      records.push_back(std::move(*record));
  }
  return records;
}

Result<std::vector<PredictionRecord>> read_predictions(const std::string& path, Problems& problems) {
  auto text = storage::read_text(path);
  if (!text) return text.error();
  const auto first = text->find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    return Error{ErrorCode::kInvalidValue, fmt::format("{}: the predictions file is empty", path)};
  }
  if ((*text)[first] == '[') {
    return Error{ErrorCode::kUnsupportedFormat,
                 fmt::format("{}: a JSON array; predictions are JSON Lines, one object per image as `logoscope detect` "
                             "writes them (docs/evaluate.md), or detect's CSV",
                             path)};
  }
  Problems found;
  auto records = parse_predictions(*text, path, found);
  if (records.empty()) {
    return Error{ErrorCode::kUnsupportedFormat,
                 fmt::format("{}: no line is a detection record ({}); expected JSON Lines from `logoscope detect` "
                             "(docs/evaluate.md) or its CSV (header {})",
                             path, found.empty() ? "nothing usable" : found.front().message, kCsvHeader)};
  }
  problems.insert(problems.end(), found.begin(), found.end());
  return records;
}

std::vector<ImageDetections> align_predictions(Dataset& ground_truth,
                                               const std::vector<PredictionRecord>& records,
                                               const std::string& base_dir, Problems& problems) {
  const std::size_t count = ground_truth.samples.size();
  std::map<std::string, std::size_t> by_ref;
  std::map<std::string, std::size_t> by_absolute;
  std::map<std::string, std::vector<std::size_t>> by_name;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string& ref = ground_truth.samples[i].image;
    by_ref.emplace(ref, i);
    by_absolute.emplace(absolute_key(ref, "."), i);
    by_name[file_name(ref)].push_back(i);
  }

  std::vector<ImageDetections> aligned(count);
  std::vector<const PredictionRecord*> owner(count, nullptr);
  for (std::size_t i = 0; i < count; ++i) {
    aligned[i].image = ground_truth.samples[i].image;
    aligned[i].width = ground_truth.samples[i].width;
    aligned[i].height = ground_truth.samples[i].height;
  }
  for (const PredictionRecord& record : records) {
    std::optional<std::size_t> index;
    if (const auto it = by_ref.find(record.image); it != by_ref.end()) {
      index = it->second;
    } else if (const auto abs = by_absolute.find(absolute_key(record.image, base_dir));
               abs != by_absolute.end()) {
      index = abs->second;
    } else if (const auto named = by_name.find(file_name(record.image)); named != by_name.end()) {
      if (named->second.size() == 1) {
        index = named->second.front();
      } else {
        add(problems, Severity::kWarning, "ambiguous_prediction", record.source, "image", record.image,
            fmt::format("{} ground-truth images are named {}; the line is ignored (write full paths)",
                        named->second.size(), file_name(record.image)));
        continue;
      }
    }
    if (!index) {
      add(problems, Severity::kWarning, "unmatched_prediction", record.source, "image", record.image,
          "no ground-truth image has this name; the line is ignored");
      continue;
    }
    if (owner[*index] != nullptr) {
      add(problems, Severity::kWarning, "duplicate_prediction", record.source, "image", record.image,
          fmt::format("a second line for this image (the first is line {}); ignored",
                      owner[*index]->source.line));
      continue;
    }
    owner[*index] = &record;
    const Sample& sample = ground_truth.samples[*index];
    ImageDetections& out = aligned[*index];
    if (record.failed) {
      add(problems, Severity::kWarning, "detector_error", record.source, "error", record.image,
          fmt::format("the detector could not read this image ({}); scored as no detections", record.error));
      continue;
    }
    const int width = record.width > 0 ? record.width : sample.width;
    const int height = record.height > 0 ? record.height : sample.height;
    if (out.width <= 0) out.width = width;
    if (out.height <= 0) out.height = height;
    for (const PredictedLabel& label : record.labels) {
      Detection det;
      det.score = label.score;
      det.label = ground_truth.intern_label(label.name);
      if (label.pixels) {
        det.x0 = label.x0;
        det.y0 = label.y0;
        det.x1 = label.x1;
        det.y1 = label.y1;
      } else if (width > 0 && height > 0) {
        det.x0 = label.x0 * width;
        det.y0 = label.y0 * height;
        det.x1 = label.x1 * width;
        det.y1 = label.y1 * height;
      } else {
        add(problems, Severity::kError, "missing_field", record.source, "width", record.image,
            "ratio boxes need the image size: neither the line nor the ground truth gives it; label skipped");
        continue;
      }
      out.detections.push_back(det);
    }
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (owner[i] != nullptr) continue;
    add(problems, Severity::kWarning, "missing_prediction", ground_truth.samples[i].source, "",
        ground_truth.samples[i].image,
        "no prediction line for this ground-truth image; scored as no detections");
  }
  return aligned;
}

}  // namespace logoscope::eval
