// infer/folded_nanodet.hpp — NanoDetNet prepared for inference.
//
// NanoDet-g has no batch norm left to fold (the published weights carry it in the biases), so
// this is the module's topology (model/nanodet_topology.hpp) with every convolution called
// directly through oneDNN on channels-last weights (as FoldedNet does, for the same reason:
// libtorch's dispatch sends small batch-1 convolutions to im2col + the reference BLAS),
// activations in place, and each level's three 1×1 outputs (cls, box, ctr) fused into one
// convolution. Outputs agree with NanoDetNetImpl::forward to float rounding
// (tests/model/test_nanodet.cpp).
//
// libtorch types appear here: include only from libtorch-linked modules.
// Thread safety: forward is const and may be called from one thread at a time.
#pragma once

#include <array>
#include <vector>

#include <torch/torch.h>

#include "infer/folded_net.hpp"
#include "model/nanodet_net.hpp"

namespace logoscope::infer {

class FoldedNanoDet final : public InferenceNet {
 public:
  static Result<FoldedNanoDet> fold(model::NanoDetNetImpl& net, Precision precision = Precision::kFloat32);

  [[nodiscard]] std::vector<model::LevelOutput> forward(const torch::Tensor& normalised) const override;
  [[nodiscard]] torch::Dtype input_dtype() const override { return dtype_; }

  /// Convolution `index` of the module's numbering (weights folded, channels-last).
  [[nodiscard]] const FoldedNet::Conv& conv(int index) const { return convs_[static_cast<std::size_t>(index)]; }
  /// The outputs (class scores, box distances, centre-ness) from the head features at strides 8,
  /// 16, 32: the 1×1 output convolutions and the box decoding, in float.
  [[nodiscard]] std::vector<model::LevelOutput> outputs_from(const std::vector<torch::Tensor>& features) const;

 private:
  std::vector<FoldedNet::Conv> convs_;  ///< indexed as the module's; 29, 31, 33 unused
  std::array<FoldedNet::Conv, 3> outputs_;  ///< per level: cls (C) ‖ box (44) ‖ ctr (1)
  int num_labels_ = 1;
  torch::Dtype dtype_ = torch::kFloat;
};

}  // namespace logoscope::infer
