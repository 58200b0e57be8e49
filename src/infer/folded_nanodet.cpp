#include "infer/folded_nanodet.hpp"

#include "model/nanodet_topology.hpp"

namespace logoscope::infer {

namespace {

FoldedNet::Conv copy_conv(const torch::Tensor& weight, const torch::Tensor& bias, int stride, torch::Dtype dtype) {
  FoldedNet::Conv conv;
  conv.stride = stride;
  conv.padding = static_cast<int>(weight.size(2) / 2);
  conv.weight = weight.detach().to(dtype).contiguous(torch::MemoryFormat::ChannelsLast);
  conv.bias = bias.detach().to(dtype).contiguous();
  return conv;
}

}  // namespace

Result<FoldedNanoDet> FoldedNanoDet::fold(model::NanoDetNetImpl& net, Precision precision) {
  c10::InferenceMode guard;
  FoldedNanoDet folded;
  folded.dtype_ = precision == Precision::kBf16 ? torch::kBFloat16 : torch::kFloat;
  folded.num_labels_ = net.num_labels();
  folded.convs_.resize(model::nanodet::kConvCount);
  for (int index = 0; index < model::nanodet::kConvCount; ++index) {
    auto& conv = net.conv(index);
    if (conv.is_empty()) continue;
    folded.convs_[static_cast<std::size_t>(index)] =
        copy_conv(conv->weight, conv->bias, model::nanodet::conv_stride(index), folded.dtype_);
  }
  for (int level = 0; level < 3; ++level) {
    const auto weight = torch::cat({net.cls_out(level)->weight, net.box_out(level)->weight, net.ctr_out(level)->weight}, 0);
    const auto bias = torch::cat({net.cls_out(level)->bias, net.box_out(level)->bias, net.ctr_out(level)->bias}, 0);
    folded.outputs_[static_cast<std::size_t>(level)] = copy_conv(weight, bias, 1, folded.dtype_);
  }
  return folded;
}

std::vector<model::LevelOutput> FoldedNanoDet::forward(const torch::Tensor& normalised) const {
  c10::InferenceMode guard;
  auto conv = [this](int index, const torch::Tensor& x) { return convs_[static_cast<std::size_t>(index)](x); };
  // Every activation follows a fresh convolution output, so it may work in place.
  auto act_in_place = [](torch::Tensor x) { return torch::leaky_relu_(x, model::nanodet::kLeakySlope); };
  return outputs_from(model::nanodet::head_features(conv, act_in_place, normalised));
}

std::vector<model::LevelOutput> FoldedNanoDet::outputs_from(const std::vector<torch::Tensor>& features) const {
  c10::InferenceMode guard;
  std::vector<model::LevelOutput> outputs;
  constexpr std::array<int, 3> kStrides = {8, 16, 32};
  constexpr int kBins = 4 * (model::nanodet::kRegMax + 1);
  for (std::size_t level = 0; level < 3; ++level) {
    const auto out = outputs_[level](features[level]).to(torch::kFloat);
    model::LevelOutput result;
    result.stride = kStrides[level];
    result.cls = out.slice(1, 0, num_labels_);
    result.box = model::nanodet_distances(out.slice(1, num_labels_, num_labels_ + kBins).contiguous(), result.stride);
    result.ctr = out.slice(1, num_labels_ + kBins, num_labels_ + kBins + 1);
    outputs.push_back(result);
  }
  return outputs;
}

}  // namespace logoscope::infer
