// The public evaluation API (include/logoscope/evaluate.hpp): a model through the detection path
// over a labeled dataset, scored by eval/, written by library/evaluation_run.
#include "logoscope/evaluate.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "core/files.hpp"
#include "core/thread_pool.hpp"
#include "dataset/formats.hpp"
#include "eval/evaluation.hpp"
#include "infer/intra_op_threads.hpp"
#include "library/boundary.hpp"
#include "library/evaluation_run.hpp"
#include "library/model_impl.hpp"
#include "storage/output_folder.hpp"
#include "storage/storage.hpp"

namespace fs = std::filesystem;

namespace logoscope {

Result<EvaluationSummary> evaluate(const EvaluateOptions& options,
                                   const std::function<void(std::size_t, std::size_t)>& on_image) {
  return library::never_throws("evaluate", [&]() -> Result<EvaluationSummary> {
    if (!options.out.empty()) {
      if (auto usable = storage::is_remote(options.out)
                            ? storage::check_output_destination(options.out, options.overwrite, "out")
                            : check_output_folder(options.out, options.overwrite);
          !usable) {
        return usable.error();
      }
    }
    Problems problems;
    auto truth = dataset::read_dataset(options.test, std::nullopt, problems);
    if (!truth) return truth.error();
    if (truth->samples.empty()) {
      return Error{ErrorCode::kInvalidValue, fmt::format("{}: no images to evaluate on", options.test)};
    }
    auto model = Model::load(options.model);
    if (!model) return model.error();
    const auto& predictor = *(*model)->impl().predictor;

    const infer::ScopedIntraOpThreads threads(choose_thread_count(options.context.threads));
    std::string predictions_jsonl;
    const auto detections = library::run_model_on_dataset(
        predictor, *truth, on_image ? on_image : [](std::size_t, std::size_t) {}, problems, predictions_jsonl);
    const eval::Evaluation evaluation = eval::evaluate(*truth, detections);

    EvaluationSummary summary;
    summary.images = truth->samples.size();
    for (const auto& label : evaluation.metrics.labels) {
      LabelScores scores;
      scores.name = label.name;
      scores.ground_truth = static_cast<int>(label.ground_truth);
      scores.true_positives = static_cast<int>(label.true_positives);
      scores.false_positives = static_cast<int>(label.false_positives);
      scores.false_negatives = static_cast<int>(label.false_negatives);
      scores.precision = label.precision;
      scores.recall = label.recall;
      scores.f1 = label.f1;
      scores.ap50 = label.ap50;
      scores.assumed_threshold = static_cast<double>(label.assumed_threshold) * 100.0;
      summary.labels.push_back(std::move(scores));
    }
    summary.mean_f1 = evaluation.metrics.mean_f1;
    summary.mean_precision = evaluation.metrics.mean_precision;
    summary.mean_recall = evaluation.metrics.mean_recall;
    summary.map50 = evaluation.metrics.map50;
    summary.map50_95 = evaluation.metrics.map50_95;
    for (const auto& problem : problems) summary.warnings.push_back(format_problem(problem));
    if (!options.out.empty()) {  // a Failure writing it becomes its Error through never_throws
      summary.report = library::write_evaluation_folder(evaluation, {options.model, options.test, ""}, options.out,
                                                        predictions_jsonl, "")
                           .report;
    }
    return summary;
  });
}

}  // namespace logoscope
