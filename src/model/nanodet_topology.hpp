// model/nanodet_topology.hpp — NanoDet-g's data flow, written once for the trainable module
// (nanodet_net.cpp) and the inference path (infer/folded_nanodet.cpp), which differ only in how a
// convolution is applied.
//
// RangiLyu's NanoDet-g (https://github.com/RangiLyu/nanodet): a CSP backbone (Wang et al. 2020,
// "CSPNet") → PAN (Liu et al. 2018) → a 3×3 head convolution per level. Convolution indices
// 0…33 follow the published graph (docs/pretrained.md has the table):
//   0 stem 3→32 stride 2, then max-pool 3×3 stride 2
//   stage k (convs 1–4, 5–10, 11–16, 17–24; widths 32, 64, 128, 256; 1, 2, 2, 3 blocks):
//     in = act(conv(in_conv, x))                 (stride 2 except stage 1)
//     z = in; per block: a = act(conv(z)); m = act(conv(a)); z = cat(m, a)
//     out = cat(act(conv(res_out, z)), in)       → 64, 128, 256, 512 channels
//   laterals 25–27 (1×1 to 128, no activation) on the stage 2–4 outputs (strides 8, 16, 32)
//   PAN: P4 = L4 + up(L5); P3 = L3 + up(P4); P4 += down(P3); P5 = L5 + down(P4)
//        (bilinear, align_corners false; down is a bilinear 0.5× resize)
//   head per level l: act(conv(28 + 2l, P_l)) → 128 channels; the 1×1 outputs (29, 31, 33)
//        are the caller's.
// act = LeakyReLU(0.1).
#pragma once

#include <array>
#include <vector>

#include <torch/torch.h>

namespace logoscope::model::nanodet {

inline constexpr int kConvCount = 34;
inline constexpr int kHeadChannels = 128;
inline constexpr int kRegMax = 10;  ///< box sides are distributions over 0…kRegMax strides
inline constexpr int kCocoClasses = 80;
inline constexpr double kLeakySlope = 0.1;

/// The first convolution of each stage, and its block count.
inline constexpr std::array<int, 4> kStageFirstConv = {1, 5, 11, 17};
inline constexpr std::array<int, 4> kStageBlocks = {1, 2, 2, 3};
inline constexpr std::array<int, 4> kStageWidths = {32, 64, 128, 256};

inline int conv_stride(int index) { return index == 0 || index == 5 || index == 11 || index == 17 ? 2 : 1; }

/// The 3×3 stride-2 max-pool after the stem. Dilation is spelled out: libtorch 1.13's quantized
/// max-pool reads a second dilation value that the one-value default does not have.
inline torch::Tensor pool_after_stem(const torch::Tensor& x) {
  return torch::max_pool2d(x, {3, 3}, {2, 2}, {1, 1}, {1, 1}, false);
}

/// `x` resized bilinearly (align_corners false) to `like`'s height and width.
inline torch::Tensor resize_like(const torch::Tensor& x, const torch::Tensor& like) {
  namespace F = torch::nn::functional;
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{like.size(2), like.size(3)})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}

/// The float operations of the data flow: the module's and the folded network's. `conv(index, x)`
/// applies convolution `index` (with its bias, without activation); `act(x)` applies the LeakyReLU
/// and may work in place. Another arithmetic (infer/int8_nanodet.cpp) supplies its own struct with
/// the same members.
template <typename ConvFn, typename ActFn>
struct FloatOps {
  ConvFn conv_fn;
  ActFn act_fn;
  torch::Tensor conv(int index, const torch::Tensor& x) { return conv_fn(index, x); }
  torch::Tensor act(const torch::Tensor& x) { return act_fn(x); }
  torch::Tensor pool(const torch::Tensor& x) { return pool_after_stem(x); }
  torch::Tensor cat(const torch::Tensor& a, const torch::Tensor& b) { return torch::cat({a, b}, 1); }
  /// The PAN's additions, numbered 0…3 in the order they happen.
  torch::Tensor add(int /*index*/, const torch::Tensor& a, const torch::Tensor& b) { return a + b; }
  torch::Tensor resize(const torch::Tensor& x, const torch::Tensor& like) { return resize_like(x, like); }
};

/// Head features (after the 3×3 head convolution and its activation) at strides 8, 16, 32,
/// computed with `ops` (FloatOps or another arithmetic with the same members).
template <typename Ops>
std::vector<torch::Tensor> head_features_with(Ops& ops, const torch::Tensor& input) {
  torch::Tensor x = ops.pool(ops.act(ops.conv(0, input)));
  std::array<torch::Tensor, 4> stages;
  for (std::size_t stage = 0; stage < 4; ++stage) {
    int index = kStageFirstConv[stage];
    const torch::Tensor in = ops.act(ops.conv(index++, x));
    torch::Tensor z = in;
    for (int block = 0; block < kStageBlocks[stage]; ++block) {
      const torch::Tensor a = ops.act(ops.conv(index++, z));
      const torch::Tensor m = ops.act(ops.conv(index++, a));
      z = ops.cat(m, a);
    }
    x = ops.cat(ops.act(ops.conv(index, z)), in);
    stages[stage] = x;
  }
  torch::Tensor l3 = ops.conv(25, stages[1]);
  torch::Tensor l4 = ops.conv(26, stages[2]);
  torch::Tensor l5 = ops.conv(27, stages[3]);
  l4 = ops.add(0, l4, ops.resize(l5, l4));
  l3 = ops.add(1, l3, ops.resize(l4, l3));
  l4 = ops.add(2, l4, ops.resize(l3, l4));
  l5 = ops.add(3, l5, ops.resize(l4, l5));
  return {ops.act(ops.conv(28, l3)), ops.act(ops.conv(30, l4)), ops.act(ops.conv(32, l5))};
}

/// head_features_with(FloatOps{conv, act}, input).
template <typename ConvFn, typename ActFn>
std::vector<torch::Tensor> head_features(const ConvFn& conv, const ActFn& act, const torch::Tensor& input) {
  FloatOps<ConvFn, ActFn> ops{conv, act};
  return head_features_with(ops, input);
}

}  // namespace logoscope::model::nanodet
