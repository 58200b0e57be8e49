#include "video/exposure.hpp"

#include <algorithm>
#include <cmath>

namespace logoscope::video {

Intervals merge_intervals(Intervals intervals) {
  std::sort(intervals.begin(), intervals.end());
  Intervals merged;
  for (const auto& [start, end] : intervals) {
    if (end <= start) continue;
    if (merged.empty() || start > merged.back().second) {
      merged.emplace_back(start, end);
    } else {
      merged.back().second = std::max(merged.back().second, end);
    }
  }
  return merged;
}

double union_seconds(Intervals intervals) {
  double total = 0;
  for (const auto& [start, end] : merge_intervals(std::move(intervals))) total += end - start;
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
  std::vector<Intervals> by_label(label_count);
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

  // Each label's time on screen as disjoint intervals: seconds, solus and the timeline all read them.
  std::vector<Intervals> on_screen(label_count);
  for (std::size_t l = 0; l < label_count; ++l) on_screen[l] = merge_intervals(std::move(by_label[l]));

  double all_seconds = 0;
  double end_of_exposures = 0;
  for (std::size_t l = 0; l < label_count; ++l) {
    LabelExposure& label = report.labels[l];
    for (const auto& [start, end] : on_screen[l]) label.seconds += end - start;
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

  // Solus: sweep the labels' intervals (disjoint within a label); while exactly one label is on,
  // the time counts for it.
  struct Event {
    double time;
    int delta;
    std::size_t label;
  };
  std::vector<Event> events;
  for (std::size_t l = 0; l < label_count; ++l) {
    for (const auto& [start, end] : on_screen[l]) {
      events.push_back({start, +1, l});
      events.push_back({end, -1, l});
    }
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return a.time < b.time || (a.time == b.time && a.delta < b.delta);
  });
  std::vector<bool> on(label_count, false);
  int labels_on = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& event = events[i];
    on[event.label] = event.delta > 0;
    labels_on += event.delta;
    if (i + 1 < events.size() && labels_on == 1) {
      const auto alone = static_cast<std::size_t>(std::find(on.begin(), on.end(), true) - on.begin());
      report.labels[alone].solus_seconds += events[i + 1].time - event.time;
    }
  }

  // The timeline: each interval spread over the whole seconds it covers.
  const double timeline_end = std::max(duration_s, end_of_exposures);
  report.timeline.assign(static_cast<std::size_t>(std::ceil(timeline_end)),
                         std::vector<double>(label_count, 0.0));
  for (std::size_t l = 0; l < label_count; ++l) {
    for (const auto& [start, end] : on_screen[l]) {
      for (auto second = static_cast<std::size_t>(std::floor(start));
           second < report.timeline.size() && static_cast<double>(second) < end; ++second) {
        const double lo = static_cast<double>(second);
        report.timeline[second][l] += std::min(end, lo + 1) - std::max(start, lo);
      }
    }
  }
  return report;
}

}  // namespace logoscope::video
