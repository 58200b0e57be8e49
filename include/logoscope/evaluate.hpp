// logoscope/evaluate.hpp — score a model on a labeled test set, as Rekognition's evaluation does.
//
//   #include <logoscope/evaluate.hpp>
//
//   logoscope::EvaluateOptions options;
//   options.model = "my-model";
//   options.test = "test.manifest";
//   options.out = "my-eval";                   // optional: summary.json, report.html, manifests
//   auto scores = logoscope::evaluate(options);
//   for (const auto& label : scores->labels)
//     std::cout << label.name << " F1 " << label.f1 << " at " << label.assumed_threshold << "\n";
//
// The model runs through the same path as detection (detect.hpp). A predicted box matches a
// labeled box of the same label at IoU ≥ 0.5; each label's assumed threshold is the confidence
// with the best F1; precision, recall and F1 are reported at it; AP is the area under the
// precision-recall curve (101 points, COCO style). docs/metrics.md defines every number.
//
// Thread safety: independent calls may run at once (each loads its own model).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "logoscope/detect.hpp"
#include "logoscope/result.hpp"

namespace logoscope {

struct EvaluateOptions {
  std::string model;       ///< model folder
  std::string test;        ///< labeled dataset file (format detected)
  std::string out;         ///< evaluation folder to write; empty = none
  bool overwrite = false;  ///< replace a non-empty `out`
  ExecutionContext context;
};

struct LabelScores {
  std::string name;
  int ground_truth = 0;    ///< labeled boxes
  int true_positives = 0;  ///< at the assumed threshold
  int false_positives = 0;
  int false_negatives = 0;
  double precision = 0;  ///< at the assumed threshold
  double recall = 0;
  double f1 = 0;
  double ap50 = 0;               ///< average precision at IoU 0.5
  double assumed_threshold = 0;  ///< 0–100, the confidence with the best F1
};

struct EvaluationSummary {
  std::size_t images = 0;
  std::vector<LabelScores> labels;  ///< labels of the test set, in its order
  double mean_f1 = 0;               ///< over labels with boxes
  double mean_precision = 0;
  double mean_recall = 0;
  double map50 = 0;
  double map50_95 = 0;
  std::vector<std::string> warnings;  ///< unreadable images (counted as misses), unusable records
  std::string report;                 ///< report.html in `out` ("" when out is empty)
};

/// Runs the model over every test image and scores it. `on_image(done, total)` after each image.
/// Errors: those of Model::load and of reading the dataset (naming file and line), kInvalidValue
/// for a test set without images, kInvalidArgument for an `out` that holds other files, kIo.
Result<EvaluationSummary> evaluate(const EvaluateOptions& options,
                                   const std::function<void(std::size_t, std::size_t)>& on_image = {});

}  // namespace logoscope
