// The mistakes a newcomer makes, each driven through the real command line: the message names the
// mistake and the fix, the exit code is 2 (usage), and nothing is written or replaced.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "dataset/image_inputs.hpp"
#include "cli/cli_app.hpp"
#include "cli/suggest.hpp"
#include "support/cli_runner.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace logoscope::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::read_text;
using testing::run_logoscope;

TEST(CliMistakes, TyposGetADidYouMean) {
  struct Case {
    std::vector<std::string> args;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {{"detct", "x.jpg"}, "unknown command `detct`: did you mean `detect`?"},
      {{"dataset", "validte", "x.manifest"}, "unknown command `dataset validte`: did you mean `dataset validate`?"},
      {{"detect", "--modle", "m", "x.jpg"}, "unknown option --modle for `detect`: did you mean --model?"},
      {{"train", "--budget", "5m", "--train", "a", "--out", "b"}, "unknown option --budget for `train`: did you mean --time-budget?"},
      {{"evaluate", "--predicitons", "p.jsonl"}, "did you mean --predictions?"},
      // Options renamed for one vocabulary answer with their new spelling (docs/cli.md).
      {{"detect", "--model", "m", "--format", "csv", "x.jpg"}, "option --format was renamed: use --from"},
      {{"dataset", "validate", "x.manifest", "--fix-format", "coco"}, "option --fix-format was renamed: use --to"},
      {{"detect", "--model", "m", "--size", "640", "x.jpg"}, "option --size was renamed: use --infer-size"},
      {{"detect", "--model", "m", "--batch", "2", "x.jpg"}, "option --batch was renamed: use --batch-size"},
  };
  for (const auto& c : cases) {
    const auto run = run_logoscope(c.args);
    EXPECT_EQ(run.exit_code, 2) << c.args[0];
    EXPECT_THAT(run.err, HasSubstr(c.expected)) << c.args[0];
  }
  const auto unknown = run_logoscope({"frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("one of: demo, dataset, train"));
}

TEST(CliMistakes, SuggestionsAreConservative) {
  EXPECT_EQ(edit_distance("detct", "detect"), 1U);
  EXPECT_EQ(edit_distance("modle", "model"), 1U);  // a swap is one edit
  EXPECT_EQ(closest("detct", {"demo", "detect", "train"}), "detect");
  EXPECT_EQ(closest("zzz", {"demo", "detect", "train"}), "");
  EXPECT_EQ(closest("--budget", {"--time-budget", "--train"}), "--time-budget");
  EXPECT_EQ(closest("detect", {"detect"}), "");  // not a typo
}

TEST(CliMistakes, DurationsAcceptCommonSpellingsAndRefuseZero) {
  for (const auto& [text, seconds] : std::vector<std::pair<std::string, double>>{
           {"300", 300}, {"90s", 90}, {"5m", 300}, {"5min", 300}, {"5 min", 300}, {"2 minutes", 120},
           {"1.5h", 5400}, {"1h30m", 5400}, {"45sec", 45}}) {
    const auto parsed = dataset::parse_duration(text);
    ASSERT_TRUE(parsed) << text << ": " << parsed.error().message;
    EXPECT_DOUBLE_EQ(*parsed, seconds) << text;
  }
  const auto zero = dataset::parse_duration("0");
  ASSERT_FALSE(zero);
  EXPECT_THAT(zero.error().message, HasSubstr("more than 0"));
  for (const std::string text : {"", "m", "5 fortnights", "five", "5m 3"}) EXPECT_FALSE(dataset::parse_duration(text)) << text;
}

class CliOutputs : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto demo = run_logoscope({"demo", "--out", dir_.path(), "--images", "8", "--no-train"});
    ASSERT_EQ(demo.exit_code, 0) << demo.err;
    manifest_ = dir_.file("dataset.manifest");
  }
  testing::TempDir dir_;
  std::string manifest_;
};

TEST_F(CliOutputs, BadDurationIsRefusedBeforeTheDataIsRead) {
  // --train names a file that does not exist: the duration is still the first thing reported.
  const auto run = run_logoscope({"train", "--train", dir_.file("missing.manifest"), "--out", dir_.file("m"),
                                  "--time-budget", "0"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("\"0\" is not a duration"));
  EXPECT_FALSE(fs::exists(dir_.file("m")));
}

TEST_F(CliOutputs, StatsOnADatasetWithBrokenLinesSaysSoAndExitsOne) {
  // One line of the manifest is not JSON: the counts cover what could be read, and the exit code
  // says they are not the whole dataset's.
  std::string text = read_text(manifest_);
  text += "{not json\n";
  const std::string broken = dir_.write("broken.manifest", text);
  const auto run = run_logoscope({"dataset", "stats", broken});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(run.out, HasSubstr("1 problem while reading"));
  EXPECT_THAT(run.out, HasSubstr("8 images"));
  const auto clean = run_logoscope({"dataset", "stats", manifest_});
  EXPECT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_THAT(clean.out, Not(HasSubstr("problem")));
}

TEST_F(CliOutputs, ConvertNeverReplacesAFileUnlessTold) {
  const std::string unrelated = dir_.write("existing.manifest", "precious\n");
  const auto refused = run_logoscope({"dataset", "convert", manifest_, unrelated});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("the file exists"));
  EXPECT_THAT(refused.err, HasSubstr("--overwrite"));
  EXPECT_EQ(read_text(unrelated), "precious\n");
  const auto replaced = run_logoscope({"dataset", "convert", manifest_, unrelated, "--overwrite"});
  EXPECT_EQ(replaced.exit_code, 0) << replaced.err;
  EXPECT_THAT(read_text(unrelated), Not(HasSubstr("precious")));
  // An input is never an output, --overwrite or not.
  const auto input = run_logoscope({"dataset", "convert", manifest_, manifest_, "--overwrite"});
  EXPECT_EQ(input.exit_code, 2);
  EXPECT_THAT(input.err, HasSubstr("never modifies your files"));
}

TEST_F(CliOutputs, TrainIntoAModelOrABusyFolderIsRefused) {
  const std::vector<std::string> quick = {"--steps", "2", "--batch-size", "2", "--input-size", "128", "--infer-size", "160",
                                          "--scratch"};
  auto args = std::vector<std::string>{"train", "--train", manifest_, "--out", dir_.file("model")};
  args.insert(args.end(), quick.begin(), quick.end());
  const auto first = run_logoscope(args);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto again = run_logoscope(args);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_THAT(again.err, HasSubstr("already holds a trained model: add --resume"));
  args.push_back("--overwrite");
  EXPECT_EQ(run_logoscope(args).exit_code, 0);

  fs::create_directories(dir_.file("busy"));
  dir_.write("busy/notes.txt", "mine");
  args = {"train", "--train", manifest_, "--out", dir_.file("busy")};
  args.insert(args.end(), quick.begin(), quick.end());
  const auto busy = run_logoscope(args);
  EXPECT_EQ(busy.exit_code, 2);
  EXPECT_THAT(busy.err, HasSubstr("not empty"));
  EXPECT_EQ(read_text(dir_.file("busy/notes.txt")), "mine");
}

TEST_F(CliOutputs, DetectWillNotReplaceResultsOrFillABusyDrawFolder) {
  const std::string previous = dir_.write("found.jsonl", "earlier results\n");
  const auto run = run_logoscope({"detect", "--any-logo", manifest_, "--out", previous});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("--out"));
  EXPECT_EQ(read_text(previous), "earlier results\n");
}

TEST_F(CliOutputs, SmallDataTrapsAreSaidOutLoud) {
  // 8 images, no --test: the threshold comes from the few held-out boxes; evaluating on the training
  // images is flagged; a missing training image is counted.
  const auto manifest_text = read_text(manifest_);
  const std::string with_missing = dir_.write("with_missing.manifest",
                                              manifest_text + R"({"source-ref": "images/gone.jpg", "bounding-box": )"
                                                              R"({"image_size": [{"width": 64, "height": 64, "depth": 3}], )"
                                                              R"("annotations": [{"class_id": 0, "left": 1, "top": 1, "width": 20, "height": 20}]}, )"
                                                              R"("bounding-box-metadata": {"class-map": {"0": "acme"}, "type": "groundtruth/object-detection"}})"
                                                              "\n");
  const std::vector<std::string> train = {"train", "--train", with_missing, "--out", dir_.file("m"), "--steps", "2",
                                          "--batch-size", "2", "--input-size", "128", "--infer-size", "160", "--scratch"};
  // A missing image stops the training before its first step, unless told to go on without it.
  const auto stopped = run_logoscope(train);
  EXPECT_EQ(stopped.exit_code, 2) << stopped.err;
  EXPECT_THAT(stopped.err, HasSubstr("gone.jpg"));
  EXPECT_THAT(stopped.err, HasSubstr("nothing was trained"));
  EXPECT_THAT(stopped.err, HasSubstr("--skip-bad"));
  EXPECT_FALSE(fs::exists(dir_.file("m/model.json")));
  auto skipping = train;
  skipping.push_back("--skip-bad");
  const auto trained = run_logoscope(skipping);
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  EXPECT_THAT(trained.err, HasSubstr("assumed threshold comes from only"));
  EXPECT_THAT(trained.err, HasSubstr("could not be read and are left out of training"));
  const auto evaluated = run_logoscope({"evaluate", "--model", dir_.file("m"), "--test", manifest_, "--out", dir_.file("e")});
  EXPECT_THAT(evaluated.err, HasSubstr("were used to train"));
  EXPECT_THAT(evaluated.err, HasSubstr("only"));
}

TEST_F(CliOutputs, AFractionGivenAsAConfidenceIsFlagged) {
  // run_logoscope adds --quiet, which keeps warnings.
  const auto run = run_logoscope({"detect", "--any-logo", manifest_, "--min-confidence", "0.706"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("is a confidence from 0 to 100"));
  EXPECT_THAT(run.err, HasSubstr("Did you mean --min-confidence 70.6?"));
  const auto fine = run_logoscope({"detect", "--any-logo", manifest_, "--min-confidence", "70.6"});
  EXPECT_THAT(fine.err, Not(HasSubstr("Did you mean")));
}

TEST_F(CliOutputs, EvaluateReadsDetectCsvAndRefusesFilesThatAreNotDetections) {
  const auto jsonl = run_logoscope({"detect", "--any-logo", manifest_, "--min-confidence", "0", "--out", dir_.file("d.jsonl")});
  ASSERT_EQ(jsonl.exit_code, 0) << jsonl.err;
  const auto csv = run_logoscope({"detect", "--any-logo", manifest_, "--min-confidence", "0", "--to", "csv", "--out",
                                  dir_.file("d.csv")});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  const auto from_jsonl = run_logoscope({"evaluate", "--predictions", dir_.file("d.jsonl"), "--ground-truth", manifest_,
                                         "--out", dir_.file("e1"), "--json"});
  const auto from_csv = run_logoscope({"evaluate", "--predictions", dir_.file("d.csv"), "--ground-truth", manifest_,
                                       "--out", dir_.file("e2"), "--json"});
  ASSERT_EQ(from_csv.exit_code, from_jsonl.exit_code) << from_csv.err;
  // The same detections in two formats score the same (CSV rounds confidences to 1e-4 points).
  const auto a = nlohmann::json::parse(from_jsonl.out);
  const auto b = nlohmann::json::parse(from_csv.out);
  EXPECT_NEAR(a["metrics"]["map50"].get<double>(), b["metrics"]["map50"].get<double>(), 1e-3);
  EXPECT_EQ(a["metrics"]["true_positives"], b["metrics"]["true_positives"]);

  const std::string array = dir_.write("array.json", "[{\"image\": \"a.jpg\", \"CustomLabels\": []}]\n");
  const auto refused_array = run_logoscope({"evaluate", "--predictions", array, "--ground-truth", manifest_, "--out", dir_.file("e3")});
  EXPECT_EQ(refused_array.exit_code, 2);
  EXPECT_THAT(refused_array.err, HasSubstr("a JSON array; predictions are JSON Lines"));
  EXPECT_FALSE(fs::exists(dir_.file("e3/report.html")));
  const auto refused_model = run_logoscope({"evaluate", "--predictions", manifest_, "--ground-truth", manifest_, "--out",
                                            dir_.file("e4")});
  EXPECT_EQ(refused_model.exit_code, 2);
  EXPECT_THAT(refused_model.err, HasSubstr("no line is a detection record"));
}


TEST_F(CliOutputs, TrainSaysBadLinesBeforeTrainingAndStops) {
  const std::string broken = dir_.write("broken.manifest", read_text(manifest_) + "{not json\n");
  const std::vector<std::string> train = {"train", "--train", broken, "--out", dir_.file("m"), "--steps", "2",
                                          "--batch-size", "2", "--input-size", "128", "--infer-size", "160", "--scratch"};
  const auto stopped = run_logoscope(train);
  EXPECT_EQ(stopped.exit_code, 2) << stopped.err;
  EXPECT_THAT(stopped.err, HasSubstr("1 problem while reading the data, so nothing was trained"));
  EXPECT_THAT(stopped.err, HasSubstr("broken.manifest:9"));
  EXPECT_THAT(stopped.err, HasSubstr("--skip-bad"));
  EXPECT_FALSE(fs::exists(dir_.file("m/model.json")));
  auto skipping = train;
  skipping.push_back("--skip-bad");
  const auto trained = run_logoscope(skipping);
  EXPECT_EQ(trained.exit_code, 0) << trained.err;
  EXPECT_THAT(trained.err, HasSubstr("1 problem while reading the data (--skip-bad: the unusable records were left out"));
  EXPECT_TRUE(fs::exists(dir_.file("m/model.json")));
}

TEST_F(CliOutputs, WarningsAloneDoNotStopTraining) {
  // A box starting 2 px left of its image is used as read (a warning), not an unusable record.
  std::string text = read_text(manifest_);
  const auto first_left = text.find("\"left\":");
  ASSERT_NE(first_left, std::string::npos);
  const auto value_end = text.find(',', first_left);
  text.replace(first_left, value_end - first_left, "\"left\":-2");
  const std::string warned = dir_.write("warned.manifest", text);
  const auto trained = run_logoscope({"train", "--train", warned, "--out", dir_.file("m"), "--steps", "2",
                                      "--batch-size", "2", "--input-size", "128", "--infer-size", "160", "--scratch"});
  EXPECT_EQ(trained.exit_code, 0) << trained.err;
  EXPECT_THAT(trained.err, HasSubstr("negative"));
  EXPECT_THAT(trained.err, Not(HasSubstr("--skip-bad:")));
}

TEST_F(CliOutputs, EmptyFoldersAndSkippedFilesAreSaid) {
  fs::create_directories(dir_.file("empty"));
  const auto empty = run_logoscope({"detect", "--any-logo", dir_.file("empty")});
  EXPECT_EQ(empty.exit_code, 1) << empty.err;
  EXPECT_THAT(empty.out, HasSubstr("no image in this folder (it is empty)"));
  const auto negatives = run_logoscope({"train", "--train", manifest_, "--negatives", dir_.file("empty"), "--out",
                                        dir_.file("m"), "--steps", "1", "--scratch"});
  EXPECT_EQ(negatives.exit_code, 2) << negatives.err;
  EXPECT_THAT(negatives.err, HasSubstr("no image in this folder"));
  EXPECT_FALSE(fs::exists(dir_.file("m/model.json")));

  // A phone's folder: a JPEG saved as .jfif is read; HEIC and notes are skipped, and said so.
  fs::create_directories(dir_.file("phone"));
  fs::copy_file(dir_.file("images/synth_0000.jpg"), dir_.file("phone/IMG_1.jfif"));
  dir_.write("phone/IMG_2.heic", "heic bytes");
  dir_.write("phone/notes.txt", "notes");
  dir_.write("phone/.DS_Store", "finder");
  const auto phone = run_logoscope({"detect", "--any-logo", dir_.file("phone")});
  EXPECT_EQ(phone.exit_code, 0) << phone.err;
  const auto lines = testing::json_lines(phone.out);
  ASSERT_EQ(lines.size(), 1U) << phone.out;
  EXPECT_THAT(lines[0]["image"].get<std::string>(), HasSubstr("IMG_1.jfif"));
  EXPECT_FALSE(lines[0].contains("error")) << lines[0].dump();
  EXPECT_THAT(phone.err, HasSubstr("skipped 2 files"));
  EXPECT_THAT(phone.err, HasSubstr("1 .heic file (HEIC"));
  EXPECT_THAT(phone.err, HasSubstr("1 .txt file (not an image format"));
  EXPECT_THAT(phone.err, Not(HasSubstr("DS_Store")));
}

TEST_F(CliOutputs, EvaluateSaysWhenLabelNamesMatchNothing) {
  // A detector that calls the logo "Acme Corp" scored against boxes labeled "acme".
  const std::string predictions =
      dir_.write("renamed.jsonl", R"({"image": "images/synth_0000.jpg", "CustomLabels": [{"Name": "Acme Corp", )"
                                  R"("Confidence": 90, "Geometry": {"BoundingBox": {"Left": 0.1, "Top": 0.1, )"
                                  R"("Width": 0.2, "Height": 0.2}}}]})" "\n");
  const auto run = run_logoscope({"evaluate", "--predictions", predictions, "--ground-truth", manifest_, "--out",
                                  dir_.file("e")});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_THAT(run.err, HasSubstr("no label name of"));
  EXPECT_THAT(run.err, HasSubstr("'Acme Corp' is probably 'acme'"));
}

TEST_F(CliOutputs, NumericOptionsSayTheirRangeAsAPersonWould) {
  struct Case {
    std::vector<std::string> args;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {{"detect", "--any-logo", manifest_, "--max-results", "-1"}, "--max-results: -1 is not allowed: give 0 or more"},
      {{"detect", "--any-logo", manifest_, "--threads", "-2"}, "--threads: -2 is not allowed: give 0 to 1024"},
      {{"train", "--train", manifest_, "--out", dir_.file("m"), "--steps", "-5"}, "--steps: -5 is not allowed: give 0 or more"},
      {{"train", "--train", manifest_, "--out", dir_.file("m"), "--lr", "0"}, "--lr: 0 is not allowed: give more than 0"},
      {{"dataset", "split", manifest_, "--out", dir_.file("s"), "--seed", "-1"}, "--seed: -1 is not allowed"},
      {{"detect", "--any-logo", manifest_, "--tile-size", "lots"}, "'lots' is not a number: give 64 to 8192"},
  };
  const std::regex long_number("[0-9]{12,}");
  for (const auto& c : cases) {
    const auto run = run_logoscope(c.args);
    EXPECT_EQ(run.exit_code, 2) << c.expected << "\n" << run.err;
    EXPECT_THAT(run.err, HasSubstr(c.expected));
    EXPECT_FALSE(std::regex_search(run.err, long_number)) << run.err;
  }
  EXPECT_FALSE(fs::exists(dir_.file("m")));
  // Every command's --help: each numeric option states its range, and no range reads like a type's limit.
  for (const auto& [command, options] : command_options()) {
    std::vector<std::string> args;
    std::istringstream words(command);
    for (std::string word; words >> word;) args.push_back(word);
    args.push_back("--help");
    const auto help = run_logoscope(args);
    EXPECT_FALSE(std::regex_search(help.out, long_number)) << command;
    std::istringstream lines(help.out);
    const std::regex numeric(R"(^\s+(-\w, )?(--[\w-]+) (INT|UINT|FLOAT|NUMBER)\b(\S*))");
    for (std::string line; std::getline(lines, line);) {
      std::smatch match;
      if (!std::regex_search(line, match, numeric)) continue;
      const std::string suffix = match[4];
      EXPECT_TRUE(suffix.rfind(":", 0) == 0) << command << " " << match[2] << " has no range: " << line;
    }
  }
}

}  // namespace
}  // namespace logoscope::cli
