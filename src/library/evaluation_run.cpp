#include "library/evaluation_run.hpp"

#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "api/custom_labels.hpp"
#include "core/files.hpp"
#include "core/json_fields.hpp"
#include "core/text.hpp"
#include "core/paths.hpp"
#include "core/progress.hpp"
#include "infer/dataset_runner.hpp"
#include "model/model_info.hpp"
#include "report/html_report.hpp"
#include "storage/output_folder.hpp"
#include "storage/storage.hpp"

namespace fs = std::filesystem;

namespace logoscope::library {

namespace {

void write_or_throw(const std::string& path, const std::string& text) {
  auto written = storage::write_file(path, text);
  if (!written) throw Failure(written.error());
}

std::string local_time_text() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S %Z", &local);
  return text;
}

// The model's training curve (training.csv) and how its training ended (its model.json, `info`),
// for the report; nullopt without a local training.csv (a remote model, or one from elsewhere).
std::optional<report::TrainingCurve> read_training_curve(const std::string& model_dir,
                                                         const std::optional<model::ModelInfo>& info) {
  if (model_dir.empty() || storage::is_remote(model_dir)) return std::nullopt;
  std::ifstream csv((fs::path(model_dir) / "training.csv").string());
  if (!csv) return std::nullopt;
  report::TrainingCurve curve;
  std::string line;
  std::getline(csv, line);  // header: step,seconds,images,loss,cls_loss,box_loss,ctr_loss,lr,val_f1,val_ap50
  while (std::getline(csv, line)) {
    if (line.empty()) continue;
    std::vector<std::string> fields;
    std::istringstream row(line);
    for (std::string field; std::getline(row, field, ',');) fields.push_back(field);
    if (line.back() == ',') fields.emplace_back();
    if (fields.size() != 10) continue;  // a line cut by a killed run
    report::TrainingPoint point;
    try {
      point.step = std::stoll(fields[0]);
      point.seconds = std::stod(fields[1]);
      point.loss = std::stod(fields[3]);
      if (!fields[8].empty()) point.val_f1 = std::stod(fields[8]);
      if (!fields[9].empty()) point.val_ap50 = std::stod(fields[9]);
    } catch (const std::exception&) {
      continue;
    }
    if (!std::isfinite(point.seconds) || !std::isfinite(point.loss) || !std::isfinite(point.val_f1) ||
        !std::isfinite(point.val_ap50)) {
      continue;
    }
    // A resumed run repeats the steps after its checkpoint: its rows replace the earlier ones.
    while (!curve.points.empty() && curve.points.back().step >= point.step) curve.points.pop_back();
    curve.points.push_back(point);
  }
  if (curve.points.empty()) return std::nullopt;
  curve.steps_done = curve.points.back().step;
  curve.train_seconds = curve.points.back().seconds;
  if (info && info->training.is_object()) {
    curve.steps_done = field_or(info->training, "steps", curve.steps_done);
    curve.train_seconds = field_or(info->training, "train_seconds", curve.train_seconds);
    curve.stopped_by = field_or<std::string>(info->training, "stopped_by", "");
    curve.steps_planned = std::max<std::int64_t>(0, field_or<std::int64_t>(info->training, "max_steps", 0));
  }
  return curve;
}

}  // namespace

std::vector<ImageDetections> run_model_on_dataset(const infer::Predictor& predictor, Dataset& ground_truth,
                                                  bool progress, Problems& problems,
                                                  std::string& predictions_jsonl) {
  std::unique_ptr<Progress> bar;
  if (progress) bar = std::make_unique<Progress>("detecting", static_cast<std::int64_t>(ground_truth.samples.size()), true);
  auto detections = run_model_on_dataset(
      predictor, ground_truth,
      [&](std::size_t, std::size_t) {
        if (bar) bar->advance();
      },
      problems, predictions_jsonl);
  if (bar) bar->finish();
  return detections;
}

std::vector<ImageDetections> run_model_on_dataset(const infer::Predictor& predictor, Dataset& ground_truth,
                                                  const std::function<void(std::size_t, std::size_t)>& on_image,
                                                  Problems& problems, std::string& predictions_jsonl) {
  const auto& model_labels = predictor.info().labels;
  auto run = infer::detect_dataset(predictor, ground_truth, on_image);
  problems.insert(problems.end(), run.problems.begin(), run.problems.end());
  std::vector<int> to_truth(model_labels.size());
  for (std::size_t label = 0; label < model_labels.size(); ++label) {
    to_truth[label] = ground_truth.intern_label(model_labels[label]);
  }
  predictions_jsonl.clear();
  for (auto& image : run.detections) {
    predictions_jsonl += api::to_custom_labels_json(image, model_labels).dump();
    predictions_jsonl += '\n';
    for (auto& det : image.detections) det.label = to_truth[static_cast<std::size_t>(det.label)];
  }
  return std::move(run.detections);
}

EvaluationFolder write_evaluation_folder(const eval::Evaluation& evaluation,
                                         const eval::EvaluationSources& sources, const std::string& out_dir,
                                         const std::string& predictions_jsonl,
                                         const std::string& suggest_path) {
  // An s3:// destination is written into a local staging folder and uploaded at the end.
  auto staged = storage::OutputFolder::open(out_dir);
  if (!staged) throw Failure(staged.error());
  const std::string local_dir = staged->path();
  std::error_code ec;
  fs::create_directories(local_dir, ec);
  if (ec) throw Failure(Error{ErrorCode::kIo, local_dir + ": cannot create folder: " + ec.message()});
  const auto local = [&](const char* name) { return (fs::path(local_dir) / name).string(); };
  const auto named = [&](const char* name) { return storage::join(out_dir, name); };
  EvaluationFolder folder;
  folder.summary = named("summary.json");
  write_or_throw(local("summary.json"), eval::evaluation_summary_json(evaluation, sources).dump(2) + "\n");
  // Beside it, the summary in the shape of Rekognition's (scripts written for it keep working).
  std::optional<model::ModelInfo> info;
  if (!sources.model.empty()) {
    if (auto read = model::read_model_info(sources.model)) info = std::move(*read);
  }
  std::int64_t training_images = 0;
  if (info && info->datasets.is_object()) {
    const auto train = info->datasets.value("train", nlohmann::json::object());
    if (train.is_object()) training_images = field_or<std::int64_t>(train, "images", 0);
  }
  std::string project = "predictions";
  if (!sources.model.empty()) {
    project = storage::is_remote(sources.model) ? sources.model.substr(sources.model.rfind('/') + 1)
                                                : fs::weakly_canonical(sources.model, ec).filename().string();
  }
  write_or_throw(local("EvaluationSummary.json"),
                 eval::rekognition_summary_json(evaluation, project, training_images, utc_time_text(std::time(nullptr), "%Y-%m-%dT%H:%M:%S.000000")).dump(2) + "\n");
  folder.manifest = named("evaluation.manifest");
  write_or_throw(local("evaluation.manifest"), eval::evaluation_manifest_text(evaluation, out_dir));
  const std::string patch = eval::suggestions_manifest_text(evaluation, out_dir);
  if (!patch.empty()) {
    folder.suggestions = named("suggested-labels.manifest");
    write_or_throw(local("suggested-labels.manifest"), patch);
  }
  if (!suggest_path.empty()) {
    write_or_throw(suggest_path, eval::suggestions_manifest_text(evaluation, parent_dir(suggest_path)));
  }
  if (!predictions_jsonl.empty()) {
    folder.predictions = named("predictions.jsonl");
    write_or_throw(local("predictions.jsonl"), predictions_jsonl);
  }
  report::ReportContext context;
  context.model = sources.model;
  context.ground_truth = sources.ground_truth;
  context.predictions = sources.predictions;
  context.created = local_time_text();
  context.training = read_training_curve(sources.model, info);
  folder.report = named("report.html");
  auto written = report::write_html_report(evaluation, context, local("report.html"));
  if (!written) throw Failure(written.error());
  if (auto published = staged->publish({"summary.json"}); !published) throw Failure(published.error());
  return folder;
}

}  // namespace logoscope::library
