// `logoscope train` options beyond the basic run (which test_cli.cpp covers): starting from a base
// model, resuming, and a time cap that cuts the default step count short.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "support/cli_runner.hpp"
#include "support/scoped_env.hpp"
#include "support/temp_dir.hpp"

namespace logoscope::cli {
namespace {

using ::testing::HasSubstr;
using testing::read_text;
using testing::run_logoscope;

TEST(TrainCli, StartsFromABaseModelAndRecordsIt) {
  testing::TempDir dir;
  const auto demo = run_logoscope({"demo", "--out", dir.path(), "--images", "8", "--no-train"});
  ASSERT_EQ(demo.exit_code, 0) << demo.err;
  const std::string manifest = dir.file("dataset.manifest");
  const std::vector<std::string> quick = {"--epochs", "1", "--batch-size", "4", "--input-size", "128", "--infer-size", "160"};
  auto args = std::vector<std::string>{"train", "--train", manifest, "--out", dir.file("base")};
  args.insert(args.end(), quick.begin(), quick.end());
  ASSERT_EQ(run_logoscope(args).exit_code, 0);

  args = {"train", "--train", manifest, "--out", dir.file("tuned"), "--base", dir.file("base")};
  args.insert(args.end(), quick.begin(), quick.end());
  const auto tuned = run_logoscope(args);
  ASSERT_EQ(tuned.exit_code, 0) << tuned.err;
  const auto model = nlohmann::json::parse(read_text(dir.file("tuned/model.json")));
  EXPECT_EQ(model["training"]["base_model"], dir.file("base"));

  // A folder that is not a model is a clear usage error.
  args = {"train", "--train", manifest, "--out", dir.file("bad"), "--base", dir.path()};
  args.insert(args.end(), quick.begin(), quick.end());
  const auto bad = run_logoscope(args);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("model.json"));
}

TEST(TrainCli, StartsFromTheBuiltInBaseModelUnlessToldOtherwise) {
  testing::TempDir dir;
  ASSERT_EQ(run_logoscope({"demo", "--out", dir.path(), "--images", "8", "--no-train"}).exit_code, 0);
  const std::string manifest = dir.file("dataset.manifest");
  const std::vector<std::string> quick = {"--epochs", "1", "--batch-size", "4", "--input-size", "128", "--infer-size", "160"};
  const auto train = [&](const std::string& out, std::vector<std::string> extra) {
    auto args = std::vector<std::string>{"train", "--train", manifest, "--out", dir.file(out)};
    args.insert(args.end(), quick.begin(), quick.end());
    args.insert(args.end(), extra.begin(), extra.end());
    return run_logoscope(args);
  };
  const auto base_model = [&](const std::string& out) {
    return nlohmann::json::parse(read_text(dir.file(out + "/model.json")))["training"]["base_model"];
  };
  ASSERT_EQ(train("stand-in", {"--scratch"}).exit_code, 0);
  EXPECT_EQ(base_model("stand-in"), "");

  const testing::ScopedEnv env("LOGOSCOPE_BASE_MODEL", dir.file("stand-in"));
  const auto by_default = train("default", {});
  ASSERT_EQ(by_default.exit_code, 0) << by_default.err;
  EXPECT_EQ(base_model("default"), dir.file("stand-in"));
  ASSERT_EQ(train("scratch", {"--scratch"}).exit_code, 0);
  EXPECT_EQ(base_model("scratch"), "");

  const auto both = train("both", {"--scratch", "--base", dir.file("stand-in")});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_THAT(both.err, HasSubstr("--scratch"));
}

TEST(TrainCli, ResumeContinuesTheNetworkItCheckpointed) {
  // The default start is the built-in nanodet-g base; a resumed run must rebuild that network,
  // not the architecture a run without a base would get.
  testing::TempDir dir;
  ASSERT_EQ(run_logoscope({"demo", "--out", dir.path(), "--images", "8", "--no-train"}).exit_code, 0);
  const testing::ScopedEnv env("LOGOSCOPE_BASE_MODEL", std::string(LOGOSCOPE_SOURCE_DIR) + "/models/base");
  const auto train = [&](const std::string& steps, std::vector<std::string> extra) {
    auto args = std::vector<std::string>{"train", "--train", dir.file("dataset.manifest"), "--out", dir.file("m"),
                                         "--steps", steps, "--batch-size", "2", "--input-size", "128",
                                         "--infer-size", "160"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_logoscope(args);
  };
  const auto first = train("2", {});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto state = nlohmann::json::parse(read_text(dir.file("m/last_state.json")));
  EXPECT_EQ(state["network"]["architecture"], "nanodet-g");
  // As after a kill: the checkpoint is there, the finished model is not.
  std::filesystem::remove(dir.file("m/model.json"));
  std::filesystem::remove(dir.file("m/weights.pt"));
  const auto resumed = train("4", {"--resume"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  const auto model = nlohmann::json::parse(read_text(dir.file("m/model.json")));
  EXPECT_EQ(model["network"]["architecture"], "nanodet-g");
  EXPECT_EQ(model["training"]["steps"], 4);
}

TEST(TrainCli, ANanoDetModelCarriesItsInt8CalibrationAndDetectUsesIt) {
  testing::TempDir dir;
  ASSERT_EQ(run_logoscope({"demo", "--out", dir.path(), "--images", "8", "--no-train"}).exit_code, 0);
  const testing::ScopedEnv env("LOGOSCOPE_BASE_MODEL", std::string(LOGOSCOPE_SOURCE_DIR) + "/models/base");
  const auto trained = run_logoscope({"train", "--train", dir.file("dataset.manifest"), "--out", dir.file("m"),
                                      "--steps", "2", "--batch-size", "2", "--input-size", "128", "--infer-size",
                                      "160"});
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  const auto model = nlohmann::json::parse(read_text(dir.file("m/model.json")));
  const auto& int8 = model["quantization"]["int8"];
  ASSERT_TRUE(int8.is_object()) << model.dump(2);
  // The sizes detect runs: the whole pass and the large-logo pass (0.85 × 0.95 × 128 → 96).
  EXPECT_EQ(int8["long_sides"], nlohmann::json::array({160, 96}));
  EXPECT_EQ(int8["convs"].size(), 34U);
  EXPECT_GT(int8["images"].get<int>(), 0);

  const auto detected = run_logoscope({"detect", "--model", dir.file("m"), "--int8", dir.file("images")});
  if (std::string(detected.err).find("oneDNN quantized engine") != std::string::npos) {
    GTEST_SKIP() << detected.err;
  }
  EXPECT_EQ(detected.exit_code, 0) << detected.err;
  EXPECT_THAT(detected.out, HasSubstr("CustomLabels"));

  // The fcos start has no int8 path; a model without a calibration is refused, not run in float.
  const auto refused = run_logoscope({"detect", "--model", std::string(LOGOSCOPE_SOURCE_DIR) + "/models/base-fcos-resnet-fpn",
                                      "--int8", dir.file("images")});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("int8"));
}

// Flip averaging is the model's setting: on by default, off with --no-flip-average or when nothing
// was mirrored in training (--no-flips); --no-flip labels are recorded for the fusion. detect's
// --flip-average / --no-flip-average choose per run, and not both at once.
TEST(TrainCli, AModelSaysWhetherDetectionAveragesTheMirrorImage) {
  testing::TempDir dir;
  ASSERT_EQ(run_logoscope({"demo", "--out", dir.path(), "--images", "8", "--no-train"}).exit_code, 0);
  const auto train = [&](const std::string& out, std::vector<std::string> extra) {
    auto args = std::vector<std::string>{"train", "--train", dir.file("dataset.manifest"), "--out", dir.file(out),
                                         "--scratch", "--steps", "2", "--batch-size", "2", "--input-size", "128",
                                         "--infer-size", "160"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto run = run_logoscope(args);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return nlohmann::json::parse(read_text(dir.file(out + "/model.json")));
  };
  const auto both = train("both", {});
  EXPECT_EQ(both["input"]["flip_average"], true);
  EXPECT_EQ(both["training"]["flip_average"], true);
  const auto labels = both["labels"].get<std::vector<std::string>>();
  ASSERT_FALSE(labels.empty());
  EXPECT_EQ(train("one", {"--no-flip-average"})["input"]["flip_average"], false);
  EXPECT_EQ(train("unmirrored", {"--no-flips"})["input"]["flip_average"], false);
  EXPECT_EQ(train("protected", {"--no-flip", labels.front()})["input"]["no_flip_labels"],
            nlohmann::json::array({labels.front()}));

  // detect runs the model's setting unless told; --profile-json counts the network passes.
  const auto passes = [&](const std::string& model, std::vector<std::string> extra) {
    auto args = std::vector<std::string>{"detect", "-q", "--model", dir.file(model), dir.file("images"),
                                         "--images-at-once", "1", "--no-large-logo-pass", "--tile", "off",
                                         "--profile-json", dir.file("profile.json"), "--out", dir.file("found.jsonl"),
                                         "--overwrite"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto run = run_logoscope(args);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    const auto profile = nlohmann::json::parse(read_text(dir.file("profile.json")));
    return profile["network_passes"].get<double>() / profile["images_detected"].get<double>();
  };
  EXPECT_EQ(passes("both", {}), 2.0);
  EXPECT_EQ(passes("both", {"--no-flip-average"}), 1.0);
  EXPECT_EQ(passes("one", {}), 1.0);
  EXPECT_EQ(passes("one", {"--flip-average"}), 2.0);
  const auto refused = run_logoscope({"detect", "--model", dir.file("both"), "--flip-average", "--no-flip-average",
                                      dir.file("images")});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("flip-average"));
}

TEST(TrainCli, ATimeCapThatCutsTheDefaultStepsShortSaysSo) {
  testing::TempDir dir;
  ASSERT_EQ(run_logoscope({"demo", "--out", dir.path(), "--images", "8", "--no-train"}).exit_code, 0);
  const auto run = run_logoscope({"train", "--train", dir.file("dataset.manifest"), "--out", dir.file("m"), "--scratch",
                                  "--time-budget", "2s", "--batch-size", "2", "--input-size", "128", "--infer-size",
                                  "160"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // The default for two labels and a few photos is 600 steps; two seconds train far fewer.
  EXPECT_THAT(run.out, HasSubstr("--time-budget 2s stopped training at "));
  EXPECT_THAT(run.out, HasSubstr(" of 600 steps: expect lower accuracy"));
  const auto model = nlohmann::json::parse(read_text(dir.file("m/model.json")));
  EXPECT_EQ(model["training"]["stopped_by"], "time_budget");
  EXPECT_EQ(model["training"]["max_steps"], 600);
  EXPECT_EQ(model["training"]["steps_from"], "recipe");
  EXPECT_LT(model["training"]["steps"].get<int>(), 600);
}

}  // namespace
}  // namespace logoscope::cli
