// Every CLI mode run in-process on small generated data, with exit codes and key output checked.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/cli_app.hpp"
#include "support/cli_runner.hpp"
#include "support/temp_dir.hpp"

namespace logoscope::cli {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

using testing::CliRun;
using testing::read_text;
using testing::run_logoscope;

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const CliRun demo = run_logoscope({"demo", "--out", dir_->path(), "--images", "12", "--no-train"});
    ASSERT_EQ(demo.exit_code, 0) << demo.out << demo.err;
    manifest_ = dir_->file("dataset.manifest");
  }
  static void TearDownTestSuite() { delete dir_; }

  static testing::TempDir* dir_;
  static std::string manifest_;
};

testing::TempDir* CliTest::dir_ = nullptr;
std::string CliTest::manifest_;

TEST_F(CliTest, DemoWritesAValidManifest) {
  ASSERT_TRUE(fs::exists(manifest_));
  const CliRun result = run_logoscope({"dataset", "validate", manifest_});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_THAT(result.out, HasSubstr("12 images"));
  EXPECT_THAT(result.out, HasSubstr("no problems found"));
}

TEST_F(CliTest, HelpAndVersionExitZero) {
  const CliRun help = run_logoscope({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("dataset"));
  const CliRun sub_help = run_logoscope({"dataset", "validate", "--help"});
  EXPECT_EQ(sub_help.exit_code, 0);
  EXPECT_THAT(sub_help.out, HasSubstr("Exit code: 0 clean, 1 problems found, 2 unusable input"));
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(run_logoscope({}).exit_code, 2);
  EXPECT_EQ(run_logoscope({"dataset", "validate"}).exit_code, 2);
  EXPECT_EQ(run_logoscope({"dataset", "validate", manifest_, "--no-such-flag"}).exit_code, 2);
  const CliRun missing = run_logoscope({"dataset", "validate", dir_->file("absent.manifest")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("absent.manifest"));
}

TEST_F(CliTest, ValidateFindsProblemsAndFixWritesACleanCopy) {
  std::string text = read_text(manifest_);
  // Corrupt the copy: a garbage line and a degenerate box on the first image.
  const auto first_newline = text.find('\n');
  std::string first_line = text.substr(0, first_newline);
  const auto width_pos = first_line.find("\"width\":", first_line.find("annotations"));
  if (width_pos != std::string::npos) first_line.replace(width_pos, 8, "\"width\":0,\"was_width\":");
  const std::string broken = dir_->write("broken.manifest", first_line + "\n{not json\n" + text.substr(first_newline + 1));
  const CliRun result = run_logoscope({"dataset", "validate", broken, "--json"});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  const auto json = nlohmann::json::parse(result.out);
  EXPECT_GE(json["errors"].get<int>(), 1);
  bool saw_bad_line = false;
  for (const auto& problem : json["problems"]) {
    if (problem.value("line", 0) == 2) saw_bad_line = true;
  }
  EXPECT_TRUE(saw_bad_line) << result.out;

  const std::string fixed = dir_->file("fixed.manifest");
  EXPECT_EQ(run_logoscope({"dataset", "validate", broken, "--fix", fixed}).exit_code, 1);
  const CliRun again = run_logoscope({"dataset", "validate", fixed});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;

  const CliRun overwrite = run_logoscope({"dataset", "validate", broken, "--fix", broken});
  EXPECT_EQ(overwrite.exit_code, 2);
  EXPECT_THAT(overwrite.err, HasSubstr("never modifies your files"));
}

TEST_F(CliTest, ConvertRoundTripKeepsEveryImageAndBox) {
  const std::string coco = dir_->file("out/coco.json");
  const CliRun to_coco = run_logoscope({"dataset", "convert", manifest_, coco});
  ASSERT_EQ(to_coco.exit_code, 0) << to_coco.out << to_coco.err;
  const std::string back = dir_->file("out/back.manifest");
  ASSERT_EQ(run_logoscope({"dataset", "convert", coco, back}).exit_code, 0);
  const auto stats_a = nlohmann::json::parse(run_logoscope({"dataset", "stats", manifest_, "--json"}).out);
  const auto stats_b = nlohmann::json::parse(run_logoscope({"dataset", "stats", back, "--json"}).out);
  EXPECT_EQ(stats_a["images"], stats_b["images"]);
  EXPECT_EQ(stats_a["boxes"], stats_b["boxes"]);
  EXPECT_EQ(stats_a["labels"], stats_b["labels"]);
  EXPECT_EQ(run_logoscope({"dataset", "convert", manifest_, dir_->file("out/yolo"), "--to", "yolo"}).exit_code, 0);
  EXPECT_EQ(run_logoscope({"dataset", "validate", dir_->file("out/yolo")}).exit_code, 0);
  EXPECT_EQ(run_logoscope({"dataset", "convert", manifest_, dir_->file("out/voc"), "--to", "voc"}).exit_code, 0);
  EXPECT_EQ(run_logoscope({"dataset", "validate", dir_->file("out/voc")}).exit_code, 0);
}

TEST_F(CliTest, SplitWritesTrainAndTest) {
  const std::string out = dir_->file("split");
  const CliRun result = run_logoscope({"dataset", "split", manifest_, "--out", out, "--test-fraction", "0.25", "--seed", "4"});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  const auto train = nlohmann::json::parse(run_logoscope({"dataset", "stats", out + "/train.manifest", "--json"}).out);
  const auto test = nlohmann::json::parse(run_logoscope({"dataset", "stats", out + "/test.manifest", "--json"}).out);
  EXPECT_EQ(train["images"].get<int>() + test["images"].get<int>(), 12);
  EXPECT_GE(test["images"].get<int>(), 2);
  const CliRun overlap = run_logoscope({"dataset", "validate", out + "/train.manifest", "--test", out + "/test.manifest"});
  EXPECT_EQ(overlap.exit_code, 0) << overlap.out;
}

TEST_F(CliTest, TrainThenDetectInTheDetectCustomLabelsShape) {
  const std::string model = dir_->file("model");
  const CliRun trained = run_logoscope({"train", "--train", manifest_, "--out", model, "--epochs", "1", "--batch-size",
                                        "4", "--input-size", "128", "--infer-size", "160"});
  ASSERT_EQ(trained.exit_code, 0) << trained.out << trained.err;
  const auto model_json = nlohmann::json::parse(read_text(model + "/model.json"));
  EXPECT_EQ(model_json["format"], "logoscope-model");
  EXPECT_EQ(model_json["labels"], (nlohmann::json{"acme", "bolt"}));
  EXPECT_EQ(model_json["min_confidence"].size(), 2U);
  EXPECT_EQ(model_json["version"], 2);

  const std::string bad = dir_->write("not_an_image.jpg", "hello");
  const std::string image = dir_->file("images/synth_0000.jpg");
  const CliRun detected = run_logoscope({"detect", "--model", model, image, bad, "--min-confidence", "0"});
  EXPECT_EQ(detected.exit_code, 1) << detected.err;
  std::istringstream lines(detected.out);
  std::string line;
  std::getline(lines, line);
  const auto first = nlohmann::json::parse(line);
  EXPECT_EQ(first["image"], image);
  ASSERT_TRUE(first["CustomLabels"].is_array());
  for (const auto& label : first["CustomLabels"]) {
    EXPECT_GE(label["Confidence"].get<double>(), 0.0);
    EXPECT_LE(label["Confidence"].get<double>(), 100.0);
    EXPECT_TRUE(label["Geometry"]["BoundingBox"].contains("Left"));
  }
  std::getline(lines, line);
  const auto second = nlohmann::json::parse(line);
  EXPECT_EQ(second["image"], bad);
  EXPECT_EQ(second["error"]["code"], "unsupported_format");

  const CliRun old_model = run_logoscope({"detect", "--model", dir_->path(), image});
  EXPECT_EQ(old_model.exit_code, 2);
  EXPECT_THAT(old_model.err, HasSubstr("model.json not found"));
}

}  // namespace
}  // namespace logoscope::cli
