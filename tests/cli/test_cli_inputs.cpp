// "An input is never an output, even with --overwrite" (docs/cli.md), command by command: each
// case names an output that is, or is a folder holding, something the command reads, adds
// --overwrite, and checks that the command refuses before writing and that every file of the
// user's is byte for byte as it was.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "core/input_set.hpp"
#include "support/cli_runner.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace logoscope::cli {
namespace {

using ::testing::HasSubstr;
using testing::read_text;
using testing::run_logoscope;

// Every file under `root` with its bytes.
std::map<std::string, std::string> snapshot(const std::string& root) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) files[fs::relative(entry.path(), root).string()] = read_text(entry.path().string());
  }
  return files;
}

class InputsNeverOutputs : public ::testing::Test {
 protected:
  void SetUp() override {
    // The user's data: a labeled dataset with its images and logos, a list of images, a video, a
    // folder that looks like a model.
    data_ = dir_.file("data");
    const auto demo = run_logoscope({"demo", "--out", data_, "--images", "8", "--no-train"});
    ASSERT_EQ(demo.exit_code, 0) << demo.err;
    fs::remove(fs::path(data_) / ".logoscope-demo");  // from here on it is the user's folder
    manifest_ = data_ + "/dataset.manifest";
    images_ = data_ + "/images";
    first_image_ = images_ + "/synth_0000.jpg";
    ASSERT_TRUE(fs::exists(first_image_));
    list_ = data_ + "/photos.txt";
    std::ofstream(list_) << "images/synth_0000.jpg\nimages/synth_0001.jpg\n";
    fs::create_directories(data_ + "/videos");
    video_ = data_ + "/videos/clip.mp4";
    std::ofstream(video_) << "not really a video";
    model_ = data_ + "/model";  // a real model of the user's: the shipped base model, copied
    fs::copy(std::string(LOGOSCOPE_SOURCE_DIR) + "/models/base", model_, fs::copy_options::recursive);
    before_ = snapshot(data_);
  }

  // `serve` has no --overwrite: its --port-file is replaced each start.
  void expect_refused(std::vector<std::string> args, const std::string& what, bool add_overwrite = true) {
    if (add_overwrite) args.push_back("--overwrite");
    const auto run = run_logoscope(args);
    EXPECT_EQ(run.exit_code, 2) << what << "\n" << run.err;
    EXPECT_THAT(run.err, HasSubstr("never modifies your files")) << what;
    EXPECT_EQ(snapshot(data_), before_) << what << ": a file of the user's changed";
  }

  testing::TempDir dir_;
  std::string data_, manifest_, images_, first_image_, list_, video_, model_;
  std::map<std::string, std::string> before_;
};

TEST_F(InputsNeverOutputs, Detect) {
  // The issue's own cases: the labeled manifest and a list of images as --out.
  expect_refused({"detect", "--any-logo", manifest_, "--out", manifest_}, "detect: manifest as --out");
  expect_refused({"detect", "--any-logo", list_, "--out", list_}, "detect: list as --out");
  expect_refused({"detect", "--any-logo", list_, "--out", first_image_}, "detect: a listed image as --out");
  expect_refused({"detect", "--any-logo", images_, "--draw", images_}, "detect: the input folder as --draw");
  expect_refused({"detect", "--any-logo", first_image_, "--draw", data_}, "detect: a folder holding the image");
  expect_refused({"detect", "--model", model_, first_image_, "--draw", model_}, "detect: the model as --draw");
  expect_refused({"detect", "--any-logo", manifest_, "--profile-json", manifest_}, "detect: --profile-json");
  expect_refused({"detect", "--model", model_, first_image_, "--out", model_ + "/model.json"},
                 "detect: --out over the model's own file");
  expect_refused({"detect", "--reference", "acme=" + data_ + "/logos/acme.png", first_image_, "--keep-model",
                  data_ + "/logos"},
                 "detect: --keep-model over the reference's folder");
}

TEST_F(InputsNeverOutputs, Train) {
  const std::vector<std::string> quick = {"--steps", "1", "--scratch", "--batch-size", "2", "--input-size", "128"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), quick.begin(), quick.end());
    return args;
  };
  expect_refused(with({"train", "--train", manifest_, "--out", data_}), "train: --out holds the manifest");
  // Only the library knows the images (it reads the manifest): refused there, before training.
  expect_refused(with({"train", "--train", manifest_, "--out", images_}), "train: --out is the images' folder");
  expect_refused(with({"train", "--train", manifest_, "--negatives", data_ + "/videos", "--out", data_ + "/videos"}),
                 "train: --out is the negatives");
  expect_refused(with({"train", "--reference", "acme=" + data_ + "/logos/acme.png", "--out", data_ + "/logos"}),
                 "train: --out holds the reference");
  expect_refused({"train", "--train", manifest_, "--base", model_, "--out", model_, "--steps", "1"}, "train: --out is --base");
}

TEST_F(InputsNeverOutputs, Evaluate) {
  expect_refused({"evaluate", "--model", model_, "--test", manifest_, "--out", images_}, "evaluate: --out on images");
  expect_refused({"evaluate", "--model", model_, "--test", manifest_, "--out", model_}, "evaluate: --out is the model");
  expect_refused({"evaluate", "--model", model_, "--test", manifest_, "--out", dir_.file("eval"), "--suggest", manifest_},
                 "evaluate: --suggest is the ground truth");
}

TEST_F(InputsNeverOutputs, DatasetCommands) {
  expect_refused({"dataset", "convert", manifest_, manifest_}, "convert: onto itself");
  expect_refused({"dataset", "convert", manifest_, images_, "--to", "yolo"}, "convert: YOLO into the images' folder");
  expect_refused({"dataset", "convert", manifest_, first_image_, "--to", "manifest"}, "convert: onto an image");
  expect_refused({"dataset", "split", manifest_, "--out", data_}, "split: --out holds the manifest");
  expect_refused({"dataset", "split", manifest_, "--out", images_}, "split: --out is the images' folder");
  expect_refused({"dataset", "merge", manifest_, manifest_, manifest_}, "merge: onto the base");
  expect_refused({"dataset", "validate", manifest_, "--fix", manifest_}, "validate --fix: onto itself");
  expect_refused({"dataset", "validate", manifest_, "--fix", first_image_}, "validate --fix: onto an image");
}

TEST_F(InputsNeverOutputs, VideoFramesPretrainServe) {
  expect_refused({"frames", video_, "--out", data_ + "/videos"}, "frames: --out holds the video");
  expect_refused({"video", "--model", model_, video_, "--out", data_}, "video: --out holds the video");
  expect_refused({"pretrain", "--icons", "none", "--photos", images_, "--out", images_, "--steps", "1"},
                 "pretrain: --out is the photos");
  expect_refused({"serve", "--model", model_, "--port-file", model_ + "/model.json"}, "serve: --port-file in the model",
                 false);
}

TEST_F(InputsNeverOutputs, OutputsBesideInputsStillWork) {
  // An output inside an input folder replaces nothing: allowed.
  const auto run = run_logoscope({"dataset", "convert", manifest_, data_ + "/copy.json", "--to", "coco"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(fs::exists(data_ + "/copy.json"));
  // An output inside the model folder, written again: the model's own files are inputs, an
  // earlier run's output is not.
  for (int round = 0; round < 2; ++round) {
    const auto detected = run_logoscope({"detect", "--model", model_, first_image_, "--out", model_ + "/found.jsonl",
                                         "--overwrite"});
    EXPECT_EQ(detected.exit_code, 0) << "round " << round << ": " << detected.err;
  }
}

TEST(InputSet, ComparesThroughSpellingsLinksAndPrefixes) {
  testing::TempDir dir;
  fs::create_directories(dir.file("a/b"));
  std::ofstream(dir.file("a/b/x.jpg")) << "x";
  fs::create_directory_symlink(dir.file("a"), dir.file("link"));
  InputSet inputs;
  inputs.add(dir.file("a/b/x.jpg"));
  inputs.add("s3://bucket/photos/y.jpg");
  EXPECT_FALSE(inputs.check_output(dir.file("a/b/x.jpg"), "--out"));
  EXPECT_FALSE(inputs.check_output(dir.file("a/../a/b/./x.jpg"), "--out"));
  EXPECT_FALSE(inputs.check_output(dir.file("link/b/x.jpg"), "--out"));
  EXPECT_FALSE(inputs.check_output(dir.file("link"), "--out"));
  EXPECT_FALSE(inputs.check_output(dir.file("a/b/"), "--out"));
  // Relative, through a folder that does not exist: still the same place.
  const std::string relative = "nope/../" + fs::relative(dir.file("a"), fs::current_path()).string();
  EXPECT_FALSE(inputs.check_output(relative, "--draw")) << relative;
  // A link to an input file is an input too, and so is the file it names.
  fs::create_symlink(dir.file("a/b/x.jpg"), dir.file("x-link.jpg"));
  InputSet linked;
  linked.add(dir.file("x-link.jpg"));
  EXPECT_FALSE(linked.check_output(dir.file("x-link.jpg"), "--out"));
  EXPECT_FALSE(linked.check_output(dir.file("a/b/x.jpg"), "--out"));
  EXPECT_FALSE(inputs.check_output("s3://bucket/photos/", "--out"));
  EXPECT_FALSE(inputs.check_output("s3://bucket", "--out"));
  const auto refused = inputs.check_output(dir.file("a"), "--draw");
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, HasSubstr("--draw"));
  EXPECT_THAT(refused.error().message, HasSubstr("x.jpg"));
  // Siblings, children of inputs and prefixes that only share a beginning are not inputs.
  EXPECT_TRUE(inputs.check_output(dir.file("a/b/x.jpg.out"), "--out"));
  EXPECT_TRUE(inputs.check_output(dir.file("a/b/other"), "--out"));
  EXPECT_TRUE(inputs.check_output(dir.file("a/bb"), "--out"));
  EXPECT_TRUE(inputs.check_output("s3://bucket/photo", "--out"));
  EXPECT_TRUE(inputs.check_output("s3://bucket/photos/y.jpg.json", "--out"));
  EXPECT_TRUE(inputs.check_output("-", "--out"));
  EXPECT_TRUE(inputs.check_output("", "--out"));
}

TEST(Demo, ReusesOnlyAFolderItMarked) {
  testing::TempDir dir;
  // A folder of the user's that happens to hold a dataset.manifest and an image of the demo's name.
  const std::string mine = dir.file("mine");
  fs::create_directories(mine + "/images");
  std::ofstream(mine + "/dataset.manifest") << "precious labels\n";
  std::ofstream(mine + "/images/synth_0000.jpg") << "precious photo";
  const auto refused = run_logoscope({"demo", "--out", mine, "--images", "8", "--no-train"});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("--overwrite"));
  EXPECT_EQ(read_text(mine + "/dataset.manifest"), "precious labels\n");
  EXPECT_EQ(read_text(mine + "/images/synth_0000.jpg"), "precious photo");
  // The demo's own folder is its to replace, run after run.
  const std::string own = dir.file("own");
  for (int run = 0; run < 2; ++run) {
    const auto demo = run_logoscope({"demo", "--out", own, "--images", "8", "--no-train"});
    EXPECT_EQ(demo.exit_code, 0) << "run " << run << ": " << demo.err;
  }
  EXPECT_TRUE(fs::exists(own + "/.logoscope-demo"));
}

}  // namespace
}  // namespace logoscope::cli
