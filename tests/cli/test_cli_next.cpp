// `logoscope dataset next` in-process on a tiny generated dataset and model: picks come from the
// unlabeled part of the pool with a reason each, a re-encoded copy of a photo is never picked
// beside it, unreadable photos are reported, and outputs follow the rules of every command.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "support/cli_runner.hpp"
#include "support/temp_dir.hpp"

namespace logoscope::cli {
namespace {

using ::testing::HasSubstr;
using testing::read_text;
using testing::run_logoscope;
namespace fs = std::filesystem;

class NextCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const auto demo = run_logoscope({"demo", "--out", dir_->path(), "--images", "12", "--no-train"});
    ASSERT_EQ(demo.exit_code, 0) << demo.out << demo.err;
    const auto trained = run_logoscope({"train", "--train", dir_->file("dataset.manifest"), "--out", model(), "--epochs",
                                        "1", "--batch-size", "4", "--input-size", "128", "--infer-size", "160"});
    ASSERT_EQ(trained.exit_code, 0) << trained.out << trained.err;
    // The first 4 photos are "labeled"; the pool is the whole image folder.
    std::istringstream manifest(read_text(dir_->file("dataset.manifest")));
    std::ofstream labeled(labeled_manifest());
    std::string line;
    for (int i = 0; i < 4 && std::getline(manifest, line); ++i) labeled << line << "\n";
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string model() { return dir_->file("model"); }
  static std::string labeled_manifest() { return dir_->file("labeled.manifest"); }
  static std::string images() { return dir_->file("images"); }

  static testing::TempDir* dir_;
};

testing::TempDir* NextCliTest::dir_ = nullptr;

std::set<std::string> labeled_images(const std::string& folder) {
  std::set<std::string> names;
  for (int i = 0; i < 4; ++i) names.insert(fs::path(folder) / fmt::format("synth_{:04d}.jpg", i));
  return names;
}

TEST_F(NextCliTest, PicksComeFromTheUnlabeledPhotosEachWithAReason) {
  const auto run = run_logoscope({"dataset", "next", "--model", model(), "--pool", images(), "--labeled",
                                  labeled_manifest(), "--count", "3", "--json", "-q"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const auto json = nlohmann::json::parse(run.out);
  EXPECT_EQ(json["already_labeled"], 4);
  EXPECT_EQ(json["labeled_compared"], 4);
  EXPECT_EQ(json["pool"], 8);
  ASSERT_EQ(json["picks"].size(), 3U);
  const auto labeled = labeled_images(images());
  double previous = 1e9;
  for (std::size_t rank = 0; rank < json["picks"].size(); ++rank) {
    const auto& pick = json["picks"][rank];
    EXPECT_EQ(pick["rank"], rank + 1);
    const std::string image = pick["image"];
    EXPECT_TRUE(fs::exists(image)) << image;
    EXPECT_FALSE(labeled.contains(fs::path(image).lexically_normal().string())) << image << " is labeled";
    EXPECT_FALSE(pick["reason"].get<std::string>().empty());
    EXPECT_LE(pick["priority"].get<double>(), previous);
    previous = pick["priority"];
    // The priority is the sum of its findings' weights.
    double sum = 0;
    for (const auto& finding : pick["findings"]) sum += finding["near"].get<double>() + finding["disagreement"].get<double>();
    EXPECT_NEAR(sum, pick["priority"].get<double>(), 1e-9);
  }
  // The summary for people names the same photos in the same order.
  const auto text = run_logoscope({"dataset", "next", "--model", model(), "--pool", images(), "--labeled",
                                   labeled_manifest(), "--count", "3", "-q"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("3 of 8 unlabeled photos to label next"));
  EXPECT_THAT(text.out, HasSubstr("4 already labeled"));
  std::size_t at = 0;
  for (const auto& pick : json["picks"]) {
    const auto found = text.out.find(pick["image"].get<std::string>(), at);
    ASSERT_NE(found, std::string::npos) << pick["image"];
    at = found;
  }
}

TEST_F(NextCliTest, ACopyOfAPhotoIsNotPickedBesideItAndUnreadablePhotosAreReported) {
  testing::TempDir pool;
  for (const auto& entry : fs::directory_iterator(images())) fs::copy(entry.path(), pool.file(entry.path().filename()));
  // synth_0007 again, smaller and re-encoded, as a re-posted photo would be.
  const cv::Mat photo = cv::imread(pool.file("synth_0007.jpg"));
  cv::Mat smaller;
  cv::resize(photo, smaller, cv::Size(), 0.5, 0.5, cv::INTER_AREA);
  ASSERT_TRUE(cv::imwrite(pool.file("repost_of_0007.jpg"), smaller, {cv::IMWRITE_JPEG_QUALITY, 70}));
  std::ofstream(pool.file("broken.jpg")) << "not a JPEG";
  const auto run = run_logoscope({"dataset", "next", "--model", model(), "--pool", pool.path(), "--count", "20",
                                  "--json", "-q"});
  EXPECT_EQ(run.exit_code, 1) << run.err;  // a photo could not be read
  const auto json = nlohmann::json::parse(run.out);
  ASSERT_EQ(json["unreadable"].size(), 1U);
  EXPECT_THAT(json["unreadable"][0]["image"].get<std::string>(), HasSubstr("broken.jpg"));
  std::set<std::string> picked;
  for (const auto& pick : json["picks"]) picked.insert(fs::path(pick["image"].get<std::string>()).filename());
  EXPECT_FALSE(picked.contains("broken.jpg"));
  EXPECT_NE(picked.contains("synth_0007.jpg"), picked.contains("repost_of_0007.jpg")) << run.out;
  bool reported = false;
  for (const auto& duplicate : json["near_duplicates"]) {
    const std::set<std::string> pair = {fs::path(duplicate["image"].get<std::string>()).filename(),
                                        fs::path(duplicate["like"].get<std::string>()).filename()};
    if (pair == std::set<std::string>{"synth_0007.jpg", "repost_of_0007.jpg"}) reported = true;
  }
  EXPECT_TRUE(reported) << json["near_duplicates"].dump();
  // Every readable photo is picked or left out as a near-duplicate (20 > 13 photos).
  EXPECT_EQ(json["picks"].size() + json["near_duplicates"].size(), 13U);
}

// `logoscope frames` writes an input manifest (source-ref only): it is a pool as it stands.
TEST_F(NextCliTest, AFramesManifestIsAPool) {
  testing::TempDir pool;
  std::ofstream frames(pool.file("frames.manifest"));
  for (int i = 4; i < 8; ++i) {
    const std::string name = fmt::format("synth_{:04d}.jpg", i);
    fs::copy(fs::path(images()) / name, pool.file(name));
    frames << fmt::format(R"({{"source-ref": "{}", "frame-time-s": {}}})", name, i) << "\n";
  }
  frames.close();
  const auto run = run_logoscope({"dataset", "next", "--model", model(), "--pool", pool.file("frames.manifest"),
                                  "--count", "10", "--json", "-q"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, ::testing::Not(HasSubstr("could not be used")));
  const auto json = nlohmann::json::parse(run.out);
  EXPECT_EQ(json["pool"], 4);
  EXPECT_EQ(json["picks"].size() + json["near_duplicates"].size(), 4U);
}

// A labeled photo that cannot be read is a warning, and the near-duplicates still name the labeled
// photo they look like.
TEST_F(NextCliTest, NearDuplicatesNameTheLabeledPhotoEvenAfterAnUnreadableOne) {
  testing::TempDir pool;
  fs::copy(fs::path(images()) / "synth_0002.jpg", pool.file("copy_of_0002.jpg"));
  fs::copy(fs::path(images()) / "synth_0009.jpg", pool.file("synth_0009.jpg"));
  std::istringstream lines(read_text(labeled_manifest()));
  std::string first;
  std::getline(lines, first);
  const std::string missing = std::regex_replace(first, std::regex("synth_0000"), "gone");
  const std::string labeled = dir_->file("labeled_with_gone.manifest");
  std::ofstream(labeled) << missing << "\n" << read_text(labeled_manifest());
  const auto run = run_logoscope({"dataset", "next", "--model", model(), "--pool", pool.path(), "--labeled", labeled,
                                  "--json", "-q"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("gone"));
  const auto json = nlohmann::json::parse(run.out);
  EXPECT_EQ(json["labeled_compared"], 4);
  ASSERT_EQ(json["near_duplicates"].size(), 1U) << run.out;
  EXPECT_THAT(json["near_duplicates"][0]["image"].get<std::string>(), HasSubstr("copy_of_0002.jpg"));
  EXPECT_THAT(json["near_duplicates"][0]["like"].get<std::string>(), HasSubstr("synth_0002.jpg"));
  EXPECT_TRUE(json["near_duplicates"][0]["like_is_labeled"].get<bool>());
}

TEST_F(NextCliTest, TheListIsWrittenOnceAndNeverOverAnInput) {
  testing::TempDir out;
  const std::string list = out.file("next.txt");
  const auto run = run_logoscope({"dataset", "next", "--model", model(), "--pool", images(), "--count", "2", "--out",
                                  list, "-q"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::istringstream lines(read_text(list));
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    EXPECT_TRUE(fs::exists(line)) << line;
    EXPECT_THAT(run.out, HasSubstr(line));
    ++count;
  }
  EXPECT_EQ(count, 2);
  const auto again = run_logoscope({"dataset", "next", "--model", model(), "--pool", images(), "--out", list, "-q"});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_THAT(again.err, HasSubstr("--overwrite"));
  const std::string before = read_text(labeled_manifest());
  const auto over_input = run_logoscope({"dataset", "next", "--model", model(), "--pool", images(), "--labeled",
                                         labeled_manifest(), "--out", labeled_manifest(), "--overwrite", "-q"});
  EXPECT_EQ(over_input.exit_code, 2);
  EXPECT_EQ(read_text(labeled_manifest()), before);
  const auto zero = run_logoscope({"dataset", "next", "--model", model(), "--pool", images(), "--count", "0"});
  EXPECT_EQ(zero.exit_code, 2);
  EXPECT_THAT(zero.err, HasSubstr("--count"));
}

}  // namespace
}  // namespace logoscope::cli
