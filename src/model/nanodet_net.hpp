// model/nanodet_net.hpp — NanoDet-g as a logoscope detector: COCO-pretrained trunk, FCOS outputs.
//
// The trunk (CSP backbone, PAN, the 3×3 head convolution of each level; nanodet_topology.hpp) is
// NanoDet-g's, with its batch norms already folded into convolution biases as published, and its
// first convolution's input channels reordered from NanoDet's BGR to logoscope's RGB (NanoDet
// normalises with the same ImageNet mean and standard deviation, so nothing else changes).
// Per level, three 1×1 outputs read the 128 head channels:
//   cls  C logits      — from COCO's 80 class rows: copied when C = 80 (the original detector),
//                        else each label starts from their mean with the focal-loss prior bias
//   box  4 × 11 logits — COCO's box distributions (Li et al. 2020, "Generalized Focal Loss"):
//                        each side = Σ softmax(bins) · [0…10] · stride, in input pixels
//   ctr  1 logit       — FCOS centerness, new (zero weights: starts at 0.5 everywhere)
// so the trainer, the FCOS targets and loss, and the decoder treat it like DetectorNet.
//
// Training can freeze the first stages (stem, then backbone stages 1–4): cheaper backward passes,
// and the COCO features there are kept as they are.
//
// Thread safety: a module is used by one thread at a time.
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>

#include "logoscope/result.hpp"
#include "model/detector.hpp"

namespace logoscope::pretrained {
class TfjsWeights;
}

namespace logoscope::model {

inline constexpr const char* kNanoDetArchitecture = "nanodet-g";

class NanoDetNetImpl : public DetectorImpl {
 public:
  /// Randomly initialised (load weights next); `num_labels` ≥ 1.
  explicit NanoDetNetImpl(int num_labels);

  std::vector<LevelOutput> forward(const torch::Tensor& images) override;
  [[nodiscard]] std::string architecture() const override { return kNanoDetArchitecture; }
  [[nodiscard]] int num_labels() const override { return num_labels_; }
  [[nodiscard]] std::vector<std::string> classifier_prefixes() const override;
  [[nodiscard]] bool is_head_parameter(const std::string& name) const override;

  /// The raw outputs of one level: class logits [N, C, h, w] and box distribution logits
  /// [N, 44, h, w] (left, top, right, bottom × 11 bins), as NanoDet's own head computes them.
  struct RawLevel {
    torch::Tensor cls;
    torch::Tensor bins;
  };
  /// For `normalised` input (ImageNet-normalised RGB, [N, 3, H, W]).
  std::vector<RawLevel> forward_raw(const torch::Tensor& normalised);

  /// Stops gradients into the stem (count ≥ 1) and backbone stages 1…count−1 (count ≤ 5).
  void freeze(int count);
  [[nodiscard]] int frozen() const { return frozen_; }

  /// Convolution `index` (0…33 of nanodet_topology.hpp; 29, 31, 33 are not modules here).
  [[nodiscard]] torch::nn::Conv2d& conv(int index) { return convs_[static_cast<std::size_t>(index)]; }
  /// The per-level output convolutions (level 0…2).
  [[nodiscard]] torch::nn::Conv2d& cls_out(int level) { return cls_out_[static_cast<std::size_t>(level)]; }
  [[nodiscard]] torch::nn::Conv2d& box_out(int level) { return box_out_[static_cast<std::size_t>(level)]; }
  [[nodiscard]] torch::nn::Conv2d& ctr_out(int level) { return ctr_out_[static_cast<std::size_t>(level)]; }

 private:
  int num_labels_;
  int frozen_ = 0;
  std::vector<torch::nn::Conv2d> convs_;  ///< indexed 0…33; entries 29, 31, 33 empty
  std::vector<torch::nn::Conv2d> cls_out_;
  std::vector<torch::nn::Conv2d> box_out_;
  std::vector<torch::nn::Conv2d> ctr_out_;
};

/// NanoDet-g with `num_labels` labels from the published TensorFlow.js weights
/// (pretrained_files.hpp: nanodet_g_package()). Errors name the weights file and tensor.
Result<std::shared_ptr<NanoDetNetImpl>> nanodet_from_tfjs(const pretrained::TfjsWeights& weights, int num_labels);

/// nanodet_from_tfjs on the verified files in the pretrained cache (locate_verified). Errors
/// name the missing or damaged file and the command that fetches it.
Result<std::shared_ptr<NanoDetNetImpl>> nanodet_from_cache(int num_labels);

/// Box side distances in input pixels [N, 4, h, w] from distribution logits [N, 44, h, w].
torch::Tensor nanodet_distances(const torch::Tensor& bins, int stride);

}  // namespace logoscope::model
