#include "video/exposure_totals.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/json_fields.hpp"
#include "core/text.hpp"

namespace logoscope::video {

namespace {

using nlohmann::json;

json label_json(const LabelTotal& label) {
  return {{"name", label.name},
          {"videos", label.videos},
          {"exposures", label.exposures},
          {"seconds_on_screen", label.seconds},
          {"longest_exposure_s", label.longest_s},
          {"solus_seconds", label.solus_seconds},
          {"share_of_voice", label.share_of_voice}};
}

void set_shares(std::vector<LabelTotal>& labels) {
  double all = 0;
  for (const auto& label : labels) all += label.seconds;
  for (auto& label : labels) label.share_of_voice = all > 0 ? label.seconds / all : 0;
}

// Beyond these a summary's number is not a measurement (a billion seconds is 31 years of video);
// taken as 0. Counts are then summed saturating, so no number of summaries overflows them.
constexpr double kMaxSeconds = 1e9;
constexpr std::int64_t kMaxCount = 1'000'000'000'000;

std::int64_t add_saturating(std::int64_t a, std::int64_t b) {
  return a > std::numeric_limits<std::int64_t>::max() - b ? std::numeric_limits<std::int64_t>::max() : a + b;
}

// A finite, non-negative number field up to kMaxSeconds, or 0.
double seconds_field(const json& object, const char* key) {
  const double value = field_or(object, key, 0.0);
  return std::isfinite(value) && value > 0 && value <= kMaxSeconds ? value : 0;
}

// A non-negative whole number field up to kMaxCount, or 0.
std::int64_t count_field(const json& object, const char* key) {
  const auto value = field_or<std::int64_t>(object, key, 0);
  return value > 0 && value <= kMaxCount ? value : 0;
}

}  // namespace

ExposureTotals sum_exposure(const std::vector<SummaryFile>& files) {
  ExposureTotals totals;
  std::map<std::string, LabelTotal> by_name;
  for (const auto& file : files) {
    const std::string where = file.folder + "/summary.json";
    const json summary = json::parse(file.text, nullptr, false);
    if (summary.is_discarded() || !summary.is_object() || !summary.contains("labels") ||
        !summary["labels"].is_array() || !summary.contains("video") || !summary["video"].is_object()) {
      totals.problems.push_back(
          fmt::format("{}: not the summary.json of `logoscope video` (no \"video\" and \"labels\"); left out", where));
      continue;
    }
    VideoRow row;
    row.folder = file.folder;
    row.source = field_or<std::string>(summary["video"], "source", "");
    row.complete = field_or(summary, "complete", false);
    row.video_s = seconds_field(summary, "video_s_covered");
    std::set<std::string> counted;  // a label listed twice in one summary is still one video
    for (const auto& entry : summary["labels"]) {
      const std::string name = field_or<std::string>(entry, "name", "");
      if (name.empty()) continue;
      LabelTotal label;
      label.name = name;
      label.exposures = count_field(entry, "exposures");
      label.seconds = seconds_field(entry, "seconds_on_screen");
      label.longest_s = seconds_field(entry, "longest_exposure_s");
      label.solus_seconds = seconds_field(entry, "solus_seconds");
      label.videos = label.exposures > 0 ? 1 : 0;
      LabelTotal& total = by_name[name];
      total.name = name;
      if (label.videos > 0 && counted.insert(name).second) total.videos += 1;
      total.exposures = add_saturating(total.exposures, label.exposures);
      total.seconds += label.seconds;
      total.longest_s = std::max(total.longest_s, label.longest_s);
      total.solus_seconds += label.solus_seconds;
      row.labels.push_back(label);
    }
    set_shares(row.labels);
    totals.video_s += row.video_s;
    totals.videos.push_back(std::move(row));
  }
  std::sort(totals.videos.begin(), totals.videos.end(),
            [](const VideoRow& a, const VideoRow& b) { return a.folder < b.folder; });
  for (auto& [name, label] : by_name) totals.labels.push_back(label);
  set_shares(totals.labels);
  std::stable_sort(totals.labels.begin(), totals.labels.end(),
                   [](const LabelTotal& a, const LabelTotal& b) { return a.seconds > b.seconds; });
  return totals;
}

json exposure_json(const ExposureTotals& totals) {
  json videos = json::array();
  json incomplete = json::array();
  for (const auto& row : totals.videos) {
    json labels = json::array();
    for (const auto& label : row.labels) labels.push_back(label_json(label));
    videos.push_back({{"folder", row.folder},
                      {"source", row.source},
                      {"complete", row.complete},
                      {"video_s", row.video_s},
                      {"labels", labels}});
    if (!row.complete) incomplete.push_back(row.folder);
  }
  json labels = json::array();
  for (const auto& label : totals.labels) labels.push_back(label_json(label));
  return {{"videos", videos},
          {"labels", labels},
          {"video_s", totals.video_s},
          {"incomplete", incomplete},
          {"problems", totals.problems}};
}

std::string exposure_csv(const ExposureTotals& totals) {
  std::string text = "video,label,exposures,seconds_on_screen,longest_exposure_s,solus_seconds,share_of_voice\n";
  auto row = [&](const std::string& video, const LabelTotal& label) {
    text += fmt::format("{},{},{},{:.3f},{:.3f},{:.3f},{:.4f}\n", csv_field(video), csv_field(label.name),
                        label.exposures, label.seconds, label.longest_s, label.solus_seconds, label.share_of_voice);
  };
  for (const auto& video : totals.videos) {
    for (const auto& label : video.labels) {
      if (label.exposures > 0) row(video.source.empty() ? video.folder : video.source, label);
    }
  }
  for (const auto& label : totals.labels) row("ALL", label);
  return text;
}

}  // namespace logoscope::video
