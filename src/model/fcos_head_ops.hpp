// model/fcos_head_ops.hpp — what the trainer and the predictor do with the network's outputs:
// flatten levels, the FCOS loss, and decoding to scored boxes. libtorch inside.
#pragma once

#include <vector>

#include <torch/torch.h>

#include "logoscope/detection.hpp"
#include "model/detector_net.hpp"
#include "model/fcos_targets.hpp"

namespace logoscope::model {

/// Levels concatenated: cls [N, L, C], box [N, L, 4] (ltrb px), ctr [N, L]. L follows
/// GridLayout's flat order.
struct FlatOutput {
  torch::Tensor cls;
  torch::Tensor box;
  torch::Tensor ctr;
};

FlatOutput flatten_levels(const std::vector<LevelOutput>& levels);

struct LossParts {
  torch::Tensor total;
  torch::Tensor cls;
  torch::Tensor box;
  torch::Tensor ctr;
};

/// Sigmoid focal loss (Lin et al. 2017, α 0.25, γ 2) over non-ignored locations, GIoU loss
/// (Rezatofighi et al. 2019) weighted by centerness on positives, centerness BCE on positives.
/// labels [N, L] int64 (label, kBackground, kIgnored); boxes [N, L, 4]; centerness [N, L].
LossParts fcos_loss(const FlatOutput& out, const torch::Tensor& labels, const torch::Tensor& boxes,
                    const torch::Tensor& centerness);

/// Location centres [L, 2] (x, y in input pixels) for a layout.
torch::Tensor location_centres(const GridLayout& layout);

/// Scored boxes for one image: score = sqrt(sigmoid(cls)·sigmoid(ctr)) (FCOS), kept when
/// ≥ min_score, at most top_k before NMS. Boxes are in input pixels, then mapped back by
/// x / scale_x (y / scale_y) and clipped to [0, image_w]×[0, image_h].
std::vector<Detection> decode_image(const torch::Tensor& cls, const torch::Tensor& box, const torch::Tensor& ctr,
                                    const torch::Tensor& centres, float min_score, int top_k, double scale_x,
                                    double scale_y, int image_w, int image_h);

}  // namespace logoscope::model
