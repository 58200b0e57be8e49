#include "model/detector_net.hpp"

#include <cmath>

namespace logoscope::model {

namespace {

namespace nn = torch::nn;

}  // namespace

ConvBnReluImpl::ConvBnReluImpl(int in, int out, int kernel, int stride)
    : conv_(register_module("conv", nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false)))),
      bn_(register_module("bn", nn::BatchNorm2d(out))) {}

torch::Tensor ConvBnReluImpl::forward(const torch::Tensor& x) { return torch::relu(bn_(conv_(x))); }

namespace {

// Two 3x3 conv-BN layers with an identity shortcut (He et al. 2016).
class ResidualBlockImpl : public nn::Module {
 public:
  explicit ResidualBlockImpl(int channels)
      : conv1_(register_module("conv1", ConvBnRelu(channels, channels, 3, 1))),
        conv2_(register_module("conv2", nn::Conv2d(nn::Conv2dOptions(channels, channels, 3).padding(1).bias(false)))),
        bn2_(register_module("bn2", nn::BatchNorm2d(channels))) {}
  torch::Tensor forward(const torch::Tensor& x) { return torch::relu(x + bn2_(conv2_(conv1_->forward(x)))); }

 private:
  ConvBnRelu conv1_;
  nn::Conv2d conv2_;
  nn::BatchNorm2d bn2_;
};
TORCH_MODULE(ResidualBlock);

}  // namespace

NetConfig NetConfig::small(int num_labels) {
  NetConfig config;
  config.num_labels = num_labels;
  return config;
}

DetectorNetImpl::DetectorNetImpl(const NetConfig& config) : config_(config) {
  TORCH_CHECK(config.widths.size() == 5 && config.depths.size() == 4, "NetConfig needs 5 widths and 4 depths");
  stem_ = register_module("stem", ConvBnRelu(3, config.widths[0], 3, 2));
  for (int stage = 0; stage < 4; ++stage) {
    nn::Sequential seq;
    seq->push_back(ConvBnRelu(config.widths[static_cast<std::size_t>(stage)],
                                config.widths[static_cast<std::size_t>(stage) + 1], 3, 2));
    for (int block = 0; block < config.depths[static_cast<std::size_t>(stage)]; ++block) {
      seq->push_back(ResidualBlock(config.widths[static_cast<std::size_t>(stage) + 1]));
    }
    stages_.push_back(register_module("stage" + std::to_string(stage + 1), seq));
  }
  const int neck = config.neck_width;
  for (int level = 0; level < 3; ++level) {
    lateral_.push_back(register_module(
        "lateral" + std::to_string(level),
        nn::Conv2d(nn::Conv2dOptions(config.widths[static_cast<std::size_t>(level) + 2], neck, 1))));
    smooth_.push_back(register_module("smooth" + std::to_string(level), ConvBnRelu(neck, neck, 3, 1)));
  }
  cls_tower_ = nn::Sequential();
  box_tower_ = nn::Sequential();
  for (int i = 0; i < config.head_convs; ++i) {
    cls_tower_->push_back(nn::Conv2d(nn::Conv2dOptions(neck, neck, 3).padding(1)));
    cls_tower_->push_back(nn::ReLU(nn::ReLUOptions(true)));
    box_tower_->push_back(nn::Conv2d(nn::Conv2dOptions(neck, neck, 3).padding(1)));
    box_tower_->push_back(nn::ReLU(nn::ReLUOptions(true)));
  }
  register_module("cls_tower", cls_tower_);
  register_module("box_tower", box_tower_);
  cls_out_ = register_module("cls_out", nn::Conv2d(nn::Conv2dOptions(neck, config.num_labels, 3).padding(1)));
  box_out_ = register_module("box_out", nn::Conv2d(nn::Conv2dOptions(neck, 4, 3).padding(1)));
  ctr_out_ = register_module("ctr_out", nn::Conv2d(nn::Conv2dOptions(neck, 1, 3).padding(1)));
  level_scales_ = register_parameter("level_scales", torch::ones({3}));

  for (auto& module : modules(false)) {
    if (auto* conv = module->as<nn::Conv2d>()) {
      nn::init::normal_(conv->weight, 0.0, 0.01);
      if (conv->bias.defined()) nn::init::zeros_(conv->bias);
    }
  }
  for (auto& module : modules(false)) {
    if (auto* conv = module->as<nn::Conv2d>(); conv != nullptr && conv->options.kernel_size()->at(0) == 3 &&
                                                  conv->options.out_channels() != config.num_labels) {
      nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
    }
  }
  // Focal-loss prior (Lin et al. 2017): start with every score near 0.01.
  nn::init::normal_(cls_out_->weight, 0.0, 0.01);
  nn::init::constant_(cls_out_->bias, -std::log((1.0 - 0.01) / 0.01));
  nn::init::normal_(box_out_->weight, 0.0, 0.01);
  nn::init::normal_(ctr_out_->weight, 0.0, 0.01);
}

bool DetectorNetImpl::is_head_parameter(const std::string& name) const {
  for (const char* prefix : {"cls_tower.", "box_tower.", "cls_out.", "box_out.", "ctr_out.", "level_scales"}) {
    if (name.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

std::vector<LevelOutput> DetectorNetImpl::forward(const torch::Tensor& images) {
  static const auto mean = torch::tensor({kImageMean[0], kImageMean[1], kImageMean[2]}).view({1, 3, 1, 1});
  static const auto std_dev = torch::tensor({kImageStd[0], kImageStd[1], kImageStd[2]}).view({1, 3, 1, 1});
  torch::Tensor x = (images - mean.to(images.device())) / std_dev.to(images.device());
  x = stem_->forward(x);
  std::vector<torch::Tensor> features;
  for (std::size_t stage = 0; stage < stages_.size(); ++stage) {
    x = stages_[stage]->forward(x);
    if (stage >= 1) features.push_back(x);  // strides 8, 16, 32
  }
  std::vector<torch::Tensor> pyramid(3);
  pyramid[2] = lateral_[2]->forward(features[2]);
  for (int level = 1; level >= 0; --level) {
    const auto& below = pyramid[static_cast<std::size_t>(level) + 1];
    auto lateral = lateral_[static_cast<std::size_t>(level)]->forward(features[static_cast<std::size_t>(level)]);
    pyramid[static_cast<std::size_t>(level)] =
        lateral + torch::nn::functional::interpolate(
                      below, torch::nn::functional::InterpolateFuncOptions()
                                 .size(std::vector<int64_t>{lateral.size(2), lateral.size(3)})
                                 .mode(torch::kNearest));
  }
  std::vector<LevelOutput> outputs;
  const auto strides_list = strides();
  for (std::size_t level = 0; level < 3; ++level) {
    const auto p = smooth_[level]->forward(pyramid[level]);
    const auto cls_feat = cls_tower_->forward(p);
    const auto box_feat = box_tower_->forward(p);
    LevelOutput out;
    out.stride = strides_list[level];
    out.cls = cls_out_->forward(cls_feat);
    const auto raw = box_out_->forward(box_feat) * level_scales_[static_cast<int64_t>(level)];
    out.box = torch::exp(raw.clamp(-10.0, 10.0)) * static_cast<double>(out.stride);
    out.ctr = ctr_out_->forward(box_feat);
    outputs.push_back(out);
  }
  return outputs;
}

}  // namespace logoscope::model
