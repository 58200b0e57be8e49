#include "video/frame_sampler.hpp"

#include <array>
#include <cmath>
#include <cstdlib>

#include <opencv2/imgproc.hpp>

namespace logoscope::video {

const char* keep_reason_name(KeepReason reason) {
  switch (reason) {
    case KeepReason::kFirst:
      return "first";
    case KeepReason::kInterval:
      return "interval";
    case KeepReason::kSceneChange:
      return "scene_change";
    case KeepReason::kNone:
      break;
  }
  return "";
}

std::vector<std::uint8_t> FrameSampler::thumbnail(const cv::Mat& rgb) {
  cv::Mat small;
  cv::resize(rgb, small, {64, 36}, 0, 0, cv::INTER_AREA);
  cv::Mat grey;
  cv::cvtColor(small, grey, cv::COLOR_RGB2GRAY);
  return {grey.data, grey.data + grey.total()};
}

double FrameSampler::difference(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  if (a.size() != b.size() || a.empty()) return 1.0;
  long long total = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    total += std::abs(static_cast<int>(a[i]) - static_cast<int>(b[i]));
  return static_cast<double>(total) / (255.0 * static_cast<double>(a.size()));
}

double FrameSampler::histogram_change(const std::vector<std::uint8_t>& a,
                                      const std::vector<std::uint8_t>& b) {
  if (a.empty() || b.empty()) return 1.0;
  std::array<double, 32> ha{};
  std::array<double, 32> hb{};
  for (const auto value : a) ha[value / 8U] += 1.0 / static_cast<double>(a.size());
  for (const auto value : b) hb[value / 8U] += 1.0 / static_cast<double>(b.size());
  double distance = 0;
  for (std::size_t i = 0; i < ha.size(); ++i) distance += std::abs(ha[i] - hb[i]);
  return distance / 2;
}

KeepReason FrameSampler::offer(const cv::Mat& rgb, double time_s) {
  auto current = thumbnail(rgb);
  KeepReason reason = KeepReason::kNone;
  if (!started_) {
    reason = KeepReason::kFirst;
  } else if (histogram_change(previous_, current) >= options_.scene_change) {
    reason = KeepReason::kSceneChange;
  } else if (options_.every_s > 0 && time_s + 1e-9 >= next_interval_s_) {
    reason = KeepReason::kInterval;
  }
  previous_ = current;
  if (reason == KeepReason::kNone) return reason;
  next_interval_s_ = time_s + options_.every_s;  // the next periodic frame counts from this one
  if (started_ && difference(kept_, current) < options_.duplicate) {
    ++duplicates_;
    return KeepReason::kNone;
  }
  started_ = true;
  kept_ = std::move(current);
  return reason;
}

}  // namespace logoscope::video
