#include "video/video_report.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/base64.hpp"
#include "report/html_report.hpp"

namespace logoscope::video {

namespace {

using report::html_escape;

// A distinct colour per label for the timeline (HSL spread by the golden angle).
std::string label_colour(std::size_t label) {
  const double hue = std::fmod(static_cast<double>(label) * 137.508, 360.0);
  return fmt::format("hsl({:.0f},65%,45%)", hue);
}

std::string clock(double seconds) {
  const auto total = static_cast<long long>(std::floor(std::max(0.0, seconds)));
  const double fraction = seconds - static_cast<double>(total);
  if (total >= 3600) return fmt::format("{}:{:02}:{:02}", total / 3600, total / 60 % 60, total % 60);
  return fmt::format("{}:{:02}.{:01.0f}", total / 60, total % 60, std::floor(fraction * 10));
}

std::string timeline_svg(const AnalysisSummary& summary) {
  const auto& labels = summary.exposure.labels;
  std::vector<std::size_t> rows;
  for (std::size_t l = 0; l < labels.size(); ++l) {
    if (labels[l].exposures > 0) rows.push_back(l);
  }
  const double duration = std::max(summary.video_s, 1e-3);
  constexpr int kLeft = 150;
  constexpr int kWidth = 900;
  constexpr int kRow = 22;
  const int height = static_cast<int>(rows.size()) * kRow + 30;
  std::string svg = fmt::format(
      R"(<svg class="timeline" viewBox="0 0 {} {}" width="100%" role="img" aria-label="exposure timeline">)",
      kLeft + kWidth + 10, height);
  // Ticks: about ten, on round seconds.
  const double raw_step = duration / 10;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw_step)));
  double step = magnitude;
  for (const double factor : {1.0, 2.0, 5.0, 10.0}) {
    if (magnitude * factor >= raw_step) {
      step = magnitude * factor;
      break;
    }
  }
  for (double t = 0; t <= duration + 1e-9; t += step) {
    const double x = kLeft + kWidth * t / duration;
    svg += fmt::format(R"(<line x1="{0:.1f}" x2="{0:.1f}" y1="0" y2="{1}" stroke="#ddd"/>)", x, height - 20);
    svg += fmt::format(R"(<text x="{:.1f}" y="{}" font-size="10" text-anchor="middle">{}</text>)", x,
                       height - 6, clock(t));
  }
  for (std::size_t row = 0; row < rows.size(); ++row) {
    const std::size_t l = rows[row];
    const int y = static_cast<int>(row) * kRow + 4;
    svg += fmt::format(R"(<text x="{}" y="{}" font-size="12" text-anchor="end">{}</text>)", kLeft - 6, y + 13,
                       html_escape(labels[l].name));
    for (const auto& track : summary.exposure.tracks) {
      if (static_cast<std::size_t>(track.label) != l) continue;
      const double x = kLeft + kWidth * track.start_s / duration;
      const double w = std::max(1.0, kWidth * track.seconds() / duration);
      svg += fmt::format(
          R"(<rect x="{:.1f}" y="{}" width="{:.1f}" height="16" fill="{}"><title>#{} {}: {} to {} ({:.2f} s)</title></rect>)",
          x, y, w, label_colour(l), track.track_id, html_escape(labels[l].name), clock(track.start_s),
          clock(track.end_s), track.seconds());
    }
  }
  return svg + "</svg>";
}

}  // namespace

std::string video_report_html(const AnalysisSummary& summary, const std::string& model,
                              const std::map<std::int64_t, std::vector<std::uint8_t>>& thumbnails,
                              std::size_t max_exposures) {
  const auto& video = summary.video;
  std::string page = R"(<!doctype html><html lang="en"><head><meta charset="utf-8"><title>)" +
                     html_escape("Exposure: " + video.source) + R"(</title><style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{padding:4px 10px;border-bottom:1px solid #eee;text-align:right}
th:first-child,td:first-child{text-align:left}.bar{display:inline-block;height:10px;background:#4a7}
.warn{background:#fff3cd;padding:.6em 1em;border-left:4px solid #e0a800}
.gallery{display:flex;flex-wrap:wrap;gap:12px}.card{width:180px;font-size:12px}
.card img{max-width:180px;max-height:120px;display:block;background:#eee}
</style></head><body>)";
  page += "<h1>Logo exposure</h1>";
  page += fmt::format(
      "<p><b>{}</b>: {}×{}, {:.2f} fps, {:.1f} s analysed ({} of {} frames, every {} frame{}) in "
      "{:.1f} s ({:.2f}× real time). Model: {}.</p>",
      html_escape(video.source), video.width, video.height, video.fps, summary.video_s,
      summary.frames_analysed, summary.frames_read, summary.stride, summary.stride == 1 ? "" : "s",
      summary.wall_s, summary.wall_s > 0 ? summary.video_s / summary.wall_s : 0.0, html_escape(model));
  if (!summary.complete) {
    page +=
        fmt::format(R"(<p class="warn">Incomplete: {}. Everything below covers the video up to there.</p>)",
                    html_escape(summary.stopped));
  }

  page +=
      "<h2>Brands</h2><table><tr><th>label</th><th>exposures</th><th>seconds on screen</th><th>longest "
      "s</th><th>share of voice</th><th>solus s</th><th>mean / max share of screen</th><th>centre</th>"
      "<th>confidence</th><th>sharpness</th></tr>";
  for (const auto& label : summary.exposure.labels) {
    if (label.exposures == 0) continue;
    page += fmt::format(
        R"(<tr><td>{}</td><td>{}</td><td>{:.2f}</td><td>{:.2f}</td><td><span class="bar" style="width:{:.0f}px"></span> {:.1f} %</td><td>{:.2f}</td><td>{:.2f} % / {:.2f} %</td><td>{:.0f} %</td><td>{:.1f}</td><td>{:.0f}</td></tr>)",
        html_escape(label.name), label.exposures, label.seconds, label.longest_s, label.share_of_voice * 100,
        label.share_of_voice * 100, label.solus_seconds, label.mean_share * 100, label.max_share * 100,
        label.centre_fraction * 100, label.mean_confidence * 100, label.mean_sharpness);
  }
  page += "</table>";
  if (summary.exposure.tracks.empty())
    page += "<p>No logo was on screen long enough to count as an exposure.</p>";

  page += "<h2>Timeline</h2>" + timeline_svg(summary);

  std::vector<const TrackExposure*> longest;
  for (const auto& track : summary.exposure.tracks) longest.push_back(&track);
  std::stable_sort(longest.begin(), longest.end(), [](const TrackExposure* a, const TrackExposure* b) {
    return a->seconds() > b->seconds();
  });
  if (longest.size() > max_exposures) longest.resize(max_exposures);
  page += fmt::format("<h2>Exposures</h2><p>{} exposures{}, longest first.</p><div class=\"gallery\">",
                      summary.exposure.tracks.size(),
                      summary.exposure.tracks.size() > longest.size()
                          ? fmt::format(" (the {} longest)", longest.size())
                          : "");
  for (const TrackExposure* track : longest) {
    const auto& name = summary.exposure.labels[static_cast<std::size_t>(track->label)].name;
    page += R"(<div class="card">)";
    if (const auto thumbnail = thumbnails.find(track->track_id); thumbnail != thumbnails.end()) {
      page += fmt::format(R"(<img alt="{} at {}" src="data:image/jpeg;base64,{}">)", html_escape(name),
                          clock(track->best_time_s), base64_encode(thumbnail->second));
    }
    page += fmt::format("<b>{}</b> #{}<br>{} – {} ({:.2f} s)<br>share {:.2f} %, confidence {:.0f}</div>",
                        html_escape(name), track->track_id, clock(track->start_s), clock(track->end_s),
                        track->seconds(), track->mean_share * 100, track->mean_confidence * 100);
  }
  page += "</div></body></html>\n";
  return page;
}

}  // namespace logoscope::video
