// `logoscope exposure`: the summary.json files of many `video` runs (NUL-separated in the input,
// up to 8), summed per label and written as exposure.json and exposure.csv
// (video/exposure_totals.hpp). Beyond not crashing: every total is finite and not negative, and
// each share of voice lies in 0–1.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "video/exposure_totals.hpp"

namespace {

void check(const logoscope::video::LabelTotal& label) {
  for (const double value : {label.seconds, label.longest_s, label.solus_seconds}) {
    if (!std::isfinite(value) || value < 0) std::abort();
  }
  if (label.exposures < 0 || label.videos < 0) std::abort();
  if (!(label.share_of_voice >= 0 && label.share_of_voice <= 1 + 1e-9)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace logoscope::video;
  std::vector<SummaryFile> files;
  std::string text(reinterpret_cast<const char*>(data), size);
  std::size_t start = 0;
  while (files.size() < 8) {
    const std::size_t end = text.find('\0', start);
    files.push_back({"v" + std::to_string(files.size()), text.substr(start, end - start)});
    if (end == std::string::npos) break;
    start = end + 1;
  }
  const ExposureTotals totals = sum_exposure(files);
  for (const auto& video : totals.videos) {
    if (!std::isfinite(video.video_s) || video.video_s < 0) std::abort();
    for (const auto& label : video.labels) check(label);
  }
  for (const auto& label : totals.labels) check(label);
  if (!std::isfinite(totals.video_s)) std::abort();
  (void)exposure_json(totals).dump(2);  // as `logoscope exposure` writes it
  (void)exposure_csv(totals);
  return 0;
}
