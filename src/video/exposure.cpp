#include "video/exposure.hpp"

#include <algorithm>
#include <cmath>

namespace logoscope::video {

double union_seconds(std::vector<std::pair<double, double>> intervals) {
  std::sort(intervals.begin(), intervals.end());
  double total = 0;
  double start = 0;
  double end = -1;
  bool open = false;
  for (const auto& [s, e] : intervals) {
    if (e <= s) continue;
    if (!open || s > end) {
      if (open) total += end - start;
      start = s;
      end = e;
      open = true;
    } else {
      end = std::max(end, e);
    }
  }
  if (open) total += end - start;
  return total;
}

ExposureCounter::ExposureCounter(std::vector<std::string> labels, double interval_s)
    : labels_(std::move(labels)), interval_s_(interval_s) {}

void ExposureCounter::add(double time_s, int width, int height, const std::vector<TrackBox>& boxes,
                          const std::vector<double>& sharpness) {
  const double frame_area = static_cast<double>(width) * static_cast<double>(height);
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    const TrackBox& box = boxes[i];
    Sums& sums = sums_[box.track_id];
    const double share =
        frame_area > 0 ? std::max(0.0, (box.x1 - box.x0) * (box.y1 - box.y0)) / frame_area : 0;
    const double cx = (box.x0 + box.x1) / 2 / std::max(1, width);
    const double cy = (box.y0 + box.y1) / 2 / std::max(1, height);
    ++sums.detections;
    sums.share += share;
    sums.max_share = std::max(sums.max_share, share);
    if (cx >= 1.0 / 3 && cx <= 2.0 / 3 && cy >= 1.0 / 3 && cy <= 2.0 / 3) ++sums.centre;
    sums.confidence += box.score;
    sums.sharpness += i < sharpness.size() ? sharpness[i] : 0.0;
    if (box.score > sums.best_confidence) {
      sums.best_confidence = box.score;
      sums.best_time_s = time_s;
    }
  }
}

void ExposureCounter::add_finished(const std::vector<Track>& tracks) {
  tracks_.insert(tracks_.end(), tracks.begin(), tracks.end());
}

ExposureReport ExposureCounter::report(double duration_s) const {
  ExposureReport report;
  const std::size_t label_count = labels_.size();
  std::vector<std::vector<std::pair<double, double>>> by_label(label_count);
  std::vector<Sums> label_sums(label_count);
  report.labels.resize(label_count);
  for (std::size_t l = 0; l < label_count; ++l) report.labels[l].name = labels_[l];

  for (const Track& track : tracks_) {
    if (track.label < 0 || static_cast<std::size_t>(track.label) >= label_count) continue;
    TrackExposure exposure;
    exposure.track_id = track.id;
    exposure.label = track.label;
    exposure.start_s = track.first_s;
    exposure.end_s = track.last_s + interval_s_;
    const auto found = sums_.find(track.id);
    if (found != sums_.end()) {
      const Sums& s = found->second;
      const double n = std::max(1, s.detections);
      exposure.detections = s.detections;
      exposure.mean_share = s.share / n;
      exposure.max_share = s.max_share;
      exposure.centre_fraction = s.centre / n;
      exposure.mean_confidence = s.confidence / n;
      exposure.mean_sharpness = s.sharpness / n;
      exposure.best_confidence = s.best_confidence;
      exposure.best_time_s = s.best_time_s;
      Sums& ls = label_sums[static_cast<std::size_t>(track.label)];
      ls.detections += s.detections;
      ls.share += s.share;
      ls.max_share = std::max(ls.max_share, s.max_share);
      ls.centre += s.centre;
      ls.confidence += s.confidence;
      ls.sharpness += s.sharpness;
    }
    by_label[static_cast<std::size_t>(track.label)].emplace_back(exposure.start_s, exposure.end_s);
    LabelExposure& label = report.labels[static_cast<std::size_t>(track.label)];
    ++label.exposures;
    label.longest_s = std::max(label.longest_s, exposure.seconds());
    label.first_s = label.first_s < 0 ? exposure.start_s : std::min(label.first_s, exposure.start_s);
    label.last_s = std::max(label.last_s, exposure.end_s);
    report.tracks.push_back(exposure);
  }
  std::sort(report.tracks.begin(), report.tracks.end(), [](const TrackExposure& a, const TrackExposure& b) {
    return a.start_s < b.start_s || (a.start_s == b.start_s && a.track_id < b.track_id);
  });

  double all_seconds = 0;
  double end_of_exposures = 0;
  for (std::size_t l = 0; l < label_count; ++l) {
    LabelExposure& label = report.labels[l];
    label.seconds = union_seconds(by_label[l]);
    all_seconds += label.seconds;
    const Sums& s = label_sums[l];
    const double n = std::max(1, s.detections);
    label.mean_share = s.share / n;
    label.max_share = s.max_share;
    label.centre_fraction = s.centre / n;
    label.mean_confidence = s.confidence / n;
    label.mean_sharpness = s.sharpness / n;
    end_of_exposures = std::max(end_of_exposures, label.last_s);
  }
  for (auto& label : report.labels) label.share_of_voice = all_seconds > 0 ? label.seconds / all_seconds : 0;

  // Solus: sweep the labels' merged intervals; a stretch with exactly one label on counts for it.
  struct Event {
    double time;
    int delta;
    std::size_t label;
  };
  std::vector<Event> events;
  for (std::size_t l = 0; l < label_count; ++l) {
    auto intervals = by_label[l];
    std::sort(intervals.begin(), intervals.end());
    double start = 0;
    double end = -1;
    bool open = false;
    auto close = [&] {
      if (!open) return;
      events.push_back({start, +1, l});
      events.push_back({end, -1, l});
    };
    for (const auto& [s, e] : intervals) {
      if (!open || s > end) {
        close();
        start = s;
        end = e;
        open = true;
      } else {
        end = std::max(end, e);
      }
    }
    close();
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return a.time < b.time || (a.time == b.time && a.delta < b.delta);
  });
  std::vector<int> on(label_count, 0);
  int labels_on = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& event = events[i];
    const bool was_on = on[event.label] > 0;
    on[event.label] += event.delta;
    const bool is_on = on[event.label] > 0;
    labels_on += static_cast<int>(is_on) - static_cast<int>(was_on);
    if (i + 1 < events.size() && labels_on == 1) {
      const double span = events[i + 1].time - event.time;
      for (std::size_t l = 0; l < label_count; ++l) {
        if (on[l] > 0) report.labels[l].solus_seconds += span;
      }
    }
  }

  const double timeline_end = std::max(duration_s, end_of_exposures);
  const auto seconds = static_cast<std::size_t>(std::ceil(timeline_end));
  report.timeline.assign(seconds, std::vector<double>(label_count, 0.0));
  for (std::size_t l = 0; l < label_count; ++l) {
    for (std::size_t second = 0; second < seconds; ++second) {
      std::vector<std::pair<double, double>> clipped;
      const double lo = static_cast<double>(second);
      const double hi = lo + 1;
      for (const auto& [s, e] : by_label[l]) {
        if (e > lo && s < hi) clipped.emplace_back(std::max(s, lo), std::min(e, hi));
      }
      report.timeline[second][l] = union_seconds(clipped);
    }
  }
  return report;
}

}  // namespace logoscope::video
