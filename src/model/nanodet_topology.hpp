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

/// Head features (after the 3×3 head convolution and its activation) at strides 8, 16, 32.
/// conv(index, x) applies convolution `index` (with its bias, without activation); act(x)
/// applies the LeakyReLU and may work in place.
template <typename ConvFn, typename ActFn>
std::vector<torch::Tensor> head_features(const ConvFn& conv, const ActFn& act, const torch::Tensor& input) {
  namespace F = torch::nn::functional;
  auto resize = [](const torch::Tensor& x, const torch::Tensor& like) {
    return F::interpolate(x, F::InterpolateFuncOptions()
                                 .size(std::vector<int64_t>{like.size(2), like.size(3)})
                                 .mode(torch::kBilinear)
                                 .align_corners(false));
  };
  torch::Tensor x = act(conv(0, input));
  x = torch::max_pool2d(x, {3, 3}, {2, 2}, {1, 1});
  std::array<torch::Tensor, 4> stages;
  for (std::size_t stage = 0; stage < 4; ++stage) {
    int index = kStageFirstConv[stage];
    const torch::Tensor in = act(conv(index++, x));
    torch::Tensor z = in;
    for (int block = 0; block < kStageBlocks[stage]; ++block) {
      const torch::Tensor a = act(conv(index++, z));
      const torch::Tensor m = act(conv(index++, a));
      z = torch::cat({m, a}, 1);
    }
    x = torch::cat({act(conv(index, z)), in}, 1);
    stages[stage] = x;
  }
  torch::Tensor l3 = conv(25, stages[1]);
  torch::Tensor l4 = conv(26, stages[2]);
  torch::Tensor l5 = conv(27, stages[3]);
  l4 = l4 + resize(l5, l4);
  l3 = l3 + resize(l4, l3);
  l4 = l4 + resize(l3, l4);
  l5 = l5 + resize(l4, l5);
  return {act(conv(28, l3)), act(conv(30, l4)), act(conv(32, l5))};
}

}  // namespace logoscope::model::nanodet
