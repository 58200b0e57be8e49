// Pretraining a base model on generated scenes: the folder is a normal one-label model whose
// model.json records how its scenes were made, and fine-tuning takes over every layer of it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "model/base_model.hpp"
#include "model/detector_net.hpp"
#include "model/model_info.hpp"
#include "model/network_io.hpp"
#include "support/temp_dir.hpp"
#include "pretrain/pretrain.hpp"

namespace fs = std::filesystem;

namespace logoscope::pretrain {
namespace {

PretrainConfig tiny_config() {
  PretrainConfig config;
  config.library.icons_dir = "";  // font wordmarks only: no icon set needed
  config.library.wordmarks = 40;
  config.scene_count = 24;
  config.validation_scenes = 4;
  config.test_scenes = 4;
  config.scenes.seed = 9;
  config.train.input_size = 128;
  config.train.infer_long_side = 128;
  config.train.batch_size = 4;
  config.train.epochs = 1;
  config.train.time_budget_s = 1e9;
  return config;
}

TEST(Pretrain, WritesAOneLabelModelThatRecordsItsScenes) {
  testing::TempDir dir;
  const std::string model_dir = dir.file("base");
  const auto summary = pretrain_base_model(tiny_config(), model_dir);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_GT(summary->steps, 0);
  EXPECT_FALSE(summary->test_metrics.empty());

  const auto info = model::read_model_info(model_dir);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->labels, std::vector<std::string>{kAnyLogoLabel});
  const auto& pretraining = info->training.at("pretraining");
  EXPECT_EQ(pretraining["scenes"]["seed"], 9);
  EXPECT_EQ(pretraining["scenes"]["width"], 128);
  EXPECT_EQ(pretraining["marks"]["icon_count"], 0);
  EXPECT_EQ(pretraining["marks"]["wordmark_count"], 40);
  EXPECT_EQ(pretraining["training_scenes"]["count"], 24);
  EXPECT_EQ(pretraining["test_scenes"]["first"], 28);
  EXPECT_EQ(info->datasets["train"]["images"], 24);
  EXPECT_TRUE(fs::exists(fs::path(model_dir) / "scenes" / "test" / "images" / "scene_00000028.jpg"));

  // A one-label model takes over every tensor, the "logo" score included; so does a 3-label model,
  // whose every label starts as the base's "logo" classifier.
  model::DetectorNet same(model::NetConfig::small(1));
  const auto one = model::init_from_base(*same, model_dir);
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ(one->skipped, 0);
  model::DetectorNet three(model::NetConfig::small(3));
  const auto other = model::init_from_base(*three, model_dir);
  ASSERT_TRUE(other) << other.error().message;
  EXPECT_EQ(other->skipped, 0);
  torch::NoGradGuard no_grad;
  const auto logo = same->named_parameters()["cls_out.weight"];
  const auto labels = three->named_parameters()["cls_out.weight"];
  ASSERT_EQ(labels.size(0), 3);
  for (int label = 0; label < 3; ++label) EXPECT_TRUE(torch::equal(labels[label], logo[0])) << label;
  EXPECT_TRUE(torch::equal(three->named_parameters()["cls_out.bias"], same->named_parameters()["cls_out.bias"].expand({3})));
}

TEST(Pretrain, RejectsAnEmptySceneCountAndAnEmptyLibrary) {
  testing::TempDir dir;
  auto config = tiny_config();
  config.scene_count = 0;
  EXPECT_FALSE(pretrain_base_model(config, dir.file("a")));
  config = tiny_config();
  config.library.wordmarks = 0;  // no icons and no wordmarks: nothing to draw
  const auto result = pretrain_base_model(config, dir.file("b"));
  ASSERT_FALSE(result);
  EXPECT_FALSE(result.error().message.empty());
}

// models/base (nanodet-g) and models/base-fcos-resnet-fpn are committed with the source: `logoscope
// train` and `detect --any-logo` find them, each says how it was made, and fine-tuning takes over
// every tensor of a one-label base.
TEST(BaseModel, ShipsWithTheSourceTreeAndSaysHowItWasMade) {
  if (std::getenv("LOGOSCOPE_BASE_MODEL") != nullptr) GTEST_SKIP() << "LOGOSCOPE_BASE_MODEL overrides models/base";
  for (const std::string architecture : {"", "nanodet-g", "fcos-resnet-fpn"}) {
    const auto dir = model::find_builtin_base_model(architecture);
    ASSERT_TRUE(dir) << architecture << ": looked in " << model::builtin_base_model_search_paths();
    const auto info = model::read_model_info(*dir);
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->architecture, architecture.empty() ? "nanodet-g" : architecture) << *dir;
    EXPECT_EQ(info->labels, std::vector<std::string>{kAnyLogoLabel});
    EXPECT_TRUE(info->training.contains("pretraining"));
    EXPECT_TRUE(fs::exists(fs::path(*dir) / "MODEL_CARD.md")) << *dir;
    auto net = model::build_network(*info);
    const auto init = model::init_from_base(*net, *dir);
    ASSERT_TRUE(init) << init.error().message;
    EXPECT_EQ(init->skipped, 0);
  }
}

}  // namespace
}  // namespace logoscope::pretrain
