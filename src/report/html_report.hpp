// report/html_report.hpp — an evaluation as one self-contained HTML page for people deciding
// whether a detector is good enough and which labels to fix.
//
// Usage:
//   const eval::Evaluation evaluation = eval::evaluate(ground_truth, detections);
//   report::ReportContext context;
//   context.ground_truth = "data/test.manifest";
//   context.created = "2024-05-01 12:00";
//   if (auto written = report::write_html_report(evaluation, context, "out/report.html"); !written)
//     log(written.error().message);
//
// The page holds, in order: a header (context, counts), the overall numbers, a per-label table
// (Rekognition's columns plus AP and image-level numbers, worst F1 first), false positives by
// kind, precision–recall and F1–confidence curves as inline SVG, and thumbnail galleries of the
// mistakes: likely missing labels, possibly wrong labels, never-detected boxes, false positives
// (by score) and false negatives (by box area).
//
// The file opens offline: no external resource, no script library. Thumbnails are JPEG data URIs;
// a Content-Security-Policy forbids any other source. Every text (label names, paths) is HTML-
// escaped. A small inline script, run on window load, sets two attributes on <body>:
// data-gallery-images (the number of gallery <img> elements) and data-gallery-images-loaded
// (those whose naturalWidth > 0); tests/report/screenshot_test.sh checks them in Chromium.
//
// Thread safety: pure functions (decoding images uses several threads internally).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eval/evaluation.hpp"
#include "logoscope/result.hpp"

namespace logoscope::report {

/// How the evaluated model was trained (its training.csv and model.json), for the "Training"
/// section: loss and validation scores against steps, and why training stopped.
struct TrainingPoint {
  std::int64_t step = 0;
  double seconds = 0;
  double loss = 0;       ///< smoothed total loss
  double val_f1 = -1;    ///< < 0: no validation at this row
  double val_ap50 = -1;  ///< < 0: no validation at this row
};

struct TrainingCurve {
  std::vector<TrainingPoint> points;  ///< in step order
  std::int64_t steps_done = 0;
  std::int64_t steps_planned = 0;  ///< the step count the run was to reach; 0: none (a time budget alone)
  double train_seconds = 0;
  /// "steps", "epochs", "time_budget" (cut by the wall-clock budget), "early_stop"; empty: unknown.
  std::string stopped_by;
};

/// What the page says about where the numbers came from; shown as given (escaped).
struct ReportContext {
  std::string title = "logoscope evaluation";
  std::string model;                   ///< model folder, empty when predictions came from a file
  std::string ground_truth;            ///< path of the ground-truth dataset
  std::string predictions;             ///< path of the predictions file, or empty
  std::string created;                 ///< timestamp text, shown as is
  std::size_t max_gallery_items = 60;  ///< per gallery; the rest is counted ("N more not shown")
  int thumbnail_size = 256;            ///< long side of each thumbnail, px (clamped to 32..2048)
  std::optional<TrainingCurve> training;  ///< a model's training, when the model folder has it
};

/// Renders the report page.
/// Gallery thumbnails are made by decoding the images named in evaluation.images[i].image with
/// imageio::decode_image_file, each image once however many thumbnails it has; an image that
/// cannot be decoded gets a text placeholder naming the reason, never an error. Each thumbnail
/// is a crop around its box with context (3× the box, at least 96 px, inside the image), with
/// ground-truth boxes in green and the prediction in its label colour (red for a false positive),
/// scaled so its long side is thumbnail_size.
/// Requires: every Suggestion::image and Suggestion::index, and every label index in
/// `evaluation`, to be valid for its vectors (out-of-range labels are shown as their number).
std::string render_html_report(const eval::Evaluation& evaluation, const ReportContext& context);

/// Renders the report and writes it to `path` atomically (a temporary sibling, then rename; see
/// core/files.hpp), creating the parent folders. Errors: kIo, the message naming `path`.
Status write_html_report(const eval::Evaluation& evaluation, const ReportContext& context,
                         const std::string& path);

/// `text` with &, <, >, " and ' replaced by entities (safe in element text and quoted attributes).
std::string html_escape(const std::string& text);

}  // namespace logoscope::report
