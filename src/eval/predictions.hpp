// eval/predictions.hpp — detections from any detector, read from a predictions file, lined up with
// a ground-truth dataset for scoring (docs/evaluate.md, "Predictions format").
//
// The format is what `logoscope detect` writes: JSON Lines, one object per image,
//   {"image": "photos/a.jpg", "width": 820, "height": 591,
//    "CustomLabels": [{"Name": "redbull", "Confidence": 87.5,
//                      "Geometry": {"BoundingBox": {"Left": .1, "Top": .2, "Width": .3, "Height": .1}},
//                      "PixelBox": {"x0": 82, "y0": 118, "x1": 328, "y1": 177}}]}
// PixelBox wins when present; otherwise the ratios are scaled by the line's width/height, or by
// the ground truth's image size when the line has none. A line with an "error" key (an image the
// detector could not read) has no detections. Blank lines are skipped.
//
// Lining up: a prediction line belongs to the ground-truth image with the same reference as
// written, else the same absolute path (relative paths in the predictions file resolve against
// `base_dir`, by default the current folder, where `detect` was run), else the same file name
// when exactly one ground-truth image has it.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "logoscope/dataset.hpp"
#include "logoscope/detection.hpp"
#include "logoscope/problems.hpp"
#include "logoscope/result.hpp"

namespace logoscope::eval {

/// The header row of `logoscope detect --to csv` (one row per detection), which read_predictions
/// recognises and `logoscope merge` keeps once.
inline constexpr std::string_view kDetectionsCsvHeader =
    "image,label,confidence,left,top,width,height,x0,y0,x1,y1,error";

struct PredictedLabel {
  std::string name;
  float score = 0;      ///< Confidence / 100
  bool pixels = false;  ///< true: x0..y1 are pixels; false: Left/Top/Width/Height ratios as xyxy
  double x0 = 0;
  double y0 = 0;
  double x1 = 0;
  double y1 = 0;
};

struct PredictionRecord {
  std::string image;
  int width = 0;  ///< 0 when the line did not say
  int height = 0;
  bool failed = false;  ///< an "error" line
  std::string error;
  std::vector<PredictedLabel> labels;
  SourceLocation source;
};

/// Reads a predictions file: JSON Lines as above, or the CSV `logoscope detect --format csv` writes
/// (recognised by its header). A malformed line or field is a Problem (file, line, field) and is
/// skipped; the file as a whole fails when it cannot be read (kNotFound, kIo), is empty
/// (kInvalidValue), or holds no detection record at all — a JSON array, another CSV, a model.json
/// — (kUnsupportedFormat, naming what was expected), so that a wrong file never scores as F1 0.
Result<std::vector<PredictionRecord>> read_predictions(const std::string& path, Problems& problems);

/// Parses predictions text (the body of read_predictions; `path` names it in problems).
std::vector<PredictionRecord> parse_predictions(const std::string& text, const std::string& path,
                                                Problems& problems);

/// Lines the records up with `ground_truth.samples` (one ImageDetections per sample, in order).
/// Label names the ground truth lacks are appended to ground_truth.labels (they have no ground
/// truth: each of their detections is a false positive). Problems: a ground-truth image without a
/// line (warning; scored as no detections), a line matching no ground-truth image or the same
/// image twice (warning; ignored), an "error" line (warning; no detections).
std::vector<ImageDetections> align_predictions(Dataset& ground_truth,
                                               const std::vector<PredictionRecord>& records,
                                               const std::string& base_dir, Problems& problems);

}  // namespace logoscope::eval
