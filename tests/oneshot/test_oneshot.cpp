// One-shot training (`train --reference`): a detector learnt from a logo file alone finds that
// logo in photos it never saw, made by another generator (synth/, the demo's), and not the other
// logo in them; unusable references and missing inputs are refused clearly; `detect --reference`
// trains a quick model, detects with it and leaves nothing behind.
#include <filesystem>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "imageio/image_io.hpp"
#include "logoscope/train.hpp"
#include "support/cli_runner.hpp"
#include "support/scoped_env.hpp"
#include "support/temp_dir.hpp"
#include "synth/synth_dataset.hpp"

namespace logoscope {
namespace {

using testing::read_text;
using testing::json_lines;
using testing::run_logoscope;

TEST(OneShot, LearnsALogoFromItsFileAloneAndFindsItInUnseenPhotos) {
  testing::TempDir dir;
  // Test photos from the demo's generator: both of its marks, so the second one must not be found.
  // The demo also writes its logos as a brand would hand them over: PNGs with transparency.
  const auto demo = run_logoscope({"demo", "--out", dir.file("demo"), "--images", "40", "--no-train"});
  ASSERT_EQ(demo.exit_code, 0) << demo.err;
  const std::string reference = dir.file("demo/logos/acme.png");
  ASSERT_TRUE(std::filesystem::exists(reference));
  ASSERT_TRUE(std::filesystem::exists(dir.file("demo/logos/bolt.png")));
  // Photos without the logo: the demo generator's backgrounds.
  std::mt19937_64 rng(5);
  std::filesystem::create_directories(dir.file("negatives"));
  for (int i = 0; i < 24; ++i) {
    const cv::Mat background = synth::render_background(rng, 320, 240);
    ASSERT_TRUE(imageio::write_image_file(background, dir.file("negatives/n" + std::to_string(i) + ".jpg")));
  }

  TrainOptions options;
  options.references = {"acme=" + reference};
  options.negatives = {dir.file("negatives")};
  options.test = dir.file("demo/dataset.manifest");
  options.out = dir.file("model");
  options.steps = 100;
  options.batch_size = 8;
  options.input_size = 192;
  options.infer_size = 320;
  options.reference_scenes = 400;
  options.context.threads = 2;
  auto summary = train_model(options);
  ASSERT_TRUE(summary) << summary.error().message;
  ASSERT_TRUE(summary->test);
  EXPECT_GE(summary->test->mean_f1, 0.8) << "precision " << summary->test->mean_precision << ", recall "
                                          << summary->test->mean_recall;

  const auto info = nlohmann::json::parse(read_text(dir.file("model/model.json")));
  EXPECT_EQ(info["labels"], nlohmann::json::array({"acme"}));
  const auto& one_shot = info["training"]["one_shot"];
  ASSERT_TRUE(one_shot.is_object()) << info["training"].dump();
  EXPECT_EQ(one_shot["references"][0]["label"], "acme");
  EXPECT_EQ(one_shot["references"][0]["read_as"], "png alpha");
  EXPECT_EQ(one_shot["training_scenes"], 400);
  EXPECT_EQ(one_shot["background_photos"], 24);
}

TEST(OneShot, UnusableReferencesAndMissingInputsAreRefusedBeforeAnyWork) {
  testing::TempDir dir;
  cv::Mat clear(64, 64, CV_8UC4, cv::Scalar(0, 0, 0, 0));
  ASSERT_TRUE(cv::imwrite(dir.file("clear.png"), clear));
  const auto transparent =
      run_logoscope({"train", "--reference", "Brand=" + dir.file("clear.png"), "--out", dir.file("m1"), "--steps", "5"});
  EXPECT_NE(transparent.exit_code, 0);
  EXPECT_NE(transparent.err.find(dir.file("clear.png")), std::string::npos) << transparent.err;
  EXPECT_NE(transparent.err.find("fully transparent"), std::string::npos) << transparent.err;

  const auto missing = run_logoscope({"train", "--reference", dir.file("nope.svg"), "--out", dir.file("m2")});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("nope.svg"), std::string::npos) << missing.err;

  const auto nothing = run_logoscope({"train", "--out", dir.file("m3")});
  EXPECT_NE(nothing.exit_code, 0);
  EXPECT_NE(nothing.err.find("--reference"), std::string::npos) << nothing.err;
}

TEST(OneShot, DetectWithAReferenceTrainsAQuickModelDetectsWithItAndCleansUp) {
  testing::TempDir dir;
  const auto demo = run_logoscope({"demo", "--out", dir.file("demo"), "--images", "8", "--no-train"});
  ASSERT_EQ(demo.exit_code, 0) << demo.err;
  const std::string reference = "acme=" + dir.file("demo/logos/acme.png");
  const std::string manifest = dir.file("demo/dataset.manifest");
  std::filesystem::create_directories(dir.file("tmp"));
  const testing::ScopedEnv tmpdir("TMPDIR", dir.file("tmp"));
  const auto tmp_is_empty = [&] { return std::filesystem::is_empty(dir.file("tmp")); };

  // Kept: the same model as a folder, and `detect --model` on it answers exactly the same.
  const auto quick = run_logoscope({"detect", "--reference", reference, "--reference-steps", "4", "--keep-model",
                                    dir.file("kept"), manifest, "--min-confidence", "0"});
  ASSERT_EQ(quick.exit_code, 0) << quick.err;
  const auto lines = json_lines(quick.out);
  ASSERT_EQ(lines.size(), 8U) << quick.out;
  std::size_t found = 0;
  for (const auto& line : lines) {
    for (const auto& label : line["CustomLabels"]) {
      EXPECT_EQ(label["Name"], "acme");
      ++found;
    }
  }
  EXPECT_GT(found, 0U) << "no box at all at confidence 0";
  const auto info = nlohmann::json::parse(read_text(dir.file("kept/model.json")));
  EXPECT_EQ(info["training"]["steps"], 4);
  EXPECT_TRUE(info["training"]["one_shot"].is_object());
  const auto again = run_logoscope({"detect", "--model", dir.file("kept"), manifest, "--min-confidence", "0"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, quick.out);

  // Not kept: trained in a temporary folder that is gone afterwards, on success and on failure.
  const auto temporary =
      run_logoscope({"detect", "--reference", reference, "--reference-steps", "1", dir.file("demo/images")});
  EXPECT_EQ(temporary.exit_code, 0) << temporary.err;
  EXPECT_EQ(json_lines(temporary.out).size(), 8U);
  EXPECT_TRUE(tmp_is_empty());
  {  // …and the temporary folder is made under TMPDIR (so the checks above look in the right place).
    const testing::ScopedEnv missing("TMPDIR", dir.file("no-such-folder"));
    const auto nowhere = run_logoscope({"detect", "--reference", reference, manifest});
    EXPECT_NE(nowhere.exit_code, 0);
    EXPECT_NE(nowhere.err.find("cannot create a temporary folder"), std::string::npos) << nowhere.err;
  }
  const auto bad = run_logoscope({"detect", "--reference", dir.file("nope.svg"), manifest});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("nope.svg"), std::string::npos) << bad.err;
  EXPECT_TRUE(tmp_is_empty());

  const auto both = run_logoscope({"detect", "--reference", reference, "--model", dir.file("kept"), manifest});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("not several"), std::string::npos) << both.err;
  const auto bad_label = run_logoscope({"detect", "--reference", reference, "--labels", "acne", "--", manifest});
  EXPECT_EQ(bad_label.exit_code, 2);
  EXPECT_NE(bad_label.err.find("acne is not a label of the references (acme)"), std::string::npos) << bad_label.err;
  const auto same_folder = run_logoscope(
      {"detect", "--reference", reference, "--keep-model", dir.file("d"), "--draw", dir.file("d"), manifest});
  EXPECT_EQ(same_folder.exit_code, 2);
  EXPECT_NE(same_folder.err.find("give the model its own folder"), std::string::npos) << same_folder.err;
  const auto time_alone = run_logoscope({"detect", "--model", dir.file("kept"), "--reference-time", "2m", manifest});
  EXPECT_EQ(time_alone.exit_code, 2);
  EXPECT_NE(time_alone.err.find("go with --reference"), std::string::npos) << time_alone.err;
  const auto keep_alone = run_logoscope({"detect", "--model", dir.file("kept"), "--keep-model", dir.file("k2"), manifest});
  EXPECT_EQ(keep_alone.exit_code, 2);
  EXPECT_NE(keep_alone.err.find("--keep-model goes with --reference"), std::string::npos) << keep_alone.err;
}

}  // namespace
}  // namespace logoscope
