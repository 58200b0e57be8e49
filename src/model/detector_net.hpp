// model/detector_net.hpp — the detection network (libtorch), sized for few images and CPU speed.
//
// A small residual BN-ReLU backbone (strides 2…32), an FPN neck (Lin et al. 2017, "Feature
// Pyramid Networks for Object Detection") over strides 8, 16 and 32, and an anchor-free FCOS head
// (Tian et al. 2019, "FCOS: Fully Convolutional One-Stage Object Detection") shared across levels:
// per location, one sigmoid score per label, the distances to the four box sides (in units of the
// level's stride, through exp with a learnt per-level scale) and a centerness logit.
//
// Input: float tensor [N, 3, H, W], RGB in [0, 1] normalised inside the network; H and W multiples
// of 32. Output per level l (stride 8·2^l): cls [N, C, H/s, W/s], box [N, 4, H/s, W/s] (ltrb,
// pixels), ctr [N, 1, H/s, W/s].
//
// Thread safety: a module is used by one thread at a time (libtorch parallelises inside ops).
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>

#include "model/detector.hpp"

namespace logoscope::model {

/// The architecture's size knobs; stored in model.json so a reader rebuilds the same network.
struct NetConfig {
  std::vector<int> widths = {16, 24, 48, 96, 160};  ///< stem and the four stages
  std::vector<int> depths = {0, 1, 2, 1};           ///< residual blocks per stage
  int neck_width = 48;
  int head_convs = 1;
  int num_labels = 1;

  static NetConfig small(int num_labels);
};

/// 2-D convolution, batch norm, ReLU.
class ConvBnReluImpl : public torch::nn::Module {
 public:
  ConvBnReluImpl(int in, int out, int kernel, int stride);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv_;
  torch::nn::BatchNorm2d bn_;
};
TORCH_MODULE(ConvBnRelu);

inline constexpr const char* kResnetFpnArchitecture = "fcos-resnet-fpn";

class DetectorNetImpl : public DetectorImpl {
 public:
  explicit DetectorNetImpl(const NetConfig& config);
  std::vector<LevelOutput> forward(const torch::Tensor& images) override;
  [[nodiscard]] const NetConfig& config() const { return config_; }
  [[nodiscard]] std::string architecture() const override { return kResnetFpnArchitecture; }
  [[nodiscard]] int num_labels() const override { return config_.num_labels; }
  [[nodiscard]] std::vector<std::string> classifier_prefixes() const override { return {"cls_out"}; }
  [[nodiscard]] bool is_head_parameter(const std::string& name) const override;

 private:
  NetConfig config_;
  ConvBnRelu stem_{nullptr};
  std::vector<torch::nn::Sequential> stages_;
  std::vector<torch::nn::Conv2d> lateral_;
  std::vector<ConvBnRelu> smooth_;
  torch::nn::Sequential cls_tower_{nullptr};
  torch::nn::Sequential box_tower_{nullptr};
  torch::nn::Conv2d cls_out_{nullptr};
  torch::nn::Conv2d box_out_{nullptr};
  torch::nn::Conv2d ctr_out_{nullptr};
  torch::Tensor level_scales_;
};
TORCH_MODULE(DetectorNet);

}  // namespace logoscope::model
