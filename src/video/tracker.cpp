#include "video/tracker.hpp"

#include <algorithm>
#include <numeric>

namespace logoscope::video {

namespace {

double iou(double ax0, double ay0, double ax1, double ay1, const Detection& b) {
  const double iw = std::min(ax1, b.x1) - std::max(ax0, b.x0);
  const double ih = std::min(ay1, b.y1) - std::max(ay0, b.y0);
  if (iw <= 0 || ih <= 0) return 0;
  const double inter = iw * ih;
  const double area_a = (ax1 - ax0) * (ay1 - ay0);
  const double area_b = (b.x1 - b.x0) * (b.y1 - b.y0);
  const double uni = area_a + area_b - inter;
  return uni > 0 ? inter / uni : 0;
}

}  // namespace

Tracker::Tracker(TrackerOptions options) : options_(options) {}

void Tracker::set_high_scores(std::vector<float> per_label) {
  high_scores_ = std::move(per_label);
}

float Tracker::high_for(int label) const {
  if (label >= 0 && static_cast<std::size_t>(label) < high_scores_.size()) {
    return std::max(high_scores_[static_cast<std::size_t>(label)], options_.low_score);
  }
  return options_.high_score;
}

std::vector<std::int64_t> Tracker::active_ids() const {
  std::vector<std::int64_t> ids;
  ids.reserve(active_.size());
  for (const auto& active : active_) ids.push_back(active.track.id);
  return ids;
}

bool Tracker::confirmed(std::int64_t track_id) const {
  for (const auto& active : active_) {
    if (active.track.id == track_id) return active.track.hits >= options_.min_hits;
  }
  return false;
}

std::vector<TrackBox> Tracker::update(double time_s, const std::vector<Detection>& detections) {
  // End the tracks that have been missing too long.
  for (auto it = active_.begin(); it != active_.end();) {
    if (time_s - it->track.last_s > options_.max_gap_s) {
      if (it->track.hits >= options_.min_hits) finished_.push_back(it->track);
      it = active_.erase(it);
    } else {
      ++it;
    }
  }
  std::vector<std::size_t> order(detections.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return detections[a].score > detections[b].score; });
  std::vector<bool> track_taken(active_.size(), false);
  std::vector<TrackBox> out;

  auto link = [&](std::size_t track_index, const Detection& d) {
    Active& active = active_[track_index];
    const double dt = time_s - active.track.last_s;
    if (dt > 0) {
      active.vx0 = (d.x0 - active.x0) / dt;
      active.vy0 = (d.y0 - active.y0) / dt;
      active.vx1 = (d.x1 - active.x1) / dt;
      active.vy1 = (d.y1 - active.y1) / dt;
    }
    active.x0 = d.x0;
    active.y0 = d.y0;
    active.x1 = d.x1;
    active.y1 = d.y1;
    active.track.last_s = time_s;
    ++active.track.hits;
    track_taken[track_index] = true;
    out.push_back({active.track.id, d.label, d.x0, d.y0, d.x1, d.y1, d.score});
  };
  // Best free track for a detection: same label, highest IoU with its predicted box.
  auto best_track = [&](const Detection& d) -> std::ptrdiff_t {
    std::ptrdiff_t best = -1;
    double best_iou = options_.match_iou;
    for (std::size_t t = 0; t < active_.size(); ++t) {
      const Active& a = active_[t];
      if (track_taken[t] || a.track.label != d.label) continue;
      const double dt = time_s - a.track.last_s;
      const double overlap =
          iou(a.x0 + a.vx0 * dt, a.y0 + a.vy0 * dt, a.x1 + a.vx1 * dt, a.y1 + a.vy1 * dt, d);
      if (overlap >= best_iou) {
        best_iou = overlap;
        best = static_cast<std::ptrdiff_t>(t);
      }
    }
    return best;
  };

  std::vector<std::size_t> unmatched_high;
  // 1. Confident detections continue tracks; 2. the rest of the confident ones start tracks;
  // 3. low-confidence detections may only continue tracks left unmatched.
  for (const std::size_t index : order) {
    const Detection& d = detections[index];
    if (d.score < high_for(d.label)) continue;
    const auto track = best_track(d);
    if (track >= 0) {
      link(static_cast<std::size_t>(track), d);
    } else {
      unmatched_high.push_back(index);
    }
  }
  for (const std::size_t index : order) {
    const Detection& d = detections[index];
    if (d.score >= high_for(d.label) || d.score < options_.low_score) continue;
    const auto track = best_track(d);
    if (track >= 0) link(static_cast<std::size_t>(track), d);
  }
  for (const std::size_t index : unmatched_high) {
    const Detection& d = detections[index];
    Active active;
    active.track = {next_id_++, d.label, time_s, time_s, 0};
    active.x0 = d.x0;
    active.y0 = d.y0;
    active.x1 = d.x1;
    active.y1 = d.y1;
    active_.push_back(active);
    track_taken.push_back(false);
    link(active_.size() - 1, d);
  }
  return out;
}

std::vector<Track> Tracker::take_finished() {
  std::vector<Track> out;
  out.swap(finished_);
  return out;
}

void Tracker::finish() {
  for (const auto& active : active_) {
    if (active.track.hits >= options_.min_hits) finished_.push_back(active.track);
  }
  active_.clear();
}

}  // namespace logoscope::video
