// `logoscope detect` in-process on a tiny generated dataset and model: every kind of input
// (files, folders, globs, lists, stdin, manifests), JSON Lines and CSV output, bad files, tiling,
// --profile, and no duplicate boxes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <chrono>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dataset/image_inputs.hpp"
#include "support/cli_runner.hpp"
#include "support/scoped_env.hpp"
#include "support/temp_dir.hpp"

namespace logoscope::cli {
namespace {

using ::testing::HasSubstr;
using testing::json_lines;
using testing::read_text;
using testing::run_logoscope;
namespace fs = std::filesystem;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// Splits one CSV row (RFC 4180 quoting).
std::vector<std::string> csv_row(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

// Runs the CLI with `stdin_text` as standard input.
testing::CliRun run_with_stdin(const std::string& stdin_text, std::vector<std::string> args) {
  std::istringstream in(stdin_text);
  auto* const saved = std::cin.rdbuf(in.rdbuf());
  auto result = run_logoscope(std::move(args));
  std::cin.rdbuf(saved);
  return result;
}

class DetectCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const auto demo = run_logoscope({"demo", "--out", dir_->path(), "--images", "12", "--no-train"});
    ASSERT_EQ(demo.exit_code, 0) << demo.out << demo.err;
    manifest_ = dir_->file("dataset.manifest");
    model_ = dir_->file("model");
    // 320×240 images and a model that resizes to 160: auto tiling applies (320 > 1.5 × 160).
    const auto trained = run_logoscope({"train", "--train", manifest_, "--out", model_, "--epochs", "1",
                                        "--batch-size", "4", "--input-size", "128", "--infer-size", "160"});
    ASSERT_EQ(trained.exit_code, 0) << trained.out << trained.err;
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string image(int i) { return dir_->file(fmt::format("images/synth_{:04d}.jpg", i)); }

  static testing::TempDir* dir_;
  static std::string manifest_;
  static std::string model_;
};

testing::TempDir* DetectCliTest::dir_ = nullptr;
std::string DetectCliTest::manifest_;
std::string DetectCliTest::model_;

TEST_F(DetectCliTest, StdinGlobsListsAndManifestsExpandInOrder) {
  const std::string list =
      dir_->write("two.txt", "# two images\nimages/synth_0004.jpg\n\nimages/synth_0005.jpg\n");
  const std::string glob = dir_->path() + "/images/synth_000[0-2].jpg";
  const auto result =
      run_with_stdin(image(3) + "\n" + image(7) + "\n",
                     {"detect", "--model", model_, "-", glob, list, manifest_, "--jobs", "2"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto records = json_lines(result.out);
  ASSERT_EQ(records.size(), 2U + 3U + 2U + 12U);
  EXPECT_EQ(records[0]["image"], image(3));
  EXPECT_EQ(records[1]["image"], image(7));
  EXPECT_EQ(records[2]["image"], image(0));
  EXPECT_EQ(records[4]["image"], image(2));
  EXPECT_EQ(records[5]["image"], image(4));
  EXPECT_EQ(records[6]["image"], image(5));
  EXPECT_EQ(records[7]["image"], image(0));  // the manifest's first image
  for (const auto& record : records) {
    EXPECT_EQ(record["width"], 320);
    EXPECT_TRUE(record["CustomLabels"].is_array());
  }
}

TEST_F(DetectCliTest, ExpandDetectInputsReportsWhatNamesNothing) {
  std::istringstream stdin_text("a.jpg\n  \n# comment\nb.png\n");
  Problems problems;
  const auto expanded = dataset::expand_detect_inputs(
      {"-", dir_->path() + "/images/none*.jpg", dir_->file("absent.jpg"), dir_->path() + "/images"},
      stdin_text, problems);
  ASSERT_TRUE(expanded) << expanded.error().message;
  ASSERT_EQ(expanded->size(), 2U + 1U + 1U + 12U);
  EXPECT_EQ((*expanded)[0].path, "a.jpg");
  EXPECT_EQ((*expanded)[1].path, "b.png");
  ASSERT_TRUE((*expanded)[2].error);
  EXPECT_THAT((*expanded)[2].error->message, HasSubstr("no file matches"));
  ASSERT_TRUE((*expanded)[3].error);
  EXPECT_EQ((*expanded)[3].error->code, ErrorCode::kNotFound);
  EXPECT_FALSE((*expanded)[4].error);
  const std::string broken = dir_->write("broken.json", "{ not json");
  EXPECT_FALSE(dataset::expand_detect_inputs({broken}, stdin_text, problems));
}

TEST_F(DetectCliTest, BadFilesAreErrorLinesAndTheRunGoesOn) {
  const std::string text = dir_->write("text.jpg", "hello, not an image");
  std::string jpeg = read_text(image(1));
  const std::string truncated = dir_->write("truncated.jpg", jpeg.substr(0, jpeg.size() / 2));
  const auto result = run_logoscope({"detect", "--model", model_, image(0), text, dir_->file("missing.jpg"),
                                     truncated, dir_->path() + "/nothing*.png", image(2)});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  const auto records = json_lines(result.out);
  ASSERT_EQ(records.size(), 6U);
  EXPECT_TRUE(records[0].contains("CustomLabels"));
  EXPECT_EQ(records[1]["image"], text);
  EXPECT_EQ(records[1]["error"]["code"], "unsupported_format");
  EXPECT_EQ(records[2]["error"]["code"], "not_found");
  EXPECT_EQ(records[3]["error"]["code"], "truncated");
  EXPECT_THAT(records[3]["error"]["message"].get<std::string>(), HasSubstr("truncated.jpg"));
  EXPECT_EQ(records[4]["error"]["code"], "not_found");
  EXPECT_EQ(records[5]["image"], image(2));
  EXPECT_TRUE(records[5].contains("CustomLabels"));
  // Over the pixel cap (320×240 = 76,800 pixels), refused from the header.
  const auto capped = run_logoscope({"detect", "--model", model_, image(0), "--max-pixels", "50000"});
  EXPECT_EQ(capped.exit_code, 1);
  EXPECT_EQ(json_lines(capped.out).at(0)["error"]["code"], "too_large");
}

TEST_F(DetectCliTest, CsvHasOneRowPerDetectionAndARowForEveryImage) {
  const std::string text = dir_->write("bad,name.jpg", "hello");
  const auto result = run_logoscope(
      {"detect", "--model", model_, image(0), image(1), text, "--to", "csv", "--min-confidence", "0"});
  EXPECT_EQ(result.exit_code, 1);
  const auto lines = lines_of(result.out);
  ASSERT_GE(lines.size(), 4U);
  EXPECT_EQ(lines[0], "image,label,confidence,left,top,width,height,x0,y0,x1,y1,error");
  std::map<std::string, int> rows_per_image;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto fields = csv_row(lines[i]);
    ASSERT_EQ(fields.size(), 12U) << lines[i];
    ++rows_per_image[fields[0]];
    if (fields[0] == text) {
      EXPECT_TRUE(fields[1].empty());
      EXPECT_THAT(fields[11], HasSubstr("unsupported_format"));
      continue;
    }
    if (fields[1].empty()) continue;  // an image without detections
    const double confidence = std::stod(fields[2]);
    EXPECT_GE(confidence, 0.0);
    EXPECT_LE(confidence, 100.0);
    EXPECT_NEAR(std::stod(fields[3]) * 320, std::stod(fields[7]), 0.02);  // left ratio × width = x0
    EXPECT_NEAR(std::stod(fields[6]) * 240, std::stod(fields[10]) - std::stod(fields[8]), 0.02);
  }
  EXPECT_EQ(rows_per_image.size(), 3U);
  EXPECT_EQ(rows_per_image[text], 1);
  // Nothing above 100 %: one empty row per image.
  const auto none =
      run_logoscope({"detect", "--model", model_, image(0), "--to", "csv", "--min-confidence", "100"});
  EXPECT_EQ(lines_of(none.out), (std::vector<std::string>{lines[0], image(0) + ",,,,,,,,,,,"}));
}

double iou(const nlohmann::json& a, const nlohmann::json& b) {
  const double iw = std::min(a["x1"].get<double>(), b["x1"].get<double>()) -
                    std::max(a["x0"].get<double>(), b["x0"].get<double>());
  const double ih = std::min(a["y1"].get<double>(), b["y1"].get<double>()) -
                    std::max(a["y0"].get<double>(), b["y0"].get<double>());
  if (iw <= 0 || ih <= 0) return 0;
  const auto area = [](const nlohmann::json& p) {
    return (p["x1"].get<double>() - p["x0"].get<double>()) * (p["y1"].get<double>() - p["y0"].get<double>());
  };
  return iw * ih / (area(a) + area(b) - iw * ih);
}

TEST_F(DetectCliTest, TilingRunsMorePassesAndLeavesNoDuplicateBoxes) {
  const std::string off_json = dir_->file("profile_off.json");
  const std::string on_json = dir_->file("profile_on.json");
  const std::vector<std::string> images = {image(0), image(1), image(2)};
  auto args = [&](const std::string& tile, const std::string& profile) {
    // One view, so that passes count images, tiles and the large-logo pass only.
    std::vector<std::string> a = {"detect", "--model",     model_, "--min-confidence", "0",    "--tile",
                                  tile,     "--tile-size", "128",  "--profile-json",   profile,
                                  "--no-flip-average"};
    a.insert(a.end(), images.begin(), images.end());
    return a;
  };
  const auto off = run_logoscope(args("off", off_json));
  const auto on = run_logoscope(args("on", on_json));
  ASSERT_EQ(off.exit_code, 0) << off.err;
  ASSERT_EQ(on.exit_code, 0) << on.err;
  // The model learnt logos up to 0.95 × 128 px, less than the 160 px whole pass: a large-logo
  // pass at 128 px runs too.
  EXPECT_EQ(nlohmann::json::parse(read_text(off_json))["network_passes"], 3 * 2);
  // 320×240 in tiles of at most 128 px overlapping by 36 px (16 px at the 160 px whole pass,
  // ×2 scale, + margins): 4 columns × 3 rows, plus the whole and the large-logo pass.
  EXPECT_EQ(nlohmann::json::parse(read_text(on_json))["network_passes"], 3 * 14);
  auto whole_only = args("off", off_json);
  whole_only.emplace_back("--no-large-logo-pass");
  whole_only.emplace_back("--overwrite");  // the profile file of the first run is replaced
  ASSERT_EQ(run_logoscope(whole_only).exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(read_text(off_json))["network_passes"], 3);
  for (const auto& record : json_lines(on.out)) {
    const auto& labels = record["CustomLabels"];
    for (std::size_t i = 0; i < labels.size(); ++i) {
      for (std::size_t j = i + 1; j < labels.size(); ++j) {
        if (labels[i]["Name"] != labels[j]["Name"]) continue;
        EXPECT_LE(iou(labels[i]["PixelBox"], labels[j]["PixelBox"]), 0.5) << record.dump();
      }
    }
  }
  const auto bad_overlap =
      run_logoscope({"detect", "--model", model_, image(0), "--tile-size", "128", "--tile-overlap", "64"});
  EXPECT_EQ(bad_overlap.exit_code, 2);
  EXPECT_THAT(bad_overlap.err, HasSubstr("--tile-overlap"));
}

TEST_F(DetectCliTest, BatchedImagesGetWhatOneAtATimeGets) {
  // Same-size untiled images share network passes (the whole and the large-logo pass).
  std::vector<std::string> base = {"detect", "--model", model_, "--min-confidence", "0", "--tile", "off"};
  for (int i = 0; i < 4; ++i) base.push_back(image(i));
  auto batched = base;
  batched.insert(batched.end(), {"--jobs", "1", "--batch-size", "4"});
  auto single = base;
  single.insert(single.end(), {"--jobs", "0"});
  const auto a = json_lines(run_logoscope(batched).out);
  const auto b = json_lines(run_logoscope(single).out);
  ASSERT_EQ(a.size(), 4U);
  ASSERT_EQ(b.size(), 4U);
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto& la = a[i]["CustomLabels"];
    const auto& lb = b[i]["CustomLabels"];
    ASSERT_EQ(la.size(), lb.size()) << a[i].dump() << "\n" << b[i].dump();
    for (std::size_t j = 0; j < la.size(); ++j) {
      EXPECT_EQ(la[j]["Name"], lb[j]["Name"]);
      EXPECT_NEAR(la[j]["Confidence"].get<double>(), lb[j]["Confidence"].get<double>(), 0.05);
      EXPECT_GT(iou(la[j]["PixelBox"], lb[j]["PixelBox"]), 0.99);
    }
  }
}

TEST_F(DetectCliTest, ProfilePrintsEveryStage) {
  const std::string json = dir_->file("profile.json");
  const auto result =
      run_logoscope({"detect", "--model", model_, image(0), image(1), "--profile", "--profile-json", json});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const char* stage : {"decode", "preprocess", "network", "postprocess"}) {
    EXPECT_THAT(result.err, HasSubstr(stage));
  }
  EXPECT_THAT(result.err, HasSubstr("images/s"));
  const auto profile = nlohmann::json::parse(read_text(json));
  EXPECT_EQ(profile["images"], 2);
  EXPECT_GT(profile["stages"]["network"]["median_ms"].get<double>(), 0.0);
  EXPECT_GT(profile["stages"]["decode"]["total_s"].get<double>(), 0.0);
}

TEST_F(DetectCliTest, FiltersBehaveLikeRekognition) {
  const auto all =
      json_lines(run_logoscope({"detect", "--model", model_, image(0), "--min-confidence", "0"}).out);
  ASSERT_EQ(all.size(), 1U);
  ASSERT_GE(all[0]["CustomLabels"].size(), 2U);
  const auto top = json_lines(
      run_logoscope({"detect", "--model", model_, image(0), "--min-confidence", "0", "--max-results", "1"})
          .out);
  ASSERT_EQ(top[0]["CustomLabels"].size(), 1U);
  EXPECT_EQ(top[0]["CustomLabels"][0], all[0]["CustomLabels"][0]);  // the most confident
  const auto acme = json_lines(
      run_logoscope({"detect", "--model", model_, image(0), "--min-confidence", "0", "--labels", "acme"})
          .out);
  for (const auto& label : acme[0]["CustomLabels"]) EXPECT_EQ(label["Name"], "acme");
  const auto unknown = run_logoscope({"detect", "--model", model_, image(0), "--labels", "nope"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("nope"));
}

TEST_F(DetectCliTest, ShardsSplitTheInputsAndAReRunDoesNothing) {
  testing::TempDir out;
  const auto whole = run_logoscope({"detect", "--model", model_, manifest_, "--min-confidence", "0"});
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  // Three tasks of an array job, each its own part of --out; together, every line once.
  std::multiset<std::string> together;
  for (int index = 0; index < 3; ++index) {
    const auto part = run_logoscope({"detect", "--model", model_, manifest_, "--min-confidence", "0", "--shard",
                                     fmt::format("{}/3", index), "--out", out.file("found.jsonl")});
    ASSERT_EQ(part.exit_code, 0) << part.err;
    const auto text = read_text(out.file(fmt::format("found.shard-{:04d}-of-0003.jsonl", index)));
    EXPECT_FALSE(text.empty()) << "shard " << index << " of 12 images";
    for (const auto& line : lines_of(text)) together.insert(line);
  }
  const auto single = lines_of(whole.out);
  EXPECT_EQ(together, std::multiset<std::string>(single.begin(), single.end()));
  EXPECT_FALSE(fs::exists(out.file("found.jsonl")));
  // The same task again finds its part there and does nothing; --overwrite runs it again.
  const std::string part0 = out.file("found.shard-0000-of-0003.jsonl");
  fs::last_write_time(part0, fs::file_time_type::clock::now() - std::chrono::hours(1));
  const auto stamp = fs::last_write_time(part0);
  const auto again = run_logoscope({"detect", "--model", model_, manifest_, "--shard", "0/3", "--out",
                                    out.file("found.jsonl")});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.err, HasSubstr("nothing to do"));
  EXPECT_EQ(fs::last_write_time(part0), stamp);
  // merge puts the parts back in the order one process writes: the same bytes.
  const auto merged = run_logoscope({"merge", "--out", out.file("found.jsonl"), "--shards", "3", manifest_});
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  EXPECT_EQ(read_text(out.file("found.jsonl")), whole.out);
  const auto missing = run_logoscope({"merge", "--out", out.file("other.jsonl"), "--shards", "3", manifest_});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("3 of 3 parts are missing"));
  const auto other_inputs = run_logoscope({"merge", "--out", out.file("again.jsonl"), "--shards", "3", image(0)});
  EXPECT_EQ(other_inputs.exit_code, 2);
  // CSV parts merge the same way (rows of one image stay together, one header).
  const auto whole_csv = run_logoscope({"detect", "--model", model_, manifest_, "--min-confidence", "0", "--to", "csv"});
  ASSERT_EQ(whole_csv.exit_code, 0) << whole_csv.err;
  for (int index = 0; index < 2; ++index) {
    ASSERT_EQ(run_logoscope({"detect", "--model", model_, manifest_, "--min-confidence", "0", "--to", "csv", "--shard",
                             fmt::format("{}/2", index), "--out", out.file("found.csv")})
                  .exit_code,
              0);
  }
  ASSERT_EQ(run_logoscope({"merge", "--out", out.file("found.csv"), "--shards", "2", manifest_}).exit_code, 0);
  EXPECT_EQ(read_text(out.file("found.csv")), whole_csv.out);
  // auto outside an array job, and a shard outside the count, are usage errors.
  const auto outside = run_logoscope({"detect", "--model", model_, manifest_, "--shard", "auto"});
  EXPECT_EQ(outside.exit_code, 2);
  EXPECT_THAT(outside.err, HasSubstr("not an array job"));
  EXPECT_EQ(run_logoscope({"detect", "--model", model_, manifest_, "--shard", "3/3"}).exit_code, 2);
}

TEST_F(DetectCliTest, AnyLogoRunsTheBaseModelAndNeedsOne) {
  {
    const testing::ScopedEnv base("LOGOSCOPE_BASE_MODEL", model_);  // stands in for models/base
    const auto found = run_logoscope({"detect", "--any-logo", image(0), "--min-confidence", "0"});
    ASSERT_EQ(found.exit_code, 0) << found.err;
    const auto lines = json_lines(found.out);
    ASSERT_EQ(lines.size(), 1U);
    EXPECT_TRUE(lines[0].contains("CustomLabels"));
    const auto both = run_logoscope({"detect", "--any-logo", "--model", model_, image(0)});
    EXPECT_EQ(both.exit_code, 2);
    EXPECT_THAT(both.err, HasSubstr("not several"));
  }
  {
    const testing::ScopedEnv none("LOGOSCOPE_BASE_MODEL", "none");
    const auto missing = run_logoscope({"detect", "--any-logo", image(0)});
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_THAT(missing.err, HasSubstr("no base model found"));
  }
  const auto neither = run_logoscope({"detect", image(0)});
  EXPECT_EQ(neither.exit_code, 2);
  EXPECT_THAT(neither.err, HasSubstr("--model"));
}

}  // namespace
}  // namespace logoscope::cli
