#include "report/html_report.hpp"

#include <algorithm>
#include <functional>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <numeric>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/base64.hpp"
#include "core/files.hpp"
#include "core/thread_pool.hpp"
#include "imageio/image_io.hpp"
#include "render/annotate.hpp"

namespace logoscope::report {
namespace {

using eval::Evaluation;
using eval::FalsePositiveKind;
using eval::Suggestion;
using eval::Verdict;

constexpr std::size_t kMaxCurveLabels = 12;
constexpr std::size_t kMaxCurvePoints = 200;
constexpr double kCropContext = 3.0;  // crop side = box side × this
constexpr double kMinCrop = 96.0;     // px of the original image
constexpr int kJpegQuality = 80;

// Colours in RGB order (thumbnails are RGB Mats).
const cv::Scalar kGroundTruthColour(40, 200, 60);
const cv::Scalar kFalsePositiveColour(255, 30, 30);
const cv::Scalar kOutlineColour(0, 0, 0);

// ------------------------------------------------------------------ text

/// A number with `digits` decimals, or an em dash for "not defined" (negative, NaN).
std::string number(double value, int digits = 3) {
  if (!std::isfinite(value) || value < 0) return "\u2014";
  return fmt::format("{:.{}f}", value, digits);
}

std::string label_name(const Evaluation& evaluation, int label) {
  if (label >= 0 && static_cast<std::size_t>(label) < evaluation.labels.size())
    return evaluation.labels[static_cast<std::size_t>(label)];
  return fmt::format("label {}", label);
}

std::string css_colour(const cv::Scalar& rgb) {
  return fmt::format("#{:02x}{:02x}{:02x}", static_cast<int>(rgb[0]), static_cast<int>(rgb[1]),
                     static_cast<int>(rgb[2]));
}

std::string file_name_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

/// Shortens to `max_chars` code points (UTF-8 aware), ending with an ellipsis when cut.
std::string shorten(const std::string& text, std::size_t max_chars) {
  std::size_t chars = 0;
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    if ((static_cast<unsigned char>(text[pos]) & 0xC0U) == 0x80U) continue;
    if (chars == max_chars) return text.substr(0, pos) + "\u2026";
    ++chars;
  }
  return text;
}


/// CSS class grading a score people read as "is this good enough".
const char* grade(double value) {
  if (!std::isfinite(value) || value < 0) return "na";
  if (value >= 0.9) return "good";
  if (value >= 0.7) return "fair";
  return "poor";
}

const char* false_positive_phrase(FalsePositiveKind kind) {
  switch (kind) {
    case FalsePositiveKind::kDuplicate:
      return "duplicate: the logo was already found";
    case FalsePositiveKind::kLocalization:
      return "localization: box misplaced (IoU 0.1\u20130.5)";
    case FalsePositiveKind::kConfusion:
      return "confusion: on another label's box";
    case FalsePositiveKind::kBackground:
      return "background: nothing labeled here";
    case FalsePositiveKind::kNone:
      break;
  }
  return "false positive";
}

/// The threshold the verdicts used for `label` (0.5 when the evaluation does not say).
float verdict_threshold(const Evaluation& evaluation, int label) {
  if (label >= 0 && static_cast<std::size_t>(label) < evaluation.thresholds.size())
    return evaluation.thresholds[static_cast<std::size_t>(label)];
  return 0.5F;
}

/// A missed box a same-label prediction overlapped (IoU ≥ 0.5), only with a score under the threshold.
bool found_below_threshold(const Evaluation& evaluation, const eval::JudgedBox& judged) {
  return judged.best_score > 0 && judged.best_score < verdict_threshold(evaluation, judged.box.label);
}

// ------------------------------------------------------------------ galleries

/// Ground truth is drawn solid, predictions dashed, so that a label colour close to the
/// ground-truth green stays distinguishable.
struct DrawnBox {
  Box box;  // xyxy, pixels of the image as displayed
  cv::Scalar colour;
  int thickness = 2;
  bool dashed = false;
};

struct GalleryItem {
  std::size_t image = 0;
  Box focus;                       // what the crop is centred on
  std::vector<DrawnBox> boxes;     // drawn in order, the focus last
  std::vector<std::string> lines;  // caption lines (plain text); the first is emphasised
  std::string alt;
  // Filled when rendering thumbnails.
  std::string data_uri;
  int width = 0;
  int height = 0;
  std::string failure;
};

struct Gallery {
  std::string id;
  std::string title;
  std::string description;
  std::vector<GalleryItem> items;  // capped
  std::size_t total = 0;           // before the cap
};

/// The ground-truth boxes of the image (green), then `focus_boxes`.
std::vector<DrawnBox> boxes_with_ground_truth(const eval::ImageEvaluation& image, int focus_gt,
                                              std::vector<DrawnBox> focus_boxes) {
  std::vector<DrawnBox> out;
  for (std::size_t gt_idx = 0; gt_idx < image.ground_truth.size(); ++gt_idx) {
    if (static_cast<int>(gt_idx) == focus_gt) continue;
    out.push_back({image.ground_truth[gt_idx].box, kGroundTruthColour, 2});
  }
  if (focus_gt >= 0 && static_cast<std::size_t>(focus_gt) < image.ground_truth.size())
    out.push_back({image.ground_truth[static_cast<std::size_t>(focus_gt)].box, kGroundTruthColour, 3});
  for (auto& box : focus_boxes) out.push_back(std::move(box));
  return out;
}

Box box_of(const Detection& detection) {
  Box box;
  box.x0 = detection.x0;
  box.y0 = detection.y0;
  box.x1 = detection.x1;
  box.y1 = detection.y1;
  box.label = detection.label;
  return box;
}

std::string size_text(const Box& box) {
  return fmt::format("{:.0f}\u00d7{:.0f} px", std::max(0.0, box.width()), std::max(0.0, box.height()));
}

void cap(Gallery& gallery, std::size_t max_items) {
  gallery.total = gallery.items.size();
  if (gallery.items.size() > max_items) gallery.items.resize(max_items);
}

Gallery missing_label_gallery(const Evaluation& evaluation) {
  Gallery gallery{"missing-labels",
                  "Likely missing labels",
                  "Confident predictions where nothing is labeled, highest score first. Most are logos the "
                  "labeling missed: adding these boxes raises the measured precision and trains the model "
                  "better. The rest are real mistakes: add similar images without the logo. Dashed: the "
                  "prediction; solid green: labeled boxes.",
                  {},
                  0};
  for (const auto& suggestion : evaluation.suggestions) {
    if (suggestion.kind != Suggestion::Kind::kMissingLabel) continue;
    LOGOSCOPE_CHECK(suggestion.image < evaluation.images.size());
    const auto& image = evaluation.images[suggestion.image];
    GalleryItem item;
    item.image = suggestion.image;
    item.focus = suggestion.box;
    item.boxes = boxes_with_ground_truth(image, -1,
                                         {{suggestion.box, render::label_colour(suggestion.label), 3, true}});
    const std::string name = label_name(evaluation, suggestion.label);
    item.lines = {fmt::format("{} {:.2f}", name, suggestion.score), "unlabeled? " + size_text(suggestion.box),
                  image.image};
    item.alt = "likely missing label " + name;
    gallery.items.push_back(std::move(item));
  }
  return gallery;
}

Gallery wrong_label_gallery(const Evaluation& evaluation) {
  Gallery gallery{"wrong-labels",
                  "Possibly wrong labels",
                  "Labeled boxes the model missed while it confidently predicts another label at the same "
                  "place. Check which name is right. Solid green: the labeled box; dashed: the prediction.",
                  {},
                  0};
  for (const auto& suggestion : evaluation.suggestions) {
    if (suggestion.kind != Suggestion::Kind::kWrongLabel) continue;
    LOGOSCOPE_CHECK(suggestion.image < evaluation.images.size());
    const auto& image = evaluation.images[suggestion.image];
    // The prediction behind the suggestion: the other label's box overlapping this one most.
    const eval::JudgedPrediction* best = nullptr;
    double best_iou = 0;
    for (const auto& prediction : image.predictions) {
      if (prediction.detection.label != suggestion.other_label) continue;
      const double iou = box_iou(box_of(prediction.detection), suggestion.box);
      if (best == nullptr || iou > best_iou) {
        best = &prediction;
        best_iou = iou;
      }
    }
    std::vector<DrawnBox> predicted;
    if (best != nullptr)
      predicted.push_back({box_of(best->detection), render::label_colour(suggestion.other_label), 3, true});
    GalleryItem item;
    item.image = suggestion.image;
    item.focus = suggestion.box;
    item.boxes = boxes_with_ground_truth(image, suggestion.index, std::move(predicted));
    const std::string labeled = label_name(evaluation, suggestion.label);
    const std::string other = label_name(evaluation, suggestion.other_label);
    item.lines = {"labeled " + labeled, fmt::format("model: {} {:.2f}", other, suggestion.score),
                  image.image};
    item.alt = fmt::format("labeled {}, predicted {}", labeled, other);
    gallery.items.push_back(std::move(item));
  }
  return gallery;
}

Gallery never_detected_gallery(const Evaluation& evaluation) {
  Gallery gallery{
      "never-detected",
      "Never detected",
      "Labeled boxes that no prediction of any label overlaps, largest first. Check the box "
      "(misplaced, not the logo, too small to see); if it is right, the model needs more examples "
      "like it.",
      {},
      0};
  for (const auto& suggestion : evaluation.suggestions) {
    if (suggestion.kind != Suggestion::Kind::kNeverDetected) continue;
    LOGOSCOPE_CHECK(suggestion.image < evaluation.images.size());
    const auto& image = evaluation.images[suggestion.image];
    GalleryItem item;
    item.image = suggestion.image;
    item.focus = suggestion.box;
    item.boxes = boxes_with_ground_truth(image, suggestion.index, {});
    if (suggestion.index < 0 || static_cast<std::size_t>(suggestion.index) >= image.ground_truth.size())
      item.boxes.push_back({suggestion.box, kGroundTruthColour, 3});
    const std::string name = label_name(evaluation, suggestion.label);
    item.lines = {name, size_text(suggestion.box), image.image};
    item.alt = "never detected " + name;
    gallery.items.push_back(std::move(item));
  }
  return gallery;
}

Gallery false_positive_gallery(const Evaluation& evaluation) {
  Gallery gallery{
      "false-positives",
      "False positives",
      "Predictions at or above their label's threshold that match no labeled box (IoU 0.5), highest "
      "score first. Solid green: labeled boxes; dashed red: the false positive.",
      {},
      0};
  struct Ref {
    std::size_t image;
    std::size_t prediction;
    float score;
  };
  std::vector<Ref> refs;
  for (std::size_t image_idx = 0; image_idx < evaluation.images.size(); ++image_idx) {
    const auto& predictions = evaluation.images[image_idx].predictions;
    for (std::size_t pred_idx = 0; pred_idx < predictions.size(); ++pred_idx)
      if (predictions[pred_idx].verdict == Verdict::kFalsePositive)
        refs.push_back({image_idx, pred_idx, predictions[pred_idx].detection.score});
  }
  std::stable_sort(refs.begin(), refs.end(), [](const Ref& a, const Ref& b) { return a.score > b.score; });
  for (const auto& ref : refs) {
    const auto& image = evaluation.images[ref.image];
    const auto& prediction = image.predictions[ref.prediction];
    const Box box = box_of(prediction.detection);
    GalleryItem item;
    item.image = ref.image;
    item.focus = box;
    item.boxes = boxes_with_ground_truth(image, -1, {{box, kFalsePositiveColour, 3, true}});
    const std::string name = label_name(evaluation, prediction.detection.label);
    const std::string overlap = prediction.iou > 0 ? fmt::format(" \u00b7 IoU {:.2f}", prediction.iou) : "";
    item.lines = {fmt::format("{} {:.2f}{}", name, prediction.detection.score, overlap),
                  false_positive_phrase(prediction.kind), image.image};
    item.alt = "false positive " + name;
    gallery.items.push_back(std::move(item));
  }
  return gallery;
}

Gallery false_negative_gallery(const Evaluation& evaluation) {
  Gallery gallery{
      "false-negatives",
      "False negatives",
      "Labeled boxes that no prediction at or above the label's threshold found (IoU 0.5), largest "
      "first: a large miss is the most surprising. A dashed box in the label's colour is the best "
      "prediction below the threshold, when there is one.",
      {},
      0};
  struct Ref {
    std::size_t image;
    std::size_t box;
    double area;
  };
  std::vector<Ref> refs;
  for (std::size_t image_idx = 0; image_idx < evaluation.images.size(); ++image_idx) {
    const auto& truth = evaluation.images[image_idx].ground_truth;
    for (std::size_t gt_idx = 0; gt_idx < truth.size(); ++gt_idx)
      if (truth[gt_idx].verdict == Verdict::kFalseNegative)
        refs.push_back({image_idx, gt_idx, truth[gt_idx].box.area()});
  }
  std::stable_sort(refs.begin(), refs.end(), [](const Ref& a, const Ref& b) { return a.area > b.area; });
  for (const auto& ref : refs) {
    const auto& image = evaluation.images[ref.image];
    const auto& judged = image.ground_truth[ref.box];
    // The best same-label prediction overlapping it (IoU ≥ 0.5) at any score.
    const Detection* best = nullptr;
    for (const auto& prediction : image.predictions) {
      const auto& detection = prediction.detection;
      if (detection.label != judged.box.label || box_iou(box_of(detection), judged.box) < 0.5) continue;
      if (best == nullptr || detection.score > best->score) best = &detection;
    }
    std::vector<DrawnBox> predicted;
    if (best != nullptr) predicted.push_back({box_of(*best), render::label_colour(best->label), 2, true});
    GalleryItem item;
    item.image = ref.image;
    item.focus = judged.box;
    item.boxes = boxes_with_ground_truth(image, static_cast<int>(ref.box), std::move(predicted));
    const std::string name = label_name(evaluation, judged.box.label);
    const float threshold = verdict_threshold(evaluation, judged.box.label);
    std::string found;
    if (found_below_threshold(evaluation, judged))
      found = fmt::format("best confidence {:.1f}, below threshold {:.1f}", 100.0 * judged.best_score, 100.0 * threshold);
    else if (judged.best_score > 0)
      found = fmt::format("its {:.2f} prediction matched another box", judged.best_score);
    else if (judged.best_iou_any > 0)
      found = fmt::format("not found (best IoU, any label: {:.2f})", judged.best_iou_any);
    else
      found = "no prediction overlaps it";
    item.lines = {fmt::format("{} \u00b7 {}", name, size_text(judged.box)), found, image.image};
    item.alt = "false negative " + name;
    gallery.items.push_back(std::move(item));
  }
  return gallery;
}

/// The part of a `width`×`height` image shown for `focus`: kCropContext× the box per axis, at
/// least kMinCrop, inside the image.
cv::Rect crop_around(const Box& focus, int width, int height) {
  const double crop_w =
      std::min<double>(width, std::max(kMinCrop, kCropContext * std::max(0.0, focus.width())));
  const double crop_h =
      std::min<double>(height, std::max(kMinCrop, kCropContext * std::max(0.0, focus.height())));
  // A NaN box (a broken predictions file) shows the top-left corner rather than failing.
  const auto finite = [](double value) { return std::isnan(value) ? 0.0 : value; };
  const double centre_x = finite((focus.x0 + focus.x1) / 2);
  const double centre_y = finite((focus.y0 + focus.y1) / 2);
  const double left = std::clamp(centre_x - crop_w / 2, 0.0, width - crop_w);
  const double top = std::clamp(centre_y - crop_h / 2, 0.0, height - crop_h);
  const int x0 = static_cast<int>(std::floor(left));
  const int y0 = static_cast<int>(std::floor(top));
  const int x1 = std::min(width, static_cast<int>(std::ceil(left + crop_w)));
  const int y1 = std::min(height, static_cast<int>(std::ceil(top + crop_h)));
  return {x0, y0, std::max(1, x1 - x0), std::max(1, y1 - y0)};
}

void draw_dashed_rectangle(cv::Mat& image, cv::Point p0, cv::Point p1, const cv::Scalar& colour,
                           int thickness) {
  constexpr int kDash = 9;  // px
  constexpr int kGap = 5;
  const std::array<std::pair<cv::Point, cv::Point>, 4> edges = {
      {{p0, {p1.x, p0.y}}, {{p1.x, p0.y}, p1}, {p1, {p0.x, p1.y}}, {{p0.x, p1.y}, p0}}};
  for (const auto& edge : edges) {
    const cv::Point from = edge.first;
    const cv::Point to = edge.second;
    // Axis-aligned edges: the length is the larger coordinate difference.
    const int length = std::max(std::abs(to.x - from.x), std::abs(to.y - from.y));
    for (int start = 0; start < length; start += kDash + kGap) {
      const int end = std::min(length, start + kDash);
      const auto at = [&](int t) {
        const double f = static_cast<double>(t) / length;
        return cv::Point(static_cast<int>(std::lround(from.x + (to.x - from.x) * f)),
                         static_cast<int>(std::lround(from.y + (to.y - from.y) * f)));
      };
      cv::line(image, at(start), at(end), colour, thickness, cv::LINE_AA);
    }
  }
}

void make_thumbnail(const cv::Mat& rgb, GalleryItem& item, int long_side) {
  const cv::Rect crop = crop_around(item.focus, rgb.cols, rgb.rows);
  const double scale = static_cast<double>(long_side) / std::max(crop.width, crop.height);
  const cv::Size size(std::max(1, static_cast<int>(std::lround(crop.width * scale))),
                      std::max(1, static_cast<int>(std::lround(crop.height * scale))));
  cv::Mat thumb;
  cv::resize(rgb(crop), thumb, size, 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  for (const auto& drawn : item.boxes) {
    const Box& box = drawn.box;
    if (!std::isfinite(box.x0) || !std::isfinite(box.y0) || !std::isfinite(box.x1) || !std::isfinite(box.y1))
      continue;
    const auto to_thumb = [&](double value, int origin) {
      return static_cast<int>(std::lround(std::clamp((value - origin) * scale, -1e6, 1e6)));
    };
    const cv::Point p0(to_thumb(box.x0, crop.x), to_thumb(box.y0, crop.y));
    const cv::Point p1(to_thumb(box.x1, crop.x), to_thumb(box.y1, crop.y));
    // A dark outline keeps the box visible on any background.
    if (drawn.dashed) {
      draw_dashed_rectangle(thumb, p0, p1, kOutlineColour, drawn.thickness + 2);
      draw_dashed_rectangle(thumb, p0, p1, drawn.colour, drawn.thickness);
    } else {
      cv::rectangle(thumb, p0, p1, kOutlineColour, drawn.thickness + 2, cv::LINE_AA);
      cv::rectangle(thumb, p0, p1, drawn.colour, drawn.thickness, cv::LINE_AA);
    }
  }
  cv::Mat bgr;
  cv::cvtColor(thumb, bgr, cv::COLOR_RGB2BGR);
  std::vector<std::uint8_t> jpeg;
  if (!cv::imencode(".jpg", bgr, jpeg, {cv::IMWRITE_JPEG_QUALITY, kJpegQuality})) {
    item.failure = "could not encode the thumbnail";
    return;
  }
  item.data_uri = "data:image/jpeg;base64," + base64_encode(jpeg);
  item.width = thumb.cols;
  item.height = thumb.rows;
}

/// Decodes each image the galleries show once, on several threads, and makes its thumbnails.
void render_thumbnails(const Evaluation& evaluation, std::vector<Gallery>& galleries, int long_side) {
  std::map<std::size_t, std::vector<GalleryItem*>> by_image;
  for (auto& gallery : galleries)
    for (auto& item : gallery.items) by_image[item.image].push_back(&item);
  std::vector<std::pair<std::size_t, std::vector<GalleryItem*>>> work(by_image.begin(), by_image.end());
  parallel_for(work.size(), default_thread_count(), [&](std::size_t work_idx) {
    const auto& [image_idx, items] = work[work_idx];
    const std::string& path = evaluation.images[image_idx].image;
    auto decoded = imageio::decode_image_file(path);
    for (GalleryItem* item : items) {
      if (!decoded) {
        item->failure = decoded.error().message;
        continue;
      }
      try {
        make_thumbnail(decoded->rgb, *item, long_side);
      } catch (const cv::Exception& error) {
        item->failure = fmt::format("{}: cannot make a thumbnail: {}", path, error.what());
      }
    }
  });
}

// ------------------------------------------------------------------ SVG charts

struct PlotArea {
  double left = 56;
  double top = 16;
  double width = 400;
  double height = 300;
  double svg_width = 700;
  double svg_height = 364;

  [[nodiscard]] double x(double value) const { return left + std::clamp(value, 0.0, 1.0) * width; }
  [[nodiscard]] double y(double value) const { return top + (1 - std::clamp(value, 0.0, 1.0)) * height; }
};

/// Indices of at most kMaxCurvePoints points: evenly spaced, both ends and `keep` included.
std::vector<std::size_t> downsample(std::size_t count, std::size_t keep) {
  std::vector<std::size_t> indices;
  if (count <= kMaxCurvePoints) {
    indices.resize(count);
    std::iota(indices.begin(), indices.end(), std::size_t{0});
    return indices;
  }
  const std::size_t even = kMaxCurvePoints - 1;
  for (std::size_t step = 0; step < even; ++step)
    indices.push_back(static_cast<std::size_t>(std::llround(
        static_cast<double>(step) * static_cast<double>(count - 1) / static_cast<double>(even - 1))));
  if (keep < count) indices.push_back(keep);
  std::sort(indices.begin(), indices.end());
  indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
  return indices;
}

std::size_t best_f1_index(const eval::LabelMetrics& metrics) {
  std::size_t best = 0;
  for (std::size_t point = 0; point < metrics.curve.size(); ++point)
    if (metrics.curve[point].f1 > metrics.curve[best].f1) best = point;
  return best;
}

/// Every 12th label shares a colour; a dash pattern tells them apart.
std::string stroke_style(int label) {
  const std::string colour = css_colour(render::label_colour(label));
  const int cycle = (label / 12) % 3;
  if (cycle == 1) return fmt::format("stroke=\"{}\" stroke-dasharray=\"6 3\"", colour);
  if (cycle == 2) return fmt::format("stroke=\"{}\" stroke-dasharray=\"2 2\"", colour);
  return fmt::format("stroke=\"{}\"", colour);
}

// Axes over [0, 1] × [0, 1]; x tick labels are multiplied by x_label_scale (100 for confidences).
void svg_axes(std::string& out, const PlotArea& area, const std::string& x_title,
              const std::string& y_title, double x_label_scale = 1.0) {
  out += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" class="frame"/>)",
                     area.left, area.top, area.width, area.height);
  for (int tick = 0; tick <= 10; ++tick) {
    const double value = tick / 10.0;
    const bool major = tick % 2 == 0;
    const double x = area.x(value);
    const double y = area.y(value);
    if (tick > 0 && tick < 10)
      out += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" class="{3}"/>)"
                         R"(<line x1="{4:.1f}" y1="{5:.1f}" x2="{6:.1f}" y2="{5:.1f}" class="{3}"/>)",
                         x, area.top, area.top + area.height, major ? "grid" : "grid minor", area.left, y,
                         area.left + area.width);
    out += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" class="tick"/>)"
                       R"(<line x1="{3:.1f}" y1="{4:.1f}" x2="{5:.1f}" y2="{4:.1f}" class="tick"/>)",
                       x, area.top + area.height, area.top + area.height + (major ? 5 : 3),
                       area.left - (major ? 5 : 3), y, area.left);
    if (major)
      out += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" class="tx">{}</text>)"
                         R"(<text x="{:.1f}" y="{:.1f}" class="ty">{:.1f}</text>)",
                         x, area.top + area.height + 18,
                         x_label_scale == 1.0 ? fmt::format("{:.1f}", value) : fmt::format("{:.0f}", value * x_label_scale),
                         area.left - 8, y + 4, value);
  }
  out += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" class="axis">{}</text>)", area.left + area.width / 2,
                     area.top + area.height + 38, html_escape(x_title));
  out += fmt::format(R"svg(<text transform="translate(16 {:.1f}) rotate(-90)" class="axis">{}</text>)svg",
                     area.top + area.height / 2, html_escape(y_title));
}

enum class CurveKind { kPrecisionRecall, kF1Confidence };

std::string curve_svg(const Evaluation& evaluation, const std::vector<std::size_t>& labels, CurveKind kind) {
  const PlotArea area;
  const bool pr = kind == CurveKind::kPrecisionRecall;
  std::string out = fmt::format(
      R"(<svg class="chart" data-chart="{}" viewBox="0 0 {:.0f} {:.0f}" role="img" aria-label="{}">)",
      pr ? "precision-recall" : "f1-confidence", area.svg_width, area.svg_height,
      pr ? "precision against recall per label" : "F1 against confidence threshold per label");
  svg_axes(out, area, pr ? "recall" : "confidence threshold (0-100)", pr ? "precision" : "F1", pr ? 1.0 : 100.0);
  const double legend_x = area.left + area.width + 24;
  for (std::size_t row = 0; row < labels.size(); ++row) {
    const std::size_t label = labels[row];
    const auto& metrics = evaluation.metrics.labels[label];
    const std::string name = label_name(evaluation, static_cast<int>(label));
    const std::string stroke = stroke_style(static_cast<int>(label));
    const std::string fill = css_colour(render::label_colour(static_cast<int>(label)));
    const auto& curve = metrics.curve;
    const std::size_t best = best_f1_index(metrics);
    std::string points;
    for (const std::size_t point : downsample(curve.size(), best)) {
      const auto& p = curve[point];
      if (!points.empty()) points += ' ';
      points += pr ? fmt::format("{:.1f},{:.1f}", area.x(p.recall), area.y(p.precision))
                   : fmt::format("{:.1f},{:.1f}", area.x(p.threshold), area.y(p.f1));
    }
    out += fmt::format(R"(<g data-label="{}"><title>{}</title>)", html_escape(name), html_escape(name));
    if (!curve.empty()) {
      out += fmt::format(R"(<polyline class="curve" {} points="{}"/>)", stroke, points);
      // The operating point: the assumed threshold (argmax F1).
      const double marker_x = pr ? area.x(metrics.recall) : area.x(metrics.assumed_threshold);
      const double marker_y = pr ? area.y(metrics.precision) : area.y(metrics.f1);
      out += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="4" fill="{}" class="marker"/>)", marker_x,
                         marker_y, fill);
      if (!pr)
        out += fmt::format(
            R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" {3} class="threshold"/>)", marker_x,
            marker_y, area.top + area.height, stroke);
    }
    out += "</g>";
    const double legend_y = area.top + 8 + static_cast<double>(row) * 22;
    const std::string detail =
        curve.empty() ? std::string("no detections")
                      : (pr ? fmt::format("AP50 {}", number(metrics.ap50, 2))
                            : fmt::format("F1 {:.2f} at confidence {:.1f}", metrics.f1, 100.0 * metrics.assumed_threshold));
    out += fmt::format(
        R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{2:.1f}" y2="{1:.1f}" class="legend-line" {3}/>)"
        R"(<text x="{4:.1f}" y="{5:.1f}" class="legend"><title>{6}</title>{7} <tspan class="muted">{8}</tspan></text>)",
        legend_x, legend_y, legend_x + 22, stroke, legend_x + 28, legend_y + 4, html_escape(name),
        html_escape(shorten(name, 20)), html_escape(detail));
  }
  out += "</svg>";
  return out;
}

/// The labels the charts show: the kMaxCurveLabels with the most ground truth (then detections).
std::vector<std::size_t> chart_labels(const Evaluation& evaluation) {
  std::vector<std::size_t> labels;
  for (std::size_t label = 0; label < evaluation.metrics.labels.size(); ++label) {
    const auto& metrics = evaluation.metrics.labels[label];
    if (metrics.ground_truth > 0 || !metrics.curve.empty()) labels.push_back(label);
  }
  std::stable_sort(labels.begin(), labels.end(), [&](std::size_t a, std::size_t b) {
    const auto& ma = evaluation.metrics.labels[a];
    const auto& mb = evaluation.metrics.labels[b];
    if (ma.ground_truth != mb.ground_truth) return ma.ground_truth > mb.ground_truth;
    return ma.detections > mb.detections;
  });
  return labels;
}

// ------------------------------------------------------------------ page parts

constexpr std::string_view kStyle = R"css(
:root { --fg: #1d2330; --muted: #5f6b7a; --line: #d9dee5; --bg: #f6f7f9; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
       margin: 0; background: #fff; }
header { background: #1d2330; color: #fff; padding: 20px 32px; }
header h1 { margin: 0 0 8px; font-size: 22px; }
header dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
header dt { color: #aab4c3; }
header dd { margin: 0; word-break: break-all; }
.counts { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 14px; }
.count { background: rgba(255,255,255,.1); border-radius: 6px; padding: 6px 12px; }
.count b { display: block; font-size: 20px; }
nav { padding: 10px 32px; border-bottom: 1px solid var(--line); background: var(--bg); }
nav a { margin-right: 16px; color: #2457a6; text-decoration: none; }
main { padding: 0 32px 40px; }
h2 { margin: 32px 0 6px; font-size: 18px; }
p.note { color: var(--muted); margin: 4px 0 12px; max-width: 960px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: right; }
th { background: var(--bg); font-weight: 600; position: sticky; top: 0; }
td.name, th.name { text-align: left; max-width: 320px; word-break: break-word; }
td.desc { text-align: left; color: var(--muted); }
td.good { background: #e3f5e6; } td.fair { background: #fdf3d7; } td.poor { background: #fbe1e1; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
.charts { display: flex; flex-wrap: wrap; gap: 24px; }
.charts figure { margin: 0; flex: 1 1 560px; max-width: 720px; }
.charts figcaption { font-weight: 600; margin-bottom: 4px; }
svg.chart { width: 100%; height: auto; background: #fff; }
svg .frame { fill: none; stroke: #8a94a3; }
svg .grid { stroke: #e6e9ee; } svg .grid.minor { stroke: #f2f4f7; }
svg .tick { stroke: #8a94a3; }
svg text { font: 12px system-ui, sans-serif; fill: var(--fg); }
svg .tx { text-anchor: middle; } svg .ty { text-anchor: end; }
svg .axis { text-anchor: middle; font-size: 13px; fill: var(--muted); }
svg .curve { fill: none; stroke-width: 2; stroke-linejoin: round; }
svg .threshold { stroke-width: 1; opacity: .6; }
svg .marker { stroke: #fff; stroke-width: 1.5; }
svg .legend-line { stroke-width: 3; }
svg .muted { fill: var(--muted); }
.gallery { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
.gallery figure { margin: 0; width: min-content; background: var(--bg); border: 1px solid var(--line);
                  border-radius: 6px; padding: 6px; }
.gallery img { display: block; max-width: none; }
.gallery figcaption { font-size: 12px; margin-top: 4px; word-break: break-all; }
.gallery figcaption .file { color: var(--muted); }
.placeholder { display: flex; flex-direction: column; justify-content: center; align-items: center;
               text-align: center; background: #eceff3; color: var(--muted); padding: 12px;
               word-break: break-all; font-size: 12px; }
.placeholder b { color: #a33; margin-bottom: 6px; }
.more { color: var(--muted); font-style: italic; margin-top: 8px; }
.empty { color: var(--muted); }
)css";

constexpr std::string_view kScript = R"js(
window.addEventListener('load', function () {
  var images = document.querySelectorAll('.gallery img');
  var loaded = 0;
  for (var i = 0; i < images.length; i++) {
    if (images[i].complete && images[i].naturalWidth > 0) loaded++;
  }
  document.body.setAttribute('data-gallery-images', String(images.length));
  document.body.setAttribute('data-gallery-images-loaded', String(loaded));
});
)js";

void header_html(std::string& out, const Evaluation& evaluation, const ReportContext& context) {
  std::size_t boxes = 0;
  std::size_t ignored = 0;
  std::size_t predictions = 0;
  std::size_t above = 0;
  for (const auto& image : evaluation.images) {
    boxes += image.ground_truth.size();
    for (const auto& judged : image.ground_truth)
      if (judged.box.ignore || judged.box.difficult) ++ignored;
    predictions += image.predictions.size();
    for (const auto& prediction : image.predictions)
      if (prediction.verdict != Verdict::kBelowThreshold) ++above;
  }
  out += fmt::format("<header><h1>{}</h1><dl>", html_escape(context.title));
  const std::array<std::pair<const char*, const std::string*>, 4> fields = {
      {{"model", &context.model},
       {"ground truth", &context.ground_truth},
       {"predictions", &context.predictions},
       {"created", &context.created}}};
  for (const auto& [name, value] : fields)
    if (!value->empty()) out += fmt::format("<dt>{}</dt><dd>{}</dd>", name, html_escape(*value));
  out += "</dl><div class=\"counts\">";
  const auto count = [&](const std::string& value, const std::string& what) {
    out += fmt::format(R"(<div class="count"><b>{}</b>{}</div>)", html_escape(value), html_escape(what));
  };
  count(std::to_string(evaluation.images.size()), "images");
  count(std::to_string(evaluation.labels.size()), "labels");
  count(std::to_string(boxes), ignored > 0 ? fmt::format("ground-truth boxes ({} ignore/difficult)", ignored)
                                           : std::string("ground-truth boxes"));
  count(std::to_string(predictions), fmt::format("predictions ({} at or above threshold)", above));
  count(number(evaluation.metrics.f1), "F1 (micro)");
  count(number(evaluation.metrics.map50), "mAP50");
  out += "</div></header>";
}

void summary_html(std::string& out, const Evaluation& evaluation) {
  const auto& metrics = evaluation.metrics;
  const auto& image_level = evaluation.image_level;
  out +=
      R"(<section id="summary"><h2>Summary</h2>)"
      R"(<p class="note">Box-level numbers match predictions to labeled boxes at IoU 0.5, each label at its )"
      R"(assumed threshold (the confidence with the best F1, as Rekognition Custom Labels reports; every confidence )"
      R"(and threshold here is on the 0–100 scale of <code>detect --min-confidence</code>).</p>)"
      R"(<table><tr><th class="name">metric</th><th>value</th><th class="name">what it says</th></tr>)";
  const auto row = [&](const std::string& name, double value, const std::string& description, bool graded) {
    out +=
        fmt::format(R"(<tr><td class="name">{}</td><td class="{}">{}</td><td class="desc">{}</td></tr>)",
                    html_escape(name), graded ? grade(value) : "", number(value), html_escape(description));
  };
  row("precision (micro)", metrics.precision, "of all boxes the model reports, the share that are right",
      true);
  row("recall (micro)", metrics.recall, "of all labeled boxes, the share the model finds", true);
  row("F1 (micro)", metrics.f1, "harmonic mean of precision and recall over all boxes", true);
  out += fmt::format(R"(<tr><td class="name">TP / FP / FN</td><td>{} / {} / {}</td><td class="desc">)"
                     R"(found, false alarms, missed (at the assumed thresholds)</td></tr>)",
                     metrics.true_positives, metrics.false_positives, metrics.false_negatives);
  row("mAP50", metrics.map50, "mean over labels of AP at IoU 0.5: ranking quality at every threshold", true);
  row("mAP50:95", metrics.map50_95, "AP averaged over IoU 0.50\u20130.95: also rewards tight boxes", false);
  row("mean F1", metrics.mean_f1, "mean of the per-label F1: every label counts the same", true);
  row("mean precision", metrics.mean_precision, "mean of the per-label precision", false);
  row("mean recall", metrics.mean_recall, "mean of the per-label recall", false);
  row("image-level mean AP", image_level.mean_ap,
      "\u201cdoes this image show the label?\u201d ranked by score", true);
  row("image-level mean F1", image_level.mean_f1,
      "\u201cdoes this image show the label?\u201d at the thresholds", true);
  out += "</table>";
  if (evaluation.true_positives != metrics.true_positives ||
      evaluation.false_positives != metrics.false_positives ||
      evaluation.false_negatives != metrics.false_negatives)
    out += fmt::format(
        R"(<p class="note">The galleries judge predictions at the thresholds given for this evaluation, not the )"
        R"(assumed ones: {} TP, {} FP, {} FN there.</p>)",
        evaluation.true_positives, evaluation.false_positives, evaluation.false_negatives);
  out += "</section>";
}

const eval::ImageLevelLabelMetrics* image_level_for(const Evaluation& evaluation, std::size_t label) {
  const auto& labels = evaluation.image_level.labels;
  const std::string& name = evaluation.metrics.labels[label].name;
  if (label < labels.size() && labels[label].name == name) return &labels[label];
  for (const auto& candidate : labels)
    if (candidate.name == name) return &candidate;
  return nullptr;
}

std::string label_cell(const Evaluation& evaluation, std::size_t label) {
  const std::string& name = evaluation.metrics.labels[label].name.empty()
                                ? label_name(evaluation, static_cast<int>(label))
                                : evaluation.metrics.labels[label].name;
  return fmt::format(R"(<td class="name"><span class="swatch" style="background:{}"></span>{}</td>)",
                     css_colour(render::label_colour(static_cast<int>(label))), html_escape(name));
}

void label_table_html(std::string& out, const Evaluation& evaluation) {
  const auto& labels = evaluation.metrics.labels;
  std::vector<std::size_t> order(labels.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  // Worst first: the labels to work on lead; labels without ground truth go last.
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const bool a_has = labels[a].ground_truth > 0;
    const bool b_has = labels[b].ground_truth > 0;
    if (a_has != b_has) return a_has;
    return labels[a].f1 < labels[b].f1;
  });
  bool other_thresholds = false;
  for (std::size_t label = 0; label < labels.size() && label < evaluation.thresholds.size(); ++label)
    if (std::abs(evaluation.thresholds[label] - labels[label].assumed_threshold) > 1e-6F)
      other_thresholds = true;

  out +=
      R"(<section id="labels"><h2>Per label</h2>)"
      R"(<p class="note">Worst F1 first. Precision, recall, F1 and TP/FP/FN at the assumed threshold )"
      R"((IoU 0.5); AP over all thresholds; image-level numbers answer “does this image show the label?”.</p>)"
      R"(<table><tr><th class="name">label</th><th>F1</th><th>precision</th><th>recall</th>)"
      R"(<th>assumed threshold</th>)";
  if (other_thresholds) out += "<th>gallery threshold</th>";
  out += R"(<th>AP50</th><th>AP50:95</th><th>TP</th><th>FP</th><th>FN</th><th>GT boxes</th>)"
         R"(<th>image AP</th><th>image F1</th></tr>)";
  for (const std::size_t label : order) {
    const auto& metrics = labels[label];
    const bool has_truth = metrics.ground_truth > 0;
    out += "<tr>" + label_cell(evaluation, label);
    const auto graded = [&](double value) {
      out += fmt::format(R"(<td class="{}">{}</td>)", has_truth ? grade(value) : "na",
                         has_truth ? number(value) : std::string("\u2014"));
    };
    graded(metrics.f1);
    graded(metrics.precision);
    graded(metrics.recall);
    out += fmt::format("<td>{:.1f}</td>", 100.0 * metrics.assumed_threshold);
    if (other_thresholds)
      out += label < evaluation.thresholds.size()
                 ? fmt::format("<td>{:.1f}</td>", 100.0 * evaluation.thresholds[label])
                 : std::string("<td>\u2014</td>");
    out += fmt::format(R"(<td class="{}">{}</td><td>{}</td>)", grade(metrics.ap50), number(metrics.ap50),
                       number(metrics.ap50_95));
    out += fmt::format("<td>{}</td><td>{}</td><td>{}</td><td>{}</td>", metrics.true_positives,
                       metrics.false_positives, metrics.false_negatives, metrics.ground_truth);
    const auto* image_level = image_level_for(evaluation, label);
    if (image_level != nullptr && image_level->positive_images > 0)
      out += fmt::format(R"(<td class="{}">{}</td><td class="{}">{}</td>)", grade(image_level->ap),
                         number(image_level->ap), grade(image_level->f1), number(image_level->f1));
    else
      out += "<td>\u2014</td><td>\u2014</td>";
    out += "</tr>";
  }
  out += "</table></section>";
}

/// False positives by kind and false negatives by whether the model saw them at all: what to fix.
void mistakes_table_html(std::string& out, const Evaluation& evaluation) {
  struct Counts {
    std::array<std::int64_t, 4> fp{};  // background, localization, confusion, duplicate
    std::int64_t fn_below = 0;
    std::int64_t fn_missed = 0;
  };
  std::vector<Counts> counts(evaluation.labels.size());
  const auto at = [&](int label) -> Counts* {
    if (label < 0 || static_cast<std::size_t>(label) >= counts.size()) return nullptr;
    return &counts[static_cast<std::size_t>(label)];
  };
  for (const auto& image : evaluation.images) {
    for (const auto& prediction : image.predictions) {
      Counts* c = at(prediction.detection.label);
      if (c == nullptr || prediction.verdict != Verdict::kFalsePositive) continue;
      switch (prediction.kind) {
        case FalsePositiveKind::kLocalization:
          ++c->fp[1];
          break;
        case FalsePositiveKind::kConfusion:
          ++c->fp[2];
          break;
        case FalsePositiveKind::kDuplicate:
          ++c->fp[3];
          break;
        case FalsePositiveKind::kBackground:
        case FalsePositiveKind::kNone:
          ++c->fp[0];
          break;
      }
    }
    for (const auto& judged : image.ground_truth) {
      Counts* c = at(judged.box.label);
      if (c == nullptr || judged.verdict != Verdict::kFalseNegative) continue;
      ++(found_below_threshold(evaluation, judged) ? c->fn_below : c->fn_missed);
    }
  }
  out +=
      R"(<section id="mistakes"><h2>Mistakes by kind</h2>)"
      R"(<p class="note">At the thresholds the galleries use. Background false positives are often unlabeled )"
      R"(logos (see “Likely missing labels”); localization ones point at loose boxes; confusions at similar )"
      R"(labels. A miss “below threshold” was found with a lower score: a lower threshold would catch it; )"
      R"(one “not found” needs more training examples like it.</p>)"
      R"(<table><tr><th class="name">label</th><th>FP background</th><th>FP localization</th>)"
      R"(<th>FP confusion</th><th>FP duplicate</th><th>FN below threshold</th><th>FN not found</th></tr>)";
  for (std::size_t label = 0; label < counts.size() && label < evaluation.metrics.labels.size(); ++label) {
    const auto& c = counts[label];
    out += "<tr>" + label_cell(evaluation, label);
    for (const auto value : c.fp) out += fmt::format("<td>{}</td>", value);
    out += fmt::format("<td>{}</td><td>{}</td></tr>", c.fn_below, c.fn_missed);
  }
  out += "</table></section>";
}

void curves_html(std::string& out, const Evaluation& evaluation) {
  std::vector<std::size_t> labels = chart_labels(evaluation);
  const std::size_t shown_from = labels.size();
  if (labels.size() > kMaxCurveLabels) labels.resize(kMaxCurveLabels);
  out +=
      R"(<section id="curves"><h2>Curves</h2>)"
      R"(<p class="note">One line per label; a dot marks the assumed threshold. A curve that stays high to )"
      R"(the right finds most boxes without false alarms.)";
  if (shown_from > labels.size())
    out += fmt::format(" Showing the {} labels with the most ground-truth boxes of {}.", labels.size(),
                       shown_from);
  out += "</p>";
  if (labels.empty()) {
    out += R"(<p class="empty">No label has ground truth or predictions.</p></section>)";
    return;
  }
  out += R"(<div class="charts"><figure><figcaption>Precision–recall</figcaption>)";
  out += curve_svg(evaluation, labels, CurveKind::kPrecisionRecall);
  out += R"(</figure><figure><figcaption>F1 against confidence threshold</figcaption>)";
  out += curve_svg(evaluation, labels, CurveKind::kF1Confidence);
  out += "</figure></div></section>";
}

// A line over [0, 1] × [0, 1] through the training points where y(point) >= 0; x is the step
// over the last step.
std::string polyline(const PlotArea& area, const std::vector<TrainingPoint>& curve, double last_step,
                     const std::function<double(const TrainingPoint&)>& y, const std::string& style) {
  std::string points;
  for (const auto& point : curve) {
    const double value = y(point);
    if (value < 0) continue;
    points += fmt::format("{:.1f},{:.1f} ", area.x(static_cast<double>(point.step) / last_step), area.y(value));
  }
  if (points.empty()) return "";
  return fmt::format(R"(<polyline points="{}" fill="none" stroke-width="2" {}/>)", points, style);
}

void training_html(std::string& out, const std::optional<TrainingCurve>& training) {
  if (!training || training->points.empty()) return;
  const TrainingCurve& curve = *training;
  out += R"(<section id="training"><h2>Training</h2><p class="note">)";
  out += fmt::format("{} steps in {:.0f} s", curve.steps_done, curve.train_seconds);
  if (curve.train_seconds > 0) out += fmt::format(" ({:.0f} steps a minute on the machine that trained it)",
                                                  60.0 * static_cast<double>(curve.steps_done) / curve.train_seconds);
  if (curve.stopped_by == "time_budget" && curve.steps_planned > curve.steps_done) {
    out += fmt::format(". <b>The time budget stopped it at {} of its {} steps</b>: expect a less accurate model "
                       "than the whole run gives; <code>train --resume</code> continues it, and without "
                       "<code>--time-budget</code> it runs all its steps.",
                       curve.steps_done, curve.steps_planned);
  } else if (curve.stopped_by == "time_budget") {
    out += ". <b>The time budget stopped it</b>: a faster machine gets more steps and usually a better model "
           "from the same budget; <code>--steps N</code> trains the same model on any machine.";
  } else if (curve.stopped_by == "early_stop") {
    out += ". It stopped early: validation AP50 had stopped improving.";
  } else if (curve.stopped_by == "steps" || curve.stopped_by == "epochs") {
    out += fmt::format(". It ran the {} it was given.", curve.stopped_by == "steps" ? "steps" : "epochs");
  } else {
    out += ".";
  }
  out += " A loss still falling at the end means more steps would probably help.</p>";
  const double last_step = static_cast<double>(std::max<std::int64_t>(1, curve.points.back().step));
  double top_loss = 0;
  for (const auto& point : curve.points) top_loss = std::max(top_loss, point.loss);
  const PlotArea area;
  out += R"(<div class="charts"><figure><figcaption>Training loss (1 = its highest)</figcaption>)";
  out += fmt::format(R"(<svg class="chart" data-chart="training-loss" viewBox="0 0 {:.0f} {:.0f}" role="img" )"
                     R"(aria-label="training loss against step">)",
                     area.svg_width, area.svg_height);
  svg_axes(out, area, "step", "loss / highest loss", last_step);
  out += polyline(
      area, curve.points, last_step, [&](const TrainingPoint& p) { return top_loss > 0 ? p.loss / top_loss : 0; },
      stroke_style(0));
  out += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" class="muted">highest loss {:.3f}</text>)",
                     area.left + area.width + 24, area.top + 16, top_loss);
  out += "</svg></figure>";
  const bool validated =
      std::any_of(curve.points.begin(), curve.points.end(), [](const TrainingPoint& p) { return p.val_ap50 >= 0; });
  if (validated) {
    out += R"(<figure><figcaption>Validation while training</figcaption>)";
    out += fmt::format(R"(<svg class="chart" data-chart="training-validation" viewBox="0 0 {:.0f} {:.0f}" )"
                       R"(role="img" aria-label="validation F1 and AP50 against step">)",
                       area.svg_width, area.svg_height);
    svg_axes(out, area, "step", "score", last_step);
    out += polyline(area, curve.points, last_step, [](const TrainingPoint& p) { return p.val_f1; }, stroke_style(0));
    out += polyline(area, curve.points, last_step, [](const TrainingPoint& p) { return p.val_ap50; }, stroke_style(1));
    const double legend_x = area.left + area.width + 24;
    out += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{2:.1f}" y2="{1:.1f}" stroke-width="2" {3}/>)"
                       R"(<text x="{4:.1f}" y="{5:.1f}">F1</text>)",
                       legend_x, area.top + 12, legend_x + 24, stroke_style(0), legend_x + 30, area.top + 16);
    out += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{2:.1f}" y2="{1:.1f}" stroke-width="2" {3}/>)"
                       R"(<text x="{4:.1f}" y="{5:.1f}">AP50</text>)",
                       legend_x, area.top + 32, legend_x + 24, stroke_style(1), legend_x + 30, area.top + 36);
    out += "</svg></figure>";
  }
  out += "</div></section>";
}

void gallery_html(std::string& out, const Gallery& gallery, int thumbnail_size) {
  out += fmt::format(R"(<section id="{}"><h2>{} <small>({})</small></h2><p class="note">{}</p>)", gallery.id,
                     html_escape(gallery.title), gallery.total, html_escape(gallery.description));
  if (gallery.items.empty()) {
    out += R"(<p class="empty">None.</p></section>)";
    return;
  }
  out += fmt::format(R"(<div class="gallery" data-gallery="{}">)", gallery.id);
  for (const auto& item : gallery.items) {
    out += "<figure>";
    if (item.data_uri.empty())
      out += fmt::format(
          R"(<div class="placeholder" style="width:{0}px;height:{0}px"><b>image unavailable</b>{1}</div>)",
          thumbnail_size, html_escape(item.failure));
    else
      out += fmt::format(R"(<img src="{}" width="{}" height="{}" alt="{}">)", item.data_uri, item.width,
                         item.height, html_escape(item.alt));
    out += "<figcaption>";
    for (std::size_t line = 0; line < item.lines.size(); ++line) {
      const bool is_file = line + 1 == item.lines.size();
      if (line > 0) out += "<br>";
      if (line == 0)
        out += "<b>" + html_escape(item.lines[line]) + "</b>";
      else if (is_file)
        out += fmt::format(R"(<span class="file" title="{}">{}</span>)", html_escape(item.lines[line]),
                           html_escape(file_name_of(item.lines[line])));
      else
        out += html_escape(item.lines[line]);
    }
    out += "</figcaption></figure>";
  }
  out += "</div>";
  if (gallery.total > gallery.items.size())
    out += fmt::format(R"(<p class="more">{} more not shown.</p>)", gallery.total - gallery.items.size());
  out += "</section>";
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render_html_report(const Evaluation& evaluation, const ReportContext& context) {
  std::vector<Gallery> galleries = {missing_label_gallery(evaluation), wrong_label_gallery(evaluation),
                                    never_detected_gallery(evaluation), false_positive_gallery(evaluation),
                                    false_negative_gallery(evaluation)};
  for (auto& gallery : galleries) cap(gallery, context.max_gallery_items);
  const int thumbnail_size = std::clamp(context.thumbnail_size, 32, 2048);
  render_thumbnails(evaluation, galleries, thumbnail_size);

  std::string out;
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
      "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">";
  out += fmt::format("<title>{}</title><style>{}</style></head>\n<body>", html_escape(context.title), kStyle);
  header_html(out, evaluation, context);
  out +=
      "<nav><a href=\"#summary\">Summary</a><a href=\"#labels\">Per label</a><a "
      "href=\"#mistakes\">Mistakes</a>"
      "<a href=\"#curves\">Curves</a>";
  if (context.training && !context.training->points.empty()) out += "<a href=\"#training\">Training</a>";
  for (const auto& gallery : galleries)
    out += fmt::format(R"(<a href="#{}">{} ({})</a>)", gallery.id, html_escape(gallery.title), gallery.total);
  out += "</nav>\n<main>";
  summary_html(out, evaluation);
  label_table_html(out, evaluation);
  mistakes_table_html(out, evaluation);
  curves_html(out, evaluation);
  training_html(out, context.training);
  out += '\n';
  for (const auto& gallery : galleries) {
    gallery_html(out, gallery, thumbnail_size);
    out += '\n';
  }
  out += fmt::format("</main><script>{}</script></body></html>\n", kScript);
  return out;
}

Status write_html_report(const Evaluation& evaluation, const ReportContext& context,
                         const std::string& path) {
  auto written = write_file_atomically(path, render_html_report(evaluation, context));
  if (written || written.error().message.find(path) != std::string::npos) return written;
  return Error{ErrorCode::kIo, fmt::format("{}: cannot write the report: {}", path, written.error().message)};
}

}  // namespace logoscope::report
