// One-shot training (`train --reference`): a detector learnt from a logo file alone finds that
// logo in photos it never saw, made by another generator (synth/, the demo's), and not the other
// logo in them; unusable references and missing inputs are refused clearly.
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "imageio/image_io.hpp"
#include "logoscope/train.hpp"
#include "support/cli_runner.hpp"
#include "support/temp_dir.hpp"
#include "synth/synth_dataset.hpp"

namespace logoscope {
namespace {

using testing::read_text;
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

}  // namespace
}  // namespace logoscope
