#include <algorithm>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "cli/cli_app.hpp"
#include "library/evaluation_run.hpp"
#include "cli/modes.hpp"
#include "core/paths.hpp"
#include "eval/label_names.hpp"
#include "eval/predictions.hpp"
#include "model/model_info.hpp"
#include "core/text.hpp"

namespace logoscope::cli {

namespace {

struct EvaluateArgs {
  std::string model;
  std::string predictions;
  std::string ground_truth;
  std::string format;
  std::string out;
  std::string suggest;
  std::string thresholds = "assumed";
  bool save_thresholds = false;
  bool json = false;
  int threads = 0;
  bool overwrite = false;
};

// Scores on images the model trained on are optimistic: say so (model.json lists their keys).
void warn_if_training_images(const model::ModelInfo& info, const Dataset& truth, const std::string& model_dir) {
  const auto train = info.datasets.find("train");
  if (train == info.datasets.end() || !train->is_object() || !train->contains("image_keys")) return;
  const auto keys = (*train)["image_keys"].get<std::vector<std::string>>();
  std::size_t seen = 0;
  for (const auto& sample : truth.samples) seen += std::binary_search(keys.begin(), keys.end(), image_key(sample.image)) ? 1 : 0;
  if (seen > 0) {
    spdlog::warn("{} of these {} images were used to train {}: scores on them are optimistic; evaluate on images the "
                 "model has not seen",
                 seen, truth.samples.size(), model_dir);
  }
}

// The names of the ground truth's boxes (a label no box uses cannot be missed).
std::vector<std::string> boxed_labels(const Dataset& truth) {
  std::vector<bool> used(truth.labels.size(), false);
  for (const auto& sample : truth.samples) {
    for (const auto& box : sample.boxes) {
      if (box.label >= 0 && static_cast<std::size_t>(box.label) < used.size()) used[static_cast<std::size_t>(box.label)] = true;
    }
  }
  std::vector<std::string> names;
  for (std::size_t i = 0; i < used.size(); ++i) {
    if (used[i]) names.push_back(truth.labels[i]);
  }
  return names;
}

// Scores match boxes by label name: names that match nothing are said before the table, and no
// name in common at all is a problem of the inputs (exit 1), not an F1 of 0.
void check_label_names(const std::vector<std::string>& predicted, const std::string& predicted_from,
                       const std::vector<std::string>& truth, const std::string& truth_from, Problems& problems) {
  if (predicted.empty() || truth.empty()) return;
  const auto check = eval::check_label_names(predicted, truth);
  std::string hints;
  for (const auto& [p, t] : check.likely_same) hints += fmt::format("; '{}' is probably '{}'", p, t);
  if (!check.any_match) {
    problems.push_back({Severity::kError, "label_mismatch", {truth_from, 0}, "labels", "",
                        fmt::format("no label name of {} ({}) is a label of the ground truth ({}): every box would "
                                    "score as missed{}. Names must match exactly; rename the labels (dataset convert "
                                    "writes a copy) or train with the test set's names",
                                    predicted_from, fmt::join(predicted, ", "), fmt::join(truth, ", "), hints)});
    spdlog::error("{}", problems.back().message);  // now, not only after the scoring
    return;
  }
  for (const auto& name : check.predicted_only) {
    spdlog::warn("label '{}' of {} is on no box of {}: it can only score false positives here", name,
                 predicted_from, truth_from);
  }
  for (const auto& name : check.truth_only) {
    spdlog::warn("label '{}' of {} is not a label of {}: its boxes all count as missed", name, truth_from,
                 predicted_from);
  }
  if (!hints.empty()) spdlog::warn("labels that differ only in spelling{}", hints);
}

void check_usage(const EvaluateArgs& args) {
  if (args.model.empty() == args.predictions.empty()) {
    throw Failure(Error{
        ErrorCode::kInvalidArgument,
        "give either --model (run a model on the test set) or --predictions (score a predictions file)"});
  }
  if (args.thresholds == "model" && args.model.empty()) {
    throw Failure(Error{ErrorCode::kInvalidArgument, "--thresholds model needs --model"});
  }
  if (args.save_thresholds && args.model.empty()) {
    throw Failure(Error{ErrorCode::kInvalidArgument, "--save-thresholds needs --model"});
  }
}

int run_evaluate(const EvaluateArgs& args, const CommonOptions& common) {
  check_usage(args);
  InputSet inputs = {args.ground_truth, args.predictions};
  inputs.add_folder_with(args.model, model::model_files());
  check_output(args.out, inputs, args.overwrite, "--out");
  check_output(args.suggest, inputs, args.overwrite, "--suggest");
  Problems problems;
  Dataset truth = read_dataset_or_throw(args.ground_truth, args.format, problems);
  add_dataset_inputs(inputs, args.ground_truth, truth);
  check_output(args.out, inputs, args.overwrite, "--out");
  check_output(args.suggest, inputs, args.overwrite, "--suggest");
  if (truth.samples.empty()) {
    throw Failure(
        Error{ErrorCode::kInvalidValue, fmt::format("{}: no images to evaluate on", args.ground_truth)});
  }

  std::vector<ImageDetections> detections;
  std::string predictions_jsonl;
  eval::EvaluationOptions options;
  model::ModelInfo info;
  if (!args.model.empty()) {
    infer::PredictorOptions predictor_options;
    predictor_options.min_score = 0.01F;  // low, so the curves reach high recall
    predictor_options.threads = args.threads;
    auto predictor = value_or_throw(infer::Predictor::load(args.model, predictor_options));
    info = predictor->info();
    warn_if_training_images(info, truth, args.model);
    check_label_names(info.labels, "the model " + args.model, boxed_labels(truth), args.ground_truth, problems);
    spdlog::info("running {} on {} images", args.model, truth.samples.size());
    detections = library::run_model_on_dataset(*predictor, truth, !common.quiet, problems, predictions_jsonl);
    if (args.thresholds == "model") {
      options.thresholds.assign(truth.labels.size(), 0.5F);
      for (std::size_t label = 0; label < info.labels.size(); ++label) {
        const int index = truth.find_label(info.labels[label]);
        if (index >= 0 && label < info.thresholds.size()) {
          options.thresholds[static_cast<std::size_t>(index)] = info.thresholds[label];
        }
      }
    }
  } else {
    const auto records = value_or_throw(eval::read_predictions(args.predictions, problems));
    std::vector<std::string> predicted;
    for (const auto& record : records) {
      for (const auto& label : record.labels) predicted.push_back(label.name);
    }
    std::sort(predicted.begin(), predicted.end());
    predicted.erase(std::unique(predicted.begin(), predicted.end()), predicted.end());
    check_label_names(predicted, args.predictions, boxed_labels(truth), args.ground_truth, problems);
    detections = eval::align_predictions(truth, records, ".", problems);
  }

  const eval::Evaluation evaluation = eval::evaluate(truth, detections, options);
  for (const auto& label : evaluation.metrics.labels) {
    if (label.ground_truth > 0 && label.ground_truth < 10) {
      spdlog::warn("label {}: only {} labeled boxes here; its F1 and assumed threshold can move a lot with one box",
                   label.name, label.ground_truth);
    }
  }
  const eval::EvaluationSources sources{args.model, args.ground_truth, args.predictions};
  const auto folder = library::write_evaluation_folder(evaluation, sources, args.out, predictions_jsonl, args.suggest);

  if (args.save_thresholds) {
    for (std::size_t label = 0; label < info.labels.size(); ++label) {
      const int index = truth.find_label(info.labels[label]);
      if (index < 0 || evaluation.metrics.labels[static_cast<std::size_t>(index)].ground_truth == 0) continue;
      info.thresholds[label] = evaluation.thresholds[static_cast<std::size_t>(index)];
    }
    auto saved = model::write_model_info(info, args.model);
    if (!saved) throw Failure(saved.error());
  }

  if (args.json) {
    std::cout << eval::evaluation_summary_json(evaluation, sources).dump(2) << "\n";
  } else {
    std::cout << eval::format_evaluation_summary(evaluation) << "\n";
    std::cout << fmt::format("report:              {}\n", folder.report)
              << fmt::format("summary:             {}\n", folder.summary)
              << fmt::format("evaluation manifest: {}\n", folder.manifest);
    if (!folder.suggestions.empty()) {
      std::cout << fmt::format(
          "suggested labels:    {}  (review, then: logoscope dataset merge DATA {} OUT)\n",
          folder.suggestions, folder.suggestions);
    }
    if (!folder.predictions.empty())
      std::cout << fmt::format("predictions:         {}\n", folder.predictions);
    if (args.save_thresholds) std::cout << fmt::format("thresholds saved in: {}/model.json\n", args.model);
  }
  std::size_t errors = 0;
  for (const auto& problem : problems) errors += problem.severity == Severity::kError ? 1 : 0;
  if (!problems.empty()) {
    std::cerr << fmt::format("{} ({}) in the inputs:\n", count_of(problems.size(), "problem"),
                             count_of(errors, "error"));
    print_problems(problems, 20);
  }
  return errors > 0 ? kExitProblems : kExitOk;
}

}  // namespace

void register_evaluate(CLI::App& app, RunState& state, const CommonOptions& common) {
  auto args = std::make_shared<EvaluateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "evaluate",
      "Score a model (or any detector's predictions) against labeled images, as Rekognition Custom\n"
      "Labels does: per-label precision, recall and F1 at the assumed threshold (the confidence with\n"
      "the best F1), AP50, AP50:95, per-image TP/FP/FN, image-level metrics, and a list of likely\n"
      "missing or wrong labels. Writes OUT/summary.json, OUT/evaluation.manifest (every box flagged),\n"
      "OUT/report.html (one file: curves, tables, galleries of mistakes) and\n"
      "OUT/suggested-labels.manifest (review it, then `logoscope dataset merge`).\n"
      "Metrics are defined in docs/metrics.md; the predictions format in docs/evaluate.md.\n"
      "Examples:\n"
      "  logoscope evaluate --model model --test test.manifest --out eval/\n"
      "  logoscope evaluate --predictions detections.jsonl --ground-truth test.manifest --out eval/");
  cmd->add_option("--model", args->model, "Model folder: run it on the test images");
  cmd->add_option("--predictions", args->predictions,
                  "JSON Lines of detections to score (the output of `logoscope detect`, or any detector's)");
  cmd->add_option("--test,--ground-truth", args->ground_truth, "Labeled images to score against (any format)")
      ->required();
  add_format_option(*cmd, "--from", args->format, "Format of the ground truth");
  cmd->add_option("--out", args->out, "Folder for the evaluation files")->required();
  cmd->add_option("--suggest", args->suggest, "Also write the suggested-labels patch to this manifest");
  cmd->add_option(
         "--thresholds", args->thresholds,
         "Per-label thresholds for the per-image verdicts: 'assumed' (best F1 here, as Rekognition) or "
         "'model' (those in model.json)")
      ->check(CLI::IsMember({"assumed", "model"}))
      ->capture_default_str();
  cmd->add_flag(
      "--save-thresholds", args->save_thresholds,
      "Write this evaluation's assumed thresholds into MODEL/model.json (detect uses them by default)");
  cmd->add_flag("--json", args->json, "Print summary.json on stdout instead of the table");
  cmd->add_option("--threads", args->threads, "CPU threads for the model (0 = the cores other work leaves free)")
      ->check(between(0, 1024));
  add_overwrite_flag(*cmd, args->overwrite);
  cmd->callback([args, &state, &common] { state.exit_code = run_evaluate(*args, common); });
}

}  // namespace logoscope::cli
