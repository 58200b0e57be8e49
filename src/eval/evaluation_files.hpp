// eval/evaluation_files.hpp — what an evaluation folder holds (docs/evaluate.md):
//   summary.json                 metrics, image-level metrics, thresholds, counts, review lists
//   evaluation.manifest          per image: the ground truth as a Ground Truth manifest line plus
//                                "logoscope-evaluation" with every box flagged TP/FP/FN
//   suggested-labels.manifest    likely missing labels as a manifest patch (`dataset merge` applies
//                                it after a person has reviewed it)
// Manifests write image references relative to their own folder when the image lies under it,
// else absolute (as the dataset writers do); s3:// URIs as they are.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>

#include <string>

#include <nlohmann/json.hpp>

#include "eval/evaluation.hpp"

namespace logoscope::eval {

/// Where the evaluated data came from, recorded in summary.json.
struct EvaluationSources {
  std::string model;         ///< model folder, or empty
  std::string ground_truth;  ///< dataset path
  std::string predictions;   ///< predictions file, or empty
};

/// What Rekognition Custom Labels' evaluation summary file (the one DescribeProjectVersions'
/// EvaluationResult.Summary points to) holds, so that scripts written for it keep working:
/// Version 1; EvaluationDetails (ProjectVersionArn "arn:aws:rekognition:local:000000000000:project/
/// NAME/version/NAME/1" with NAME = `project_name`, the ISO-8601 EvaluationEndTimestamp, Labels,
/// NumberOfTrainingImages = `training_images` (0 when unknown), NumberOfTestingImages);
/// AggregatedEvaluationResults (F1Score, Precision, Recall: the per-label means; AveragePrecision:
/// mAP at IoU 0.5; AverageRecall: mean recall with ≤ 100 detections per image); and
/// LabelEvaluationResults sorted by F1, each with NumberOfTestingImages (images holding the label)
/// and Metrics {F1Score, Precision, Recall, Threshold}. Threshold is a fraction in [0, 1] there,
/// as in Rekognition's file (logoscope's own files say 0-100).
nlohmann::json rekognition_summary_json(const Evaluation& evaluation, const std::string& project_name,
                                        std::int64_t training_images, const std::string& end_timestamp);

/// summary.json; `review_limit` caps each review list (suggestions).
nlohmann::json evaluation_summary_json(const Evaluation& evaluation, const EvaluationSources& sources,
                                       std::size_t review_limit = 200);

/// The evaluation manifest, to be written into `out_dir`.
std::string evaluation_manifest_text(const Evaluation& evaluation, const std::string& out_dir);

/// The missing-label patch: one manifest line per image with suggestions, holding only the
/// suggested boxes ("human-annotated": "no", each object's confidence = the model's score).
/// Empty when there is nothing to suggest.
std::string suggestions_manifest_text(const Evaluation& evaluation, const std::string& out_dir);

/// A human summary: the per-label table, image-level numbers and what to review.
std::string format_evaluation_summary(const Evaluation& evaluation);

}  // namespace logoscope::eval
