#include "model/fcos_head_ops.hpp"

#include <algorithm>

namespace logoscope::model {

FlatOutput flatten_levels(const std::vector<LevelOutput>& levels) {
  std::vector<torch::Tensor> cls;
  std::vector<torch::Tensor> box;
  std::vector<torch::Tensor> ctr;
  for (const auto& level : levels) {
    const auto n = level.cls.size(0);
    cls.push_back(level.cls.permute({0, 2, 3, 1}).reshape({n, -1, level.cls.size(1)}));
    box.push_back(level.box.permute({0, 2, 3, 1}).reshape({n, -1, 4}));
    ctr.push_back(level.ctr.reshape({n, -1}));
  }
  return {torch::cat(cls, 1), torch::cat(box, 1), torch::cat(ctr, 1)};
}

LossParts fcos_loss(const FlatOutput& out, const torch::Tensor& labels, const torch::Tensor& boxes,
                    const torch::Tensor& centerness) {
  const auto positive = labels >= 0;
  const auto valid = (labels != kIgnored).to(torch::kFloat).unsqueeze(2);
  const auto num_pos = std::max(1.0, positive.sum().item<double>());

  auto onehot = torch::zeros_like(out.cls);
  const auto pos_index = positive.nonzero();
  if (pos_index.size(0) > 0) {
    const auto pos_labels = labels.index({positive});
    onehot.index_put_({pos_index.select(1, 0), pos_index.select(1, 1), pos_labels}, 1.0);
  }
  const auto p = torch::sigmoid(out.cls);
  const auto ce = torch::binary_cross_entropy_with_logits(out.cls, onehot, {}, {}, torch::Reduction::None);
  const auto p_t = p * onehot + (1 - p) * (1 - onehot);
  const auto alpha_t = 0.25 * onehot + 0.75 * (1 - onehot);
  const auto focal = alpha_t * (1 - p_t).pow(2) * ce;
  const auto cls_loss = (focal * valid).sum() / num_pos;

  torch::Tensor box_loss = torch::zeros({}, out.box.options());
  torch::Tensor ctr_loss = torch::zeros({}, out.box.options());
  if (pos_index.size(0) > 0) {
    const auto pred = out.box.index({positive});       // [P, 4]
    const auto target = boxes.index({positive});       // [P, 4]
    const auto weight = centerness.index({positive});  // [P]
    const auto pred_area = (pred.select(1, 0) + pred.select(1, 2)) * (pred.select(1, 1) + pred.select(1, 3));
    const auto target_area = (target.select(1, 0) + target.select(1, 2)) * (target.select(1, 1) + target.select(1, 3));
    const auto inter_w = torch::min(pred.select(1, 0), target.select(1, 0)) + torch::min(pred.select(1, 2), target.select(1, 2));
    const auto inter_h = torch::min(pred.select(1, 1), target.select(1, 1)) + torch::min(pred.select(1, 3), target.select(1, 3));
    const auto inter = inter_w.clamp_min(0) * inter_h.clamp_min(0);
    const auto uni = pred_area + target_area - inter + 1e-6;
    const auto encl_w = torch::max(pred.select(1, 0), target.select(1, 0)) + torch::max(pred.select(1, 2), target.select(1, 2));
    const auto encl_h = torch::max(pred.select(1, 1), target.select(1, 1)) + torch::max(pred.select(1, 3), target.select(1, 3));
    const auto encl = encl_w * encl_h + 1e-6;
    const auto giou = inter / uni - (encl - uni) / encl;
    box_loss = ((1 - giou) * weight).sum() / weight.sum().clamp_min(1e-6);
    ctr_loss = torch::binary_cross_entropy_with_logits(out.ctr.index({positive}), weight, {}, {},
                                                       torch::Reduction::Sum) / num_pos;
  }
  return {cls_loss + 2.0 * box_loss + ctr_loss, cls_loss, box_loss, ctr_loss};
}

torch::Tensor location_centres(const GridLayout& layout) {
  std::vector<float> xy;
  xy.reserve(static_cast<std::size_t>(layout.total) * 2);
  for (std::size_t level = 0; level < layout.strides.size(); ++level) {
    const float stride = static_cast<float>(layout.strides[level]);
    for (int i = 0; i < layout.heights[level]; ++i) {
      for (int j = 0; j < layout.widths[level]; ++j) {
        xy.push_back((static_cast<float>(j) + 0.5F) * stride);
        xy.push_back((static_cast<float>(i) + 0.5F) * stride);
      }
    }
  }
  return torch::from_blob(xy.data(), {layout.total, 2}, torch::kFloat).clone();
}

std::vector<Detection> decode_image(const torch::Tensor& cls, const torch::Tensor& box, const torch::Tensor& ctr,
                                    const torch::Tensor& centres, float min_score, int top_k, double scale_x,
                                    double scale_y, int image_w, int image_h) {
  // cls [L, C], box [L, 4], ctr [L]
  const auto scores = torch::sqrt(torch::sigmoid(cls) * torch::sigmoid(ctr).unsqueeze(1));
  auto flat = scores.reshape({-1});
  auto keep = (flat >= min_score).nonzero().squeeze(1);
  std::vector<Detection> detections;
  if (keep.numel() == 0) return detections;
  auto kept_scores = flat.index({keep});
  if (keep.size(0) > top_k) {
    const auto top = kept_scores.topk(top_k);
    kept_scores = std::get<0>(top);
    keep = keep.index({std::get<1>(top)});
  }
  const auto num_labels = cls.size(1);
  const auto loc = keep.div(num_labels, "floor");
  const auto lab = keep.remainder(num_labels);
  const auto c = centres.index({loc}).contiguous();
  const auto b = box.index({loc}).contiguous();
  const auto s = kept_scores.contiguous();
  const auto* c_ptr = c.data_ptr<float>();
  const auto* b_ptr = b.data_ptr<float>();
  const auto* s_ptr = s.data_ptr<float>();
  const auto lab_cpu = lab.contiguous();
  const auto* l_ptr = lab_cpu.data_ptr<int64_t>();
  const auto count = keep.size(0);
  detections.reserve(static_cast<std::size_t>(count));
  for (int64_t k = 0; k < count; ++k) {
    Detection d;
    d.x0 = std::clamp((c_ptr[2 * k] - b_ptr[4 * k + 0]) / scale_x, 0.0, static_cast<double>(image_w));
    d.y0 = std::clamp((c_ptr[2 * k + 1] - b_ptr[4 * k + 1]) / scale_y, 0.0, static_cast<double>(image_h));
    d.x1 = std::clamp((c_ptr[2 * k] + b_ptr[4 * k + 2]) / scale_x, 0.0, static_cast<double>(image_w));
    d.y1 = std::clamp((c_ptr[2 * k + 1] + b_ptr[4 * k + 3]) / scale_y, 0.0, static_cast<double>(image_h));
    d.label = static_cast<int>(l_ptr[k]);
    d.score = s_ptr[k];
    if (d.x1 > d.x0 && d.y1 > d.y0) detections.push_back(d);
  }
  return detections;
}

}  // namespace logoscope::model
