// model/detector.hpp — what every detection network in logoscope looks like to the trainer, the
// predictor and the model folder: a libtorch module that maps images to per-level FCOS outputs.
//
// Two architectures implement it (model.json "network.architecture"):
//   "fcos-resnet-fpn"  DetectorNet (detector_net.hpp): a small residual backbone, FPN, shared
//                      FCOS head; random or logoscope-pretrained start.
//   "nanodet-g"        NanoDetNet (nanodet_net.hpp): NanoDet-g's CSP backbone and PAN with
//                      COCO-pretrained weights, per-level heads read out as FCOS outputs.
//
// Input: float tensor [N, 3, H, W], RGB in [0, 1] (normalised inside the network); H and W
// multiples of 32. Output per level l (strides()): cls logits [N, C, H/s, W/s], box ltrb distances
// in input pixels [N, 4, H/s, W/s] (≥ 0), centerness logits [N, 1, H/s, W/s].
//
// Thread safety: a module is used by one thread at a time (libtorch parallelises inside ops).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace logoscope::model {

struct LevelOutput {
  torch::Tensor cls;  ///< logits [N, C, h, w]
  torch::Tensor box;  ///< ltrb distances in input pixels [N, 4, h, w], ≥ 0
  torch::Tensor ctr;  ///< centerness logits [N, 1, h, w]
  int stride = 8;
};

class DetectorImpl : public torch::nn::Module {
 public:
  ~DetectorImpl() override = default;
  virtual std::vector<LevelOutput> forward(const torch::Tensor& images) = 0;
  /// model.json's network.architecture for this module.
  [[nodiscard]] virtual std::string architecture() const = 0;
  [[nodiscard]] virtual std::vector<int> strides() const { return {8, 16, 32}; }
  [[nodiscard]] virtual int num_labels() const = 0;
  /// Prefixes of the parameters that hold the classification output (sized by the label count),
  /// e.g. "cls_out": what init_from_base re-initialises or widens for another label set.
  [[nodiscard]] virtual std::vector<std::string> classifier_prefixes() const = 0;
  /// True for parameters of the detection head (learning rate not scaled down for a pretrained
  /// trunk; TrainConfig::trunk_lr_scale).
  [[nodiscard]] virtual bool is_head_parameter(const std::string& name) const = 0;
};

using Detector = std::shared_ptr<DetectorImpl>;

/// The ImageNet statistics every logoscope network normalises its RGB [0, 1] input with.
inline constexpr float kImageMean[3] = {0.485F, 0.456F, 0.406F};
inline constexpr float kImageStd[3] = {0.229F, 0.224F, 0.225F};

}  // namespace logoscope::model
