// NanoDet-g in libtorch: the published weights mapped onto NanoDetNet reproduce what the original
// graph computes when an independent implementation (tools/reference/nanodet: @tensorflow/tfjs in
// Node) runs it; the inference form agrees with the module; the FCOS view decodes distributions.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "infer/folded_nanodet.hpp"
#include "infer/folded_net.hpp"
#include "model/fcos_head_ops.hpp"
#include "model/nanodet_net.hpp"
#include "model/network_io.hpp"
#include "pretrained/pretrained_files.hpp"
#include "pretrained/tfjs_weights.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace logoscope::model {
namespace {

// scripts/test.sh sets LOGOSCOPE_REQUIRE_PRETRAINED=1 after scripts/setup.sh fetched the weights:
// there, missing weights fail the test instead of skipping it.
bool weights_required() {
  const char* value = std::getenv("LOGOSCOPE_REQUIRE_PRETRAINED");
  return value != nullptr && std::string(value) == "1";
}

TEST(NanoDet, ReproducesTheOriginalGraphRunByTensorFlowJs) {
  auto folder = pretrained::locate_verified(pretrained::nanodet_g_package());
  if (!folder) {
    if (weights_required()) FAIL() << folder.error().message;
    GTEST_SKIP() << folder.error().message;
  }
  const auto weights = pretrained::TfjsWeights::read((fs::path(*folder) / "nanodet.json").string());
  ASSERT_TRUE(weights) << weights.error().message;
  auto net = nanodet_from_tfjs(*weights, 80);
  ASSERT_TRUE(net) << net.error().message;
  (*net)->eval();

  std::ifstream in(fs::path(LOGOSCOPE_SOURCE_DIR) / "tests/model/data/nanodet_golden.json");
  const auto golden = nlohmann::json::parse(in);
  const int size = golden["input"]["size"];
  // The golden input is NanoDet's normalised BGR; NanoDetNet reads normalised RGB.
  auto input = torch::empty({1, 3, size, size});
  auto acc = input.accessor<float, 4>();
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < size; ++y) {
      for (int x = 0; x < size; ++x) {
        const double checker = (((x >> 5) + (y >> 5)) & 1) != 0 ? 0.5 : -0.5;
        acc[0][2 - c][y][x] = static_cast<float>(1.5 * std::sin(0.05 * x + 0.07 * y + c) + checker);
      }
    }
  }
  torch::NoGradGuard no_grad;
  const auto levels = (*net)->forward_raw(input);
  int compared = 0;
  for (const auto& output : golden["outputs"]) {
    const int level = output["stride"] == 8 ? 0 : output["stride"] == 16 ? 1 : 2;
    const bool scores = output["kind"] == "scores";
    // [1, C, h, w] → [h·w, C], the graph's layout.
    auto values = (scores ? torch::sigmoid(levels[static_cast<std::size_t>(level)].cls)
                          : levels[static_cast<std::size_t>(level)].bins)[0];
    values = values.permute({1, 2, 0}).reshape({-1, values.size(0)}).contiguous();
    ASSERT_EQ(values.size(0), output["locations"].get<int>()) << output["name"];
    ASSERT_EQ(values.size(1), output["channels"].get<int>()) << output["name"];
    const double sum = values.sum().item<double>();
    const double expected_sum = output["sum"];
    EXPECT_NEAR(sum, expected_sum, 1e-3 * std::max(1.0, std::abs(expected_sum)) + 0.05) << output["name"];
    for (const auto& sample : output["samples"]) {
      const double got = values[sample[0].get<int>()][sample[1].get<int>()].item<double>();
      EXPECT_NEAR(got, sample[2].get<double>(), 2e-4 + 2e-4 * std::abs(sample[2].get<double>()))
          << output["name"] << " location " << sample[0] << " channel " << sample[1];
      ++compared;
    }
  }
  EXPECT_EQ(compared, 6 * 300);
}

TEST(NanoDet, MissingOrMisshapenTensorsAreNamedErrors) {
  const auto empty = pretrained::TfjsWeights::parse(R"({"weightsManifest": [{"paths": [], "weights": []}]})", {}, "w.json");
  ASSERT_TRUE(empty);
  const auto missing = nanodet_from_tfjs(*empty, 2);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("w.json: tensor \"PartitionedCall/split\" is missing"), std::string::npos)
      << missing.error().message;
}

// Random weights with large enough biases that every layer matters.
std::shared_ptr<NanoDetNetImpl> random_nanodet(int labels) {
  torch::manual_seed(3);
  auto net = std::make_shared<NanoDetNetImpl>(labels);
  torch::NoGradGuard no_grad;
  for (auto& parameter : net->named_parameters()) {
    if (parameter.key().find("bias") != std::string::npos) parameter.value().uniform_(-0.3, 0.3);
  }
  for (int level = 0; level < 3; ++level) net->ctr_out(level)->weight.normal_(0.0, 0.05);
  net->eval();
  return net;
}

TEST(NanoDet, InferenceFormAgreesWithTheModule) {
  auto net = random_nanodet(3);
  auto fast = infer::make_inference_net(*net);
  ASSERT_TRUE(fast) << fast.error().message;
  const auto images = torch::rand({2, 3, 96, 160});
  const auto mean = torch::tensor({kImageMean[0], kImageMean[1], kImageMean[2]}).view({1, 3, 1, 1});
  const auto std_dev = torch::tensor({kImageStd[0], kImageStd[1], kImageStd[2]}).view({1, 3, 1, 1});
  const auto normalised = ((images - mean) / std_dev).contiguous(torch::MemoryFormat::ChannelsLast);
  torch::NoGradGuard no_grad;
  const auto expected = flatten_levels(net->forward(images));
  const auto got = flatten_levels((*fast)->forward(normalised));
  ASSERT_EQ(got.cls.sizes(), expected.cls.sizes());
  EXPECT_LT((got.cls - expected.cls).abs().max().item<double>(), 1e-3);
  EXPECT_LT((got.ctr - expected.ctr).abs().max().item<double>(), 1e-3);
  EXPECT_LT((got.box - expected.box).abs().max().item<double>(), 1e-2);
  EXPECT_GT(expected.cls.std().item<double>(), 1e-3);
  EXPECT_GT(expected.box.std().item<double>(), 1e-2);
}

TEST(NanoDet, BoxSidesAreTheExpectedBinTimesTheStride) {
  auto bins = torch::full({1, 44, 1, 1}, -30.0);
  bins[0][3][0][0] = 30.0;            // left: all mass on bin 3
  bins[0][11 + 0][0][0] = 0.0;        // top: bins 0 and 10 equally likely → 5
  bins[0][11 + 10][0][0] = 0.0;
  bins[0][22 + 10][0][0] = 30.0;      // right: bin 10
  for (int bin = 0; bin <= 10; ++bin) bins[0][33 + bin][0][0] = 0.0;  // bottom: uniform → 5
  const auto sides = nanodet_distances(bins, 16);
  EXPECT_NEAR(sides[0][0][0][0].item<double>(), 48.0, 1e-3);
  EXPECT_NEAR(sides[0][1][0][0].item<double>(), 80.0, 1e-3);
  EXPECT_NEAR(sides[0][2][0][0].item<double>(), 160.0, 1e-3);
  EXPECT_NEAR(sides[0][3][0][0].item<double>(), 80.0, 1e-3);
}

TEST(NanoDet, FreezingStopsGradientsUpToTheChosenStage) {
  auto net = random_nanodet(1);
  net->freeze(2);  // stem + stage 1
  for (const auto& parameter : net->named_parameters()) {
    const bool frozen = parameter.key().rfind("stem", 0) == 0 || parameter.key().rfind("stage1_", 0) == 0;
    EXPECT_EQ(parameter.value().requires_grad(), !frozen) << parameter.key();
  }
  EXPECT_TRUE(net->is_head_parameter("head1_cls.weight"));
  EXPECT_FALSE(net->is_head_parameter("head1_conv.weight"));
  EXPECT_FALSE(net->is_head_parameter("stage3_out.bias"));
}

TEST(NanoDet, SavesAndLoadsThroughTheModelFolder) {
  testing::TempDir dir;
  auto net = random_nanodet(2);
  ModelInfo info;
  info.architecture = kNanoDetArchitecture;
  info.labels = {"a", "b"};
  info.thresholds = {0.5F, 0.5F};
  ASSERT_TRUE(save_network(*net, dir.file("weights.pt")));
  ASSERT_TRUE(write_model_info(info, dir.path()));
  const auto reread = read_model_info(dir.path());
  ASSERT_TRUE(reread) << reread.error().message;
  EXPECT_EQ(reread->architecture, kNanoDetArchitecture);
  auto loaded = load_network(*reread, dir.file("weights.pt"));
  ASSERT_TRUE(loaded) << loaded.error().message;
  (*loaded)->eval();
  const auto images = torch::rand({1, 3, 64, 64});
  torch::NoGradGuard no_grad;
  const auto a = flatten_levels(net->forward(images));
  const auto b = flatten_levels((*loaded)->forward(images));
  EXPECT_TRUE(torch::allclose(a.cls, b.cls, 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(a.box, b.box, 1e-4, 1e-4));
  // Another architecture is refused as a base.
  ModelInfo other = info;
  other.architecture = kResnetFpnArchitecture;
  auto resnet = build_network(other);
  const auto refused = init_from_base(*resnet, dir.path());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("nanodet-g network"), std::string::npos) << refused.error().message;
}

}  // namespace
}  // namespace logoscope::model
