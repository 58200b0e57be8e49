// The libtorch side of inference against naive references: box decoding (model::decode_image vs
// infer::decode_reference), the folded network (FoldedNet vs DetectorNet's own forward), and the
// mapping of tile passes back to image pixels.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <tuple>

#include <torch/torch.h>
#include <opencv2/imgproc.hpp>

#include "core/cpu_features.hpp"
#include "infer/decode_reference.hpp"
#include "infer/folded_net.hpp"
#include "infer/network_runner.hpp"
#include "infer/predictor.hpp"
#include "model/fcos_head_ops.hpp"
#include "model/fcos_targets.hpp"

namespace logoscope::infer {
namespace {

bool box_less(const Detection& a, const Detection& b) {
  return std::tie(a.x0, a.y0, a.x1, a.y1, a.label) < std::tie(b.x0, b.y0, b.x1, b.y1, b.label);
}

TEST(Decode, MatchesTheReferenceOnRandomTensors) {
  torch::manual_seed(3);
  std::mt19937 rng(3);
  int compared = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const int labels = 1 + trial % 4;
    const int w = 32 * (1 + trial % 5);
    const int h = 32 * (1 + (trial / 5) % 4);
    const auto layout = model::GridLayout::make(w, h, {8, 16, 32});
    const auto centres = model::location_centres(layout);
    const auto cls = torch::randn({layout.total, labels}) * 2.0 - 2.0;
    const auto box = torch::exp(torch::randn({layout.total, 4}) + 2.0);
    const auto ctr = torch::randn({layout.total});
    const float min_score = trial % 3 == 0 ? 0.01F : 0.3F;
    const int top_k = trial % 4 == 0 ? 7 : 1000;
    const double sx = 0.5 + 0.1 * (trial % 7);
    const double sy = 0.4 + 0.1 * (trial % 5);
    const int image_w = static_cast<int>(w / sx) - 3;
    const int image_h = static_cast<int>(h / sy) - 2;
    auto fast = model::decode_image(cls, box, ctr, centres, min_score, top_k, sx, sy, image_w, image_h);
    const HeadOutputView view{cls.data_ptr<float>(),
                              box.data_ptr<float>(),
                              ctr.data_ptr<float>(),
                              centres.data_ptr<float>(),
                              static_cast<std::size_t>(layout.total),
                              labels};
    auto reference = decode_reference(view, min_score, top_k, sx, sy, image_w, image_h);
    ASSERT_EQ(fast.size(), reference.size()) << "trial " << trial;
    if (top_k < 1000) {
      // Both return the top_k in descending score; compare in that order.
      for (std::size_t i = 0; i < fast.size(); ++i) EXPECT_NEAR(fast[i].score, reference[i].score, 1e-6);
    }
    std::sort(fast.begin(), fast.end(), box_less);
    std::sort(reference.begin(), reference.end(), box_less);
    for (std::size_t i = 0; i < fast.size(); ++i) {
      EXPECT_EQ(fast[i].x0, reference[i].x0) << "trial " << trial;
      EXPECT_EQ(fast[i].y0, reference[i].y0);
      EXPECT_EQ(fast[i].x1, reference[i].x1);
      EXPECT_EQ(fast[i].y1, reference[i].y1);
      EXPECT_EQ(fast[i].label, reference[i].label);
      EXPECT_NEAR(fast[i].score, reference[i].score, 1e-6);
      EXPECT_GE(fast[i].x0, 0.0);
      EXPECT_LE(fast[i].x1, image_w);
      EXPECT_LE(fast[i].y1, image_h);
      ++compared;
    }
  }
  EXPECT_GT(compared, 1000);
}

// A network with every batch norm holding non-trivial statistics, so that folding matters.
model::DetectorNet random_net(int labels, int head_convs) {
  torch::manual_seed(11);
  model::NetConfig config = model::NetConfig::small(labels);
  config.head_convs = head_convs;
  model::DetectorNet net(config);
  torch::NoGradGuard no_grad;
  for (auto& module : net->modules(false)) {
    if (auto* bn = module->as<torch::nn::BatchNorm2d>()) {
      bn->running_mean.uniform_(-0.5, 0.5);
      bn->running_var.uniform_(0.5, 2.0);
      bn->weight.uniform_(0.5, 1.5);
      bn->bias.uniform_(-0.2, 0.2);
    }
  }
  for (auto& parameter : net->named_parameters()) {
    if (parameter.key() == "level_scales") parameter.value().uniform_(0.5, 1.2);
  }
  net->eval();
  return net;
}

TEST(FoldedNet, AgreesWithTheModuleItFolds) {
  for (const int head_convs : {1, 2}) {
    auto net = random_net(3, head_convs);
    const auto folded = FoldedNet::fold(*net);
    ASSERT_TRUE(folded) << folded.error().message;
    cv::Mat rgb(96, 160, CV_8UC3);
    cv::randu(rgb, cv::Scalar::all(0), cv::Scalar::all(255));
    auto normalised = torch::empty({1, 96, 160, 3});
    normalise_into(rgb, normalised.data_ptr<float>(), 160, 96);
    const auto folded_out = model::flatten_levels(folded->forward(normalised.permute({0, 3, 1, 2})));
    const auto input =
        torch::from_blob(rgb.data, {1, 96, 160, 3}, torch::kUInt8).permute({0, 3, 1, 2}).to(torch::kFloat) /
        255.0;
    torch::NoGradGuard no_grad;
    const auto module_out = model::flatten_levels(net->forward(input));
    ASSERT_EQ(folded_out.cls.sizes(), module_out.cls.sizes());
    EXPECT_LT((folded_out.cls - module_out.cls).abs().max().item<double>(), 1e-3);
    EXPECT_LT((folded_out.ctr - module_out.ctr).abs().max().item<double>(), 1e-3);
    EXPECT_LT(((folded_out.box - module_out.box).abs() / (module_out.box.abs() + 1.0)).max().item<double>(),
              1e-3);
    // And the outputs are not trivially equal (the network computes something).
    EXPECT_GT(module_out.cls.std().item<double>(), 1e-3);
  }
}

TEST(NormaliseInto, IsTheModulesNormalisationAndPadsWithGrey) {
  cv::Mat rgb(2, 100, CV_8UC3);
  for (int x = 0; x < 100; ++x) {
    for (int c = 0; c < 3; ++c)
      rgb.at<cv::Vec3b>(0, x)[c] = static_cast<std::uint8_t>((x * 7 + c * 85) % 256);
    rgb.at<cv::Vec3b>(1, x) = cv::Vec3b(255, 0, 128);
  }
  const int w = 128;
  const int h = 4;
  std::vector<float> canvas(static_cast<std::size_t>(w * h * 3));
  std::vector<c10::BFloat16> canvas_bf16(canvas.size());
  normalise_into(rgb, canvas.data(), w, h);
  normalise_into(rgb, canvas_bf16.data(), w, h);
  const float mean[] = {0.485F, 0.456F, 0.406F};
  const float std_dev[] = {0.229F, 0.224F, 0.225F};
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      for (int c = 0; c < 3; ++c) {
        const int value = y < 2 && x < 100 ? rgb.at<cv::Vec3b>(y, x)[c] : 114;
        const float expected = (static_cast<float>(value) / 255.0F - mean[c]) / std_dev[c];
        const auto i = static_cast<std::size_t>((y * w + x) * 3 + c);
        ASSERT_NEAR(canvas[i], expected, 1e-5) << x << "," << y << "," << c;
        ASSERT_EQ(static_cast<float>(canvas_bf16[i]), static_cast<float>(c10::BFloat16(canvas[i])));
      }
    }
  }
}

TEST(FoldedNet, Bf16StaysCloseToFloat) {
  if (!cpu_features().bf16_convolutions()) {
    GTEST_SKIP() << "bfloat16 convolutions need AVX-512 BW/VL/DQ; this CPU has: " << cpu_features().flags();
  }
  auto net = random_net(2, 1);
  const auto folded = FoldedNet::fold(*net);
  const auto folded_bf16 = FoldedNet::fold(*net, Precision::kBf16);
  ASSERT_TRUE(folded && folded_bf16);
  EXPECT_EQ(folded_bf16->input_dtype(), torch::kBFloat16);
  cv::Mat rgb(64, 96, CV_8UC3);
  cv::randu(rgb, cv::Scalar::all(0), cv::Scalar::all(255));
  auto input = torch::empty({1, 64, 96, 3});
  auto input_bf16 = torch::empty({1, 64, 96, 3}, torch::kBFloat16);
  normalise_into(rgb, input.data_ptr<float>(), 96, 64);
  normalise_into(rgb, input_bf16.data_ptr<c10::BFloat16>(), 96, 64);
  const auto a = model::flatten_levels(folded->forward(input.permute({0, 3, 1, 2})));
  const auto b = model::flatten_levels(folded_bf16->forward(input_bf16.permute({0, 3, 1, 2})));
  EXPECT_EQ(b.cls.scalar_type(), torch::kFloat);
  const double spread = a.cls.std().item<double>();
  EXPECT_LT((a.cls - b.cls).abs().max().item<double>(), 0.1 * spread + 0.05);
  EXPECT_GT((a.cls - b.cls).abs().max().item<double>(), 0.0);  // it really is another precision
}

TEST(FoldedNet, Bf16IsAClearErrorWhereTheCpuCannot) {
  if (cpu_features().bf16_convolutions()) GTEST_SKIP() << "this CPU runs bfloat16 convolutions";
  auto net = random_net(2, 1);
  const auto refused = make_inference_net(*net, Precision::kBf16);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("AVX-512"), std::string::npos) << refused.error().message;
}

TEST(FoldedNet, RefusesAnotherLayout) {
  model::DetectorNet net(model::NetConfig::small(1));
  net->unregister_module("stem");
  const auto refused = FoldedNet::fold(*net);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("stem.conv.weight"), std::string::npos) << refused.error().message;
}

TEST(NetworkRunner, ATilePassMapsToImagePixels) {
  torch::set_num_threads(1);
  auto net = random_net(2, 1);
  NetworkRunner runner(*net);
  cv::Mat image(300, 400, CV_8UC3);
  cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(255));
  cv::GaussianBlur(image, image, {9, 9}, 3);
  RunOptions options;
  options.min_score = 0.0F;
  options.nms.containment_threshold = 1.1;
  const cv::Rect tile(96, 64, 160, 128);
  PassInput alone;
  alone.pixels = image(tile).clone();
  alone.extent_w = tile.width;
  alone.extent_h = tile.height;
  PassInput as_tile = alone;
  as_tile.pixels = image(tile);  // a view into the image, as Predictor passes tiles
  as_tile.offset_x = tile.x;
  as_tile.offset_y = tile.y;
  const auto both = runner.run_passes({alone, as_tile}, 160, 128, options);
  ASSERT_EQ(both.size(), 2U);
  ASSERT_EQ(both[0].size(), both[1].size());
  ASSERT_FALSE(both[0].empty());
  for (std::size_t i = 0; i < both[0].size(); ++i) {
    EXPECT_DOUBLE_EQ(both[1][i].x0, both[0][i].x0 + tile.x);
    EXPECT_DOUBLE_EQ(both[1][i].y0, both[0][i].y0 + tile.y);
    EXPECT_DOUBLE_EQ(both[1][i].x1, both[0][i].x1 + tile.x);
    EXPECT_DOUBLE_EQ(both[1][i].y1, both[0][i].y1 + tile.y);
    EXPECT_EQ(both[1][i].score, both[0][i].score);
    EXPECT_GE(both[1][i].x0, tile.x);
    EXPECT_LE(both[1][i].x1, tile.x + tile.width);
    EXPECT_LE(both[1][i].y1, tile.y + tile.height);
  }
  // A batch of two gives what two separate passes give.
  const auto single = runner.run_passes({as_tile}, 160, 128, options);
  ASSERT_EQ(single[0].size(), both[1].size());
  for (std::size_t i = 0; i < single[0].size(); ++i) EXPECT_NEAR(single[0][i].score, both[1][i].score, 1e-5);
}

TEST(Predictor, LargeLogoPassFitsTheLargestLearntLogoWithMargin) {
  model::ModelInfo info;
  info.train_size = 320;  // no augment settings recorded: the largest learnt logo is 0.95 × 320
  EXPECT_EQ(large_logo_pass_side(info), 256);
  info.training = {{"augment", {{"max_box_side_fraction", 0.5}}}};  // 160 px learnt
  EXPECT_EQ(large_logo_pass_side(info), 128);
  info.train_size = 128;
  info.training = nlohmann::json::object();
  EXPECT_EQ(large_logo_pass_side(info), 96);
  info.train_size = 64;  // never below 64 px
  EXPECT_EQ(large_logo_pass_side(info), 64);
  for (const int size : {96, 160, 320, 416, 640}) {
    info.train_size = size;
    const int side = large_logo_pass_side(info);
    EXPECT_EQ(side % 32, 0) << size;
    EXPECT_LE(side, std::max(64.0, largest_learnt_logo_side(info))) << size;  // a full frame is a learnt size
  }
}

}  // namespace
}  // namespace logoscope::infer
