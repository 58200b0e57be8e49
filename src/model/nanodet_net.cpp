#include "model/nanodet_net.hpp"

#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "model/nanodet_topology.hpp"
#include "pretrained/pretrained_files.hpp"
#include "pretrained/tfjs_weights.hpp"

namespace fs = std::filesystem;

namespace logoscope::model {

namespace {

namespace nn = torch::nn;

struct ConvShape {
  std::string name;
  int in = 0;
  int out = 0;
  int kernel = 3;
};

// Name and shape of convolution `index` (nanodet_topology.hpp); empty name for the COCO outputs.
ConvShape conv_shape(int index) {
  if (index == 0) return {"stem", 3, 32, 3};
  for (std::size_t stage = 0; stage < 4; ++stage) {
    const int first = nanodet::kStageFirstConv[stage];
    const int blocks = nanodet::kStageBlocks[stage];
    const int width = nanodet::kStageWidths[stage];
    const int in = stage == 0 ? 32 : 2 * nanodet::kStageWidths[stage - 1];
    const std::string prefix = fmt::format("stage{}_", stage + 1);
    if (index == first) return {prefix + "in", in, width, 3};
    if (index > first && index <= first + 2 * blocks) {
      const int block = (index - first - 1) / 2;
      const bool mid = (index - first - 1) % 2 == 1;
      return {fmt::format("{}block{}_{}", prefix, block, mid ? "mid" : "in"), mid ? width / 2 : width, width / 2, 3};
    }
    if (index == first + 2 * blocks + 1) return {prefix + "out", width, width, 3};
  }
  if (index >= 25 && index <= 27) return {fmt::format("lateral{}", index - 25), 128 << (index - 25), 128, 1};
  if (index == 28 || index == 30 || index == 32) return {fmt::format("head{}_conv", (index - 28) / 2), 128, 128, 3};
  return {};
}

// The published graph's name of convolution `index`'s bias (docs/pretrained.md).
std::string tfjs_bias_name(int index) {
  if (index <= 27) return fmt::format("unknown_{}", 2 * index);
  static constexpr std::array<int, 6> kLate = {60, 62, 66, 68, 70, 72};
  return fmt::format("unknown_{}", kLate[static_cast<std::size_t>(index - 28)]);
}

std::string tfjs_weight_name(int index) {
  return index == 0 ? "PartitionedCall/split" : fmt::format("PartitionedCall/split_{}", index);
}

// HWIO floats → an OIHW tensor.
torch::Tensor hwio_to_oihw(const pretrained::WeightTensor& tensor) {
  const auto& s = tensor.shape;
  auto hwio = torch::from_blob(const_cast<float*>(tensor.floats.data()), {s[0], s[1], s[2], s[3]}, torch::kFloat);
  return hwio.permute({3, 2, 0, 1}).contiguous().clone();
}

torch::Tensor vector_tensor(const pretrained::WeightTensor& tensor) {
  return torch::from_blob(const_cast<float*>(tensor.floats.data()), {tensor.element_count()}, torch::kFloat).clone();
}

nn::Conv2d make_conv(int in, int out, int kernel, int stride) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(true));
}

}  // namespace

NanoDetNetImpl::NanoDetNetImpl(int num_labels) : num_labels_(num_labels) {
  TORCH_CHECK(num_labels >= 1, "NanoDetNet needs at least one label");
  convs_.resize(nanodet::kConvCount, nullptr);
  for (int index = 0; index < nanodet::kConvCount; ++index) {
    const ConvShape shape = conv_shape(index);
    if (shape.name.empty()) continue;
    convs_[static_cast<std::size_t>(index)] =
        register_module(shape.name, make_conv(shape.in, shape.out, shape.kernel, nanodet::conv_stride(index)));
  }
  for (int level = 0; level < 3; ++level) {
    const auto c = nanodet::kHeadChannels;
    cls_out_.push_back(register_module(fmt::format("head{}_cls", level), make_conv(c, num_labels, 1, 1)));
    box_out_.push_back(register_module(fmt::format("head{}_box", level), make_conv(c, 4 * (nanodet::kRegMax + 1), 1, 1)));
    ctr_out_.push_back(register_module(fmt::format("head{}_ctr", level), make_conv(c, 1, 1, 1)));
    torch::NoGradGuard no_grad;
    nn::init::normal_(cls_out_.back()->weight, 0.0, 0.01);
    nn::init::constant_(cls_out_.back()->bias, -std::log((1.0 - 0.01) / 0.01));
    nn::init::zeros_(ctr_out_.back()->weight);
    nn::init::zeros_(ctr_out_.back()->bias);
  }
}

std::vector<std::string> NanoDetNetImpl::classifier_prefixes() const { return {"head0_cls", "head1_cls", "head2_cls"}; }

bool NanoDetNetImpl::is_head_parameter(const std::string& name) const {
  return name.rfind("head", 0) == 0 && name.find("_conv.") == std::string::npos;
}

void NanoDetNetImpl::freeze(int count) {
  TORCH_CHECK(count >= 0 && count <= 5, "NanoDetNet::freeze: 0…5 parts (stem, stages 1–4)");
  frozen_ = count;
  const int last_frozen_conv = count == 0 ? -1 : count == 1 ? 0 : nanodet::kStageFirstConv[static_cast<std::size_t>(count - 2)] +
                                                                     2 * nanodet::kStageBlocks[static_cast<std::size_t>(count - 2)] + 1;
  for (int index = 0; index < nanodet::kConvCount; ++index) {
    auto& conv = convs_[static_cast<std::size_t>(index)];
    if (conv.is_empty()) continue;
    for (auto& parameter : conv->parameters()) parameter.set_requires_grad(index > last_frozen_conv);
  }
}

std::vector<NanoDetNetImpl::RawLevel> NanoDetNetImpl::forward_raw(const torch::Tensor& normalised) {
  auto conv = [this](int index, const torch::Tensor& x) { return convs_[static_cast<std::size_t>(index)]->forward(x); };
  auto act = [](const torch::Tensor& x) { return torch::leaky_relu(x, nanodet::kLeakySlope); };
  const auto features = nanodet::head_features(conv, act, normalised);
  std::vector<RawLevel> levels;
  for (std::size_t level = 0; level < 3; ++level) {
    levels.push_back({cls_out_[level]->forward(features[level]), box_out_[level]->forward(features[level])});
  }
  return levels;
}

torch::Tensor nanodet_distances(const torch::Tensor& bins, int stride) {
  const auto n = bins.size(0);
  const auto h = bins.size(2);
  const auto w = bins.size(3);
  const auto probabilities = torch::softmax(bins.view({n, 4, nanodet::kRegMax + 1, h, w}), 2);
  const auto positions = torch::arange(nanodet::kRegMax + 1, bins.options()).view({1, 1, -1, 1, 1});
  return (probabilities * positions).sum(2) * static_cast<double>(stride);
}

std::vector<LevelOutput> NanoDetNetImpl::forward(const torch::Tensor& images) {
  static const auto mean = torch::tensor({kImageMean[0], kImageMean[1], kImageMean[2]}).view({1, 3, 1, 1});
  static const auto std_dev = torch::tensor({kImageStd[0], kImageStd[1], kImageStd[2]}).view({1, 3, 1, 1});
  const torch::Tensor x = (images - mean.to(images.device())) / std_dev.to(images.device());
  auto conv = [this](int index, const torch::Tensor& input) { return convs_[static_cast<std::size_t>(index)]->forward(input); };
  auto act = [](const torch::Tensor& input) { return torch::leaky_relu(input, nanodet::kLeakySlope); };
  const auto features = nanodet::head_features(conv, act, x);
  std::vector<LevelOutput> outputs;
  const auto level_strides = strides();
  for (std::size_t level = 0; level < 3; ++level) {
    LevelOutput out;
    out.stride = level_strides[level];
    out.cls = cls_out_[level]->forward(features[level]);
    out.box = nanodet_distances(box_out_[level]->forward(features[level]), out.stride);
    out.ctr = ctr_out_[level]->forward(features[level]);
    outputs.push_back(out);
  }
  return outputs;
}

Result<std::shared_ptr<NanoDetNetImpl>> nanodet_from_tfjs(const pretrained::TfjsWeights& weights, int num_labels) {
  auto net = std::make_shared<NanoDetNetImpl>(num_labels);
  torch::NoGradGuard no_grad;
  auto require = [&](const std::string& name, std::vector<std::int64_t> shape) { return weights.require(name, shape); };
  for (int index = 0; index < nanodet::kConvCount; ++index) {
    const ConvShape shape = conv_shape(index);
    if (shape.name.empty()) continue;
    auto weight = require(tfjs_weight_name(index), {shape.kernel, shape.kernel, shape.in, shape.out});
    if (!weight) return weight.error();
    auto bias = require(tfjs_bias_name(index), {shape.out});
    if (!bias) return bias.error();
    auto oihw = hwio_to_oihw(**weight);
    if (index == 0) oihw = oihw.flip({1});  // NanoDet reads BGR, logoscope feeds RGB
    net->conv(index)->weight.copy_(oihw);
    net->conv(index)->bias.copy_(vector_tensor(**bias));
  }
  constexpr int kOutputs = nanodet::kCocoClasses + 4 * (nanodet::kRegMax + 1);
  for (int level = 0; level < 3; ++level) {
    const int index = 29 + 2 * level;
    auto weight = require(tfjs_weight_name(index), {1, 1, nanodet::kHeadChannels, kOutputs});
    if (!weight) return weight.error();
    auto bias = require(tfjs_bias_name(index), {kOutputs});
    if (!bias) return bias.error();
    const auto w = hwio_to_oihw(**weight);  // [124, 128, 1, 1]
    const auto b = vector_tensor(**bias);
    const auto classes = w.slice(0, 0, nanodet::kCocoClasses);
    if (num_labels == nanodet::kCocoClasses) {
      net->cls_out(level)->weight.copy_(classes);
      net->cls_out(level)->bias.copy_(b.slice(0, 0, nanodet::kCocoClasses));
    } else {
      net->cls_out(level)->weight.copy_(classes.mean(0, true).expand({num_labels, -1, -1, -1}));
    }
    net->box_out(level)->weight.copy_(w.slice(0, nanodet::kCocoClasses));
    net->box_out(level)->bias.copy_(b.slice(0, nanodet::kCocoClasses));
  }
  return net;
}

Result<std::shared_ptr<NanoDetNetImpl>> nanodet_from_cache(int num_labels) {
  const auto& package = pretrained::nanodet_g_package();
  auto folder = pretrained::locate_verified(package);
  if (!folder) return folder.error();
  auto weights = pretrained::TfjsWeights::read((fs::path(*folder) / "nanodet.json").string());
  if (!weights) return weights.error();
  return nanodet_from_tfjs(*weights, num_labels);
}

}  // namespace logoscope::model
