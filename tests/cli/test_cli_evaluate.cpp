// `logoscope evaluate` and `dataset merge` run in-process on generated data: the evaluation folder,
// agreement with the independent reference implementation (tools/reference), the suggested-labels
// round trip, and bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/cli_app.hpp"
#include "dataset/formats.hpp"
#include "support/cli_runner.hpp"
#include "support/temp_dir.hpp"

namespace logoscope::cli {
namespace {

using ::testing::HasSubstr;
using testing::read_text;
using testing::run_logoscope;
namespace fs = std::filesystem;

class EvaluateCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const auto demo = run_logoscope({"demo", "--out", dir_->path(), "--images", "16", "--no-train"});
    ASSERT_EQ(demo.exit_code, 0) << demo.out << demo.err;
    manifest_ = dir_->file("dataset.manifest");
  }
  static void TearDownTestSuite() { delete dir_; }

  // A deliberately imperfect "other detector": jittered hits, misses, duplicates, wrong labels,
  // background boxes and tied scores, half the boxes given only as ratios.
  static std::string noisy_predictions(const Dataset& truth, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const auto score = [&] { return std::round(unit(rng) * 40.0) / 40.0 * 100.0; };  // ties on purpose
    std::string out;
    for (const auto& sample : truth.samples) {
      nlohmann::json labels = nlohmann::json::array();
      const auto add = [&](int label, double x0, double y0, double x1, double y1) {
        const double w = sample.width;
        const double h = sample.height;
        nlohmann::json item = {
            {"Name", truth.labels[static_cast<std::size_t>(label)]},
            {"Confidence", score()},
            {"Geometry",
             {{"BoundingBox",
               {{"Left", x0 / w}, {"Top", y0 / h}, {"Width", (x1 - x0) / w}, {"Height", (y1 - y0) / h}}}}}};
        if (unit(rng) < 0.5) item["PixelBox"] = {{"x0", x0}, {"y0", y0}, {"x1", x1}, {"y1", y1}};
        labels.push_back(item);
      };
      for (const auto& box : sample.boxes) {
        const double jitter = 0.25 * box.width() * (unit(rng) - 0.5);
        if (unit(rng) < 0.8) add(box.label, box.x0 + jitter, box.y0, box.x1 + jitter, box.y1);
        if (unit(rng) < 0.15) add(box.label, box.x0, box.y0 - jitter, box.x1, box.y1);
        if (unit(rng) < 0.1) add(1 - box.label, box.x0, box.y0, box.x1, box.y1);
      }
      if (unit(rng) < 0.5) {
        const double x = unit(rng) * sample.width * 0.7;
        const double y = unit(rng) * sample.height * 0.7;
        add(static_cast<int>(unit(rng) * 2), x, y, x + 30, y + 20);
      }
      out += nlohmann::json{{"image", sample.image},
                            {"width", sample.width},
                            {"height", sample.height},
                            {"CustomLabels", labels}}
                 .dump() +
             "\n";
    }
    return out;
  }

  static testing::TempDir* dir_;
  static std::string manifest_;
};

testing::TempDir* EvaluateCliTest::dir_ = nullptr;
std::string EvaluateCliTest::manifest_;

std::string run_reference(const std::string& truth, const std::string& predictions) {
  const std::string script =
      std::string(LOGOSCOPE_SOURCE_DIR) + "/tools/reference/detection_metrics_reference.py";
  const std::string command = "python3 '" + script + "' --ground-truth '" + truth + "' --predictions '" +
                              predictions + "' --json 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "";
  std::string output;
  char buffer[4096];
  while (const std::size_t n = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int status = pclose(pipe);
  return status == 0 ? output : "";
}

TEST_F(EvaluateCliTest, PredictionsFromAnotherDetectorAgreeWithTheReferenceImplementation) {
  Problems problems;
  const auto truth = dataset::read_dataset(manifest_, dataset::DatasetFormat::kManifest, problems);
  ASSERT_TRUE(truth) << truth.error().message;
  for (const unsigned seed : {1U, 2U, 3U}) {
    SCOPED_TRACE(seed);
    const std::string predictions =
        dir_->write("noisy_" + std::to_string(seed) + ".jsonl", noisy_predictions(*truth, seed));
    const std::string out = dir_->file("eval_noisy_" + std::to_string(seed));
    const auto ours = run_logoscope(
        {"evaluate", "--predictions", predictions, "--ground-truth", manifest_, "--out", out, "--json"});
    ASSERT_EQ(ours.exit_code, 0) << ours.err;
    const auto summary = nlohmann::json::parse(ours.out);
    const std::string reference_text = run_reference(manifest_, predictions);
    ASSERT_FALSE(reference_text.empty())
        << "python3 tools/reference/detection_metrics_reference.py failed (is python3 installed?)";
    const auto reference = nlohmann::json::parse(reference_text);
    for (const auto& label : summary["metrics"]["labels"]) {
      const std::string name = label["name"];
      SCOPED_TRACE(name);
      const auto& ref = reference["labels"][name];
      EXPECT_NEAR(label["ap50"].get<double>(), ref["ap50"].get<double>(), 1e-3);
      EXPECT_NEAR(label["ap50_95"].get<double>(), ref["ap50_95"].get<double>(), 1e-3);
      EXPECT_NEAR(label["f1"].get<double>(), ref["f1"].get<double>(), 1e-3);
      EXPECT_NEAR(label["precision"].get<double>(), ref["precision"].get<double>(), 1e-3);
      EXPECT_NEAR(label["recall"].get<double>(), ref["recall"].get<double>(), 1e-3);
      EXPECT_EQ(label["true_positives"], ref["tp"]);
      EXPECT_EQ(label["false_positives"], ref["fp"]);
    }
    EXPECT_NEAR(summary["metrics"]["map50"].get<double>(), reference["map50"].get<double>(), 1e-3);
  }
}

TEST_F(EvaluateCliTest, ModelRunWritesTheEvaluationFolderAndSuggestionsMergeBack) {
  const std::string model = dir_->file("model");
  const auto trained = run_logoscope({"train", "--train", manifest_, "--out", model, "--epochs", "1",
                                      "--batch-size", "4", "--input-size", "128", "--infer-size", "160"});
  ASSERT_EQ(trained.exit_code, 0) << trained.out << trained.err;
  const std::string out = dir_->file("eval_model");
  const std::string patch = dir_->file("review.manifest");
  const auto evaluated = run_logoscope({"evaluate", "--model", model, "--test", manifest_, "--out", out,
                                        "--suggest", patch, "--save-thresholds"});
  ASSERT_EQ(evaluated.exit_code, 0) << evaluated.err;
  EXPECT_THAT(evaluated.out, HasSubstr("report:"));
  for (const char* name : {"summary.json", "evaluation.manifest", "report.html", "predictions.jsonl"}) {
    EXPECT_TRUE(fs::exists(fs::path(out) / name)) << name;
  }
  EXPECT_TRUE(fs::exists(patch));
  const auto summary = nlohmann::json::parse(read_text(out + "/summary.json"));
  EXPECT_EQ(summary["images"], 16);
  const auto model_json = nlohmann::json::parse(read_text(model + "/model.json"));
  for (std::size_t label = 0; label < 2; ++label) {
    const std::string name = model_json["labels"][label];
    // One confidence scale in logoscope's own files: model.json and summary.json both say 0-100.
    EXPECT_NEAR(model_json["min_confidence"][label].get<double>(), summary["thresholds"][name].get<double>(), 1e-2);
  }
  EXPECT_EQ(summary["version"], 2);
  // The report shows how the model was trained, from its training.csv and model.json.
  EXPECT_EQ(model_json["training"]["stopped_by"], "epochs");
  const std::string report = read_text(out + "/report.html");
  EXPECT_NE(report.find("data-chart=\"training-loss\""), std::string::npos);
  EXPECT_NE(report.find("It ran the epochs it was given"), std::string::npos);
  EXPECT_EQ(summary["confidence_scale"], "0-100");

  // Rekognition's summary shape beside it, with the same numbers (its Threshold a fraction, as there).
  const auto rekognition = nlohmann::json::parse(read_text(out + "/EvaluationSummary.json"));
  EXPECT_EQ(rekognition["Version"], 1);
  EXPECT_THAT(rekognition["EvaluationDetails"]["ProjectVersionArn"].get<std::string>(),
              HasSubstr("arn:aws:rekognition:local:000000000000:project/model/version/"));
  EXPECT_EQ(rekognition["EvaluationDetails"]["NumberOfTestingImages"], 16);
  EXPECT_EQ(rekognition["EvaluationDetails"]["NumberOfTrainingImages"], model_json["datasets"]["train"]["images"]);
  EXPECT_NEAR(rekognition["AggregatedEvaluationResults"]["F1Score"].get<double>(),
              summary["metrics"]["mean_f1"].get<double>(), 1e-9);
  EXPECT_NEAR(rekognition["AggregatedEvaluationResults"]["AveragePrecision"].get<double>(),
              summary["metrics"]["map50"].get<double>(), 1e-9);
  double previous_f1 = 2;
  for (const auto& label : rekognition["LabelEvaluationResults"]) {
    const std::string name = label["Label"];
    EXPECT_NEAR(label["Metrics"]["Threshold"].get<double>() * 100, summary["thresholds"][name].get<double>(), 1e-2);
    EXPECT_LE(label["Metrics"]["F1Score"].get<double>(), previous_f1) << "sorted by F1";
    previous_f1 = label["Metrics"]["F1Score"].get<double>();
    EXPECT_GT(label["NumberOfTestingImages"].get<int>(), 0);
  }
  EXPECT_EQ(rekognition["LabelEvaluationResults"].size(), 2U);

  // Scoring the written predictions again gives the same numbers.
  const auto rescored =
      run_logoscope({"evaluate", "--predictions", out + "/predictions.jsonl", "--ground-truth", manifest_,
                     "--out", dir_->file("eval_rescored"), "--json"});
  ASSERT_EQ(rescored.exit_code, 0) << rescored.err;
  const auto again = nlohmann::json::parse(rescored.out);
  EXPECT_NEAR(again["metrics"]["map50"].get<double>(), summary["metrics"]["map50"].get<double>(), 1e-9);
  EXPECT_NEAR(again["metrics"]["mean_f1"].get<double>(), summary["metrics"]["mean_f1"].get<double>(), 1e-9);

  // The evaluation manifest flags every box; its per-image counts add up to the totals.
  std::istringstream lines(read_text(out + "/evaluation.manifest"));
  std::string line;
  std::int64_t tp = 0;
  std::int64_t fn = 0;
  while (std::getline(lines, line)) {
    const auto record = nlohmann::json::parse(line);
    tp += record["logoscope-evaluation"]["true_positives"].get<std::int64_t>();
    fn += record["logoscope-evaluation"]["false_negatives"].get<std::int64_t>();
    for (const auto& gt : record["logoscope-evaluation"]["ground_truth"]) {
      EXPECT_THAT((std::vector<std::string>{"true_positive", "false_negative", "ignored"}),
                  ::testing::Contains(gt["verdict"].get<std::string>()));
    }
  }
  EXPECT_EQ(tp, summary["per_image_totals"]["true_positives"]);
  EXPECT_EQ(fn, summary["per_image_totals"]["false_negatives"]);
}

TEST_F(EvaluateCliTest, MergeAddsPatchBoxesOnceAndNeverOverwritesInputs) {
  Problems problems;
  const auto truth = dataset::read_dataset(manifest_, dataset::DatasetFormat::kManifest, problems);
  ASSERT_TRUE(truth);
  const auto& first = truth->samples.front();
  const std::string patch = dir_->write(
      "patch.manifest",
      nlohmann::json{
          {"source-ref", first.image},
          {"bounding-box",
           {{"image_size", {{{"width", first.width}, {"height", first.height}, {"depth", 3}}}},
            {"annotations", {{{"class_id", 0}, {"left", 1}, {"top", 2}, {"width", 30}, {"height", 20}}}}}},
          {"bounding-box-metadata",
           {{"class-map", {{"0", "newbrand"}}},
            {"type", "groundtruth/object-detection"},
            {"objects", {{{"confidence", 0.9}}}}}}}
              .dump() +
          "\n");
  const std::string merged = dir_->file("merged.manifest");
  const auto once = run_logoscope({"dataset", "merge", manifest_, patch, merged});
  ASSERT_EQ(once.exit_code, 0) << once.err;
  EXPECT_THAT(once.out, HasSubstr("added 1 boxes to 1 images"));
  const std::string twice_path = dir_->file("merged2.manifest");
  const auto twice = run_logoscope({"dataset", "merge", merged, patch, twice_path});
  ASSERT_EQ(twice.exit_code, 0) << twice.err;
  EXPECT_THAT(twice.out, HasSubstr("added 0 boxes"));
  EXPECT_THAT(twice.out, HasSubstr("1 already present"));
  const auto result = dataset::read_dataset(twice_path, dataset::DatasetFormat::kManifest, problems);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->box_count(), truth->box_count() + 1);
  EXPECT_NE(result->find_label("newbrand"), -1);

  const std::string before = read_text(manifest_);
  EXPECT_EQ(run_logoscope({"dataset", "merge", manifest_, patch, manifest_}).exit_code, 2);
  EXPECT_EQ(read_text(manifest_), before);
}

TEST_F(EvaluateCliTest, BadInputGetsClearErrors) {
  const auto neither = run_logoscope({"evaluate", "--ground-truth", manifest_, "--out", dir_->file("e1")});
  EXPECT_EQ(neither.exit_code, 2);
  EXPECT_THAT(neither.err, HasSubstr("either --model"));
  const auto missing = run_logoscope({"evaluate", "--predictions", dir_->file("nope.jsonl"), "--ground-truth",
                                      manifest_, "--out", dir_->file("e2")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("nope.jsonl"));
  const std::string broken =
      dir_->write("broken.jsonl", "{\"image\": \"x.jpg\", \"CustomLabels\": []}\n{oops\n");
  const auto bad = run_logoscope(
      {"evaluate", "--predictions", broken, "--ground-truth", manifest_, "--out", dir_->file("e3")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("broken.jsonl:2"));
  EXPECT_THAT(bad.err, HasSubstr("bad_json"));
}

}  // namespace
}  // namespace logoscope::cli
