// library/evaluation_run.hpp — run a model (or take predictions) over a ground-truth dataset and
// write an evaluation folder: summary.json, evaluation.manifest, suggested-labels.manifest,
// predictions.jsonl (model runs) and report.html. Behind the public evaluate() (evaluate.hpp);
// also used by the CLI's `evaluate` and `demo` and the benchmarks for their extra options.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "eval/evaluation.hpp"
#include "eval/evaluation_files.hpp"
#include "infer/predictor.hpp"
#include "logoscope/dataset.hpp"
#include "logoscope/detection.hpp"
#include "logoscope/problems.hpp"

namespace logoscope::library {

/// Detections of `predictor` on every image of `ground_truth`, with labels mapped by name onto
/// ground_truth.labels (labels only the model knows are appended). Unreadable images become
/// problems. Also returns the records as `detect` would print them (every score ≥ the
/// predictor's min_score), for predictions.jsonl.
std::vector<ImageDetections> run_model_on_dataset(const infer::Predictor& predictor, Dataset& ground_truth,
                                                  bool progress, Problems& problems,
                                                  std::string& predictions_jsonl);
/// The same, calling on_image(done, total) after each image instead of drawing a bar.
std::vector<ImageDetections> run_model_on_dataset(const infer::Predictor& predictor, Dataset& ground_truth,
                                                  const std::function<void(std::size_t, std::size_t)>& on_image,
                                                  Problems& problems, std::string& predictions_jsonl);

struct EvaluationFolder {
  std::string summary;
  std::string manifest;
  std::string suggestions;  ///< empty when there was nothing to suggest
  std::string report;
  std::string predictions;  ///< empty when predictions came from a file
};

/// Writes the evaluation files into `out_dir` (created). `suggest_path` non-empty: the patch also
/// goes there. Throws Failure on write errors.
EvaluationFolder write_evaluation_folder(const eval::Evaluation& evaluation,
                                         const eval::EvaluationSources& sources, const std::string& out_dir,
                                         const std::string& predictions_jsonl,
                                         const std::string& suggest_path);

}  // namespace logoscope::library
