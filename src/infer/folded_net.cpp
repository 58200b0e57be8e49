#include "infer/folded_net.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include <ATen/Parallel.h>
#include <fmt/format.h>

#include "core/cpu_features.hpp"
#include "infer/folded_nanodet.hpp"
#include "infer/int8_nanodet.hpp"
#include "model/nanodet_net.hpp"

namespace logoscope::infer {

// DetectorNetImpl::forward normalises with these ImageNet statistics.
const std::array<float, 3> kInputScale = {1.0F / (255.0F * 0.229F), 1.0F / (255.0F * 0.224F),
                                          1.0F / (255.0F * 0.225F)};
const std::array<float, 3> kInputShift = {-0.485F / 0.229F, -0.456F / 0.224F, -0.406F / 0.225F};

namespace {

template <typename T>
T from_float(float value);

template <>
float from_float<float>(float value) {
  return value;
}

// Round to nearest even, without c10's NaN branch (inputs are finite), so the loop vectorises.
template <>
c10::BFloat16 from_float<c10::BFloat16>(float value) {
  std::uint32_t bits = 0;
  std::memcpy(&bits, &value, sizeof(bits));
  bits += 0x7FFFU + ((bits >> 16) & 1U);
  return {static_cast<std::uint16_t>(bits >> 16), c10::BFloat16::from_bits()};
}

template <typename T>
void normalise_rows(const cv::Mat& rgb, T* canvas, int canvas_w, int canvas_h) {
  LOGOSCOPE_CHECK(rgb.type() == CV_8UC3 && rgb.cols <= canvas_w && rgb.rows <= canvas_h);
  // One period of the interleaved pattern that is also a whole number of SIMD lanes (3 × 16), so
  // the inner loop vectorises.
  constexpr int kPeriod = 48;
  std::array<float, kPeriod> scale{};
  std::array<float, kPeriod> shift{};
  for (int k = 0; k < kPeriod; ++k) {
    scale[static_cast<std::size_t>(k)] = kInputScale[static_cast<std::size_t>(k % 3)];
    shift[static_cast<std::size_t>(k)] = kInputShift[static_cast<std::size_t>(k % 3)];
  }
  std::array<T, 3> pad{};
  for (std::size_t c = 0; c < 3; ++c) pad[c] = from_float<T>(114.0F * kInputScale[c] + kInputShift[c]);
  const int content_w = rgb.cols;
  const int content_h = rgb.rows;
  at::parallel_for(0, canvas_h, 16, [&](int64_t begin, int64_t end) {
    for (int64_t y = begin; y < end; ++y) {
      T* out = canvas + y * static_cast<int64_t>(canvas_w) * 3;
      int x_done = 0;
      if (y < content_h) {
        const std::uint8_t* in = rgb.ptr<std::uint8_t>(static_cast<int>(y));
        const int n = content_w * 3;
        int i = 0;
        for (; i + kPeriod <= n; i += kPeriod) {
          for (int k = 0; k < kPeriod; ++k) {
            out[i + k] = from_float<T>(static_cast<float>(in[i + k]) * scale[static_cast<std::size_t>(k)] +
                                       shift[static_cast<std::size_t>(k)]);
          }
        }
        for (; i < n; ++i) {
          out[i] = from_float<T>(static_cast<float>(in[i]) * kInputScale[static_cast<std::size_t>(i % 3)] +
                                 kInputShift[static_cast<std::size_t>(i % 3)]);
        }
        x_done = content_w;
      }
      for (int x = x_done; x < canvas_w; ++x) {
        out[3 * x] = pad[0];
        out[3 * x + 1] = pad[1];
        out[3 * x + 2] = pad[2];
      }
    }
  });
}

}  // namespace

void normalise_into(const cv::Mat& rgb, float* canvas, int canvas_w, int canvas_h) {
  normalise_rows(rgb, canvas, canvas_w, canvas_h);
}

void normalise_into(const cv::Mat& rgb, c10::BFloat16* canvas, int canvas_w, int canvas_h) {
  normalise_rows(rgb, canvas, canvas_w, canvas_h);
}

namespace {

class Folder {
 public:
  explicit Folder(model::DetectorNetImpl& net)
      : params_(net.named_parameters(true)),
        buffers_(net.named_buffers(true)),
        modules_(net.named_modules()) {}

  torch::Tensor tensor(const std::string& name) {
    if (const auto* found = params_.find(name)) return found->detach();
    if (const auto* found = buffers_.find(name)) return found->detach();
    missing_ = missing_.empty() ? name : missing_;
    return {};
  }

  // A convolution followed by a batch norm, folded.
  torch::Tensor fold_into(const std::string& conv, const std::string& bn, torch::Tensor& bias) {
    auto weight = tensor(conv + ".weight");
    const auto gamma = tensor(bn + ".weight");
    const auto beta = tensor(bn + ".bias");
    const auto mean = tensor(bn + ".running_mean");
    const auto var = tensor(bn + ".running_var");
    double eps = 1e-5;
    if (const auto* module = modules_.find(bn)) {
      if (const auto* norm = (*module)->as<torch::nn::BatchNorm2d>()) eps = norm->options.eps();
    }
    if (!weight.defined() || !gamma.defined() || !beta.defined() || !mean.defined() || !var.defined())
      return {};
    const auto scale = gamma / torch::sqrt(var + eps);
    bias = beta - mean * scale;
    return weight * scale.view({-1, 1, 1, 1});
  }

  FoldedNet::Conv conv_bn(const std::string& conv, const std::string& bn, int stride);
  FoldedNet::Conv conv_plain(const std::string& prefix, int stride);

  [[nodiscard]] const std::string& missing() const { return missing_; }

 private:
  torch::OrderedDict<std::string, torch::Tensor> params_;
  torch::OrderedDict<std::string, torch::Tensor> buffers_;
  torch::OrderedDict<std::string, std::shared_ptr<torch::nn::Module>> modules_;
  std::string missing_;
};

}  // namespace

namespace {
thread_local FlopCount* active_count = nullptr;
}  // namespace

FlopCount::FlopCount() : previous_(active_count) { active_count = this; }
FlopCount::~FlopCount() { active_count = previous_; }

void FlopCount::add_convolution(const torch::Tensor& weight, const torch::Tensor& output) {
  if (active_count == nullptr) return;
  active_count->flop_ += 2.0 * static_cast<double>(output.numel()) * static_cast<double>(weight.size(1)) *
                         static_cast<double>(weight.size(2) * weight.size(3));
}

torch::Tensor FoldedNet::Conv::operator()(const torch::Tensor& x) const {
  // at::conv2d would send batch-1 convolutions of small inputs to im2col + BLAS (slow here).
  auto y = x.is_cpu() ? at::mkldnn_convolution(x, weight, bias, {padding, padding}, {stride, stride}, {1, 1}, 1)
                      : at::conv2d(x, weight, bias, {stride, stride}, {padding, padding});
  FlopCount::add_convolution(weight, y);
  return y;
}

namespace {

FoldedNet::Conv make_conv(torch::Tensor weight, torch::Tensor bias, int stride) {
  FoldedNet::Conv conv;
  if (!weight.defined()) return conv;
  conv.padding = static_cast<int>(weight.size(2) / 2);
  conv.stride = stride;
  conv.weight = weight.contiguous(torch::MemoryFormat::ChannelsLast);
  conv.bias = bias.defined() ? bias.contiguous() : bias;
  return conv;
}

}  // namespace

FoldedNet::Conv Folder::conv_bn(const std::string& conv, const std::string& bn, int stride) {
  torch::Tensor bias;
  auto weight = fold_into(conv, bn, bias);
  return make_conv(weight, bias, stride);
}

FoldedNet::Conv Folder::conv_plain(const std::string& prefix, int stride) {
  auto weight = tensor(prefix + ".weight");
  auto bias = tensor(prefix + ".bias");
  return make_conv(weight, bias, stride);
}

Result<FoldedNet> FoldedNet::fold(model::DetectorNetImpl& net, Precision precision) {
  c10::InferenceMode guard;
  const auto& config = net.config();
  Folder f(net);
  FoldedNet folded;
  folded.stem_ = f.conv_bn("stem.conv", "stem.bn", 2);
  for (std::size_t stage = 0; stage < config.depths.size(); ++stage) {
    const std::string name = "stage" + std::to_string(stage + 1);
    Stage s;
    s.down = f.conv_bn(name + ".0.conv", name + ".0.bn", 2);
    for (int block = 1; block <= config.depths[stage]; ++block) {
      const std::string prefix = name + "." + std::to_string(block);
      s.blocks.push_back({f.conv_bn(prefix + ".conv1.conv", prefix + ".conv1.bn", 1),
                          f.conv_bn(prefix + ".conv2", prefix + ".bn2", 1)});
    }
    folded.stages_.push_back(std::move(s));
  }
  for (int level = 0; level < 3; ++level) {
    folded.lateral_.push_back(f.conv_plain("lateral" + std::to_string(level), 1));
    folded.smooth_.push_back(
        f.conv_bn("smooth" + std::to_string(level) + ".conv", "smooth" + std::to_string(level) + ".bn", 1));
  }
  // Towers are Sequential(conv, ReLU, conv, ReLU, …): convolutions at even indices.
  for (int i = 0; i < config.head_convs; ++i) {
    folded.cls_tower_.push_back(f.conv_plain("cls_tower." + std::to_string(2 * i), 1));
    folded.box_tower_.push_back(f.conv_plain("box_tower." + std::to_string(2 * i), 1));
  }
  folded.cls_out_ = f.conv_plain("cls_out", 1);
  folded.box_out_ = f.conv_plain("box_out", 1);
  folded.ctr_out_ = f.conv_plain("ctr_out", 1);
  folded.level_scales_ = f.tensor("level_scales").clone();
  if (!f.missing().empty()) {
    return Error{ErrorCode::kInvalidValue,
                 fmt::format("the network has no parameter \"{}\": it is not the layout FoldedNet folds",
                             f.missing())};
  }
  if (precision == Precision::kBf16) {
    folded.dtype_ = torch::kBFloat16;
    auto convert = [](Conv& conv) {
      conv.weight = conv.weight.to(torch::kBFloat16).contiguous(torch::MemoryFormat::ChannelsLast);
      conv.bias = conv.bias.to(torch::kBFloat16);
    };
    convert(folded.stem_);
    for (auto& stage : folded.stages_) {
      convert(stage.down);
      for (auto& block : stage.blocks) {
        convert(block.conv1);
        convert(block.conv2);
      }
    }
    for (auto* convs : {&folded.lateral_, &folded.smooth_, &folded.cls_tower_, &folded.box_tower_}) {
      for (auto& conv : *convs) convert(conv);
    }
    convert(folded.cls_out_);
    convert(folded.box_out_);
    convert(folded.ctr_out_);
  }
  return folded;
}

Result<std::unique_ptr<InferenceNet>> make_inference_net(model::DetectorImpl& net, Precision precision,
                                                         const nlohmann::json& quantization) {
  if (precision == Precision::kBf16 && !cpu_features().bf16_convolutions()) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("bfloat16 inference needs a CPU with AVX-512 (avx512bw, avx512vl, avx512dq); this one ({}) "
                             "has: {}. Leave --bf16 off: float32 runs everywhere",
                             cpu_features().model, cpu_features().flags())};
  }
  if (precision == Precision::kInt8 && dynamic_cast<model::NanoDetNetImpl*>(&net) == nullptr) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("int8 inference is for NanoDet-g models; this one is {}: leave --int8 off", net.architecture())};
  }
  if (auto* resnet = dynamic_cast<model::DetectorNetImpl*>(&net)) {
    auto folded = FoldedNet::fold(*resnet, precision);
    if (!folded) return folded.error();
    return std::unique_ptr<InferenceNet>(std::make_unique<FoldedNet>(std::move(folded).value()));
  }
  if (auto* nanodet = dynamic_cast<model::NanoDetNetImpl*>(&net)) {
    auto folded = FoldedNanoDet::fold(*nanodet, precision == Precision::kInt8 ? Precision::kFloat32 : precision);
    if (!folded) return folded.error();
    if (precision == Precision::kInt8) {
      auto int8 = Int8NanoDet::make(*folded, quantization);
      if (!int8) return int8.error();
      return std::unique_ptr<InferenceNet>(std::move(int8).value());
    }
    return std::unique_ptr<InferenceNet>(std::make_unique<FoldedNanoDet>(std::move(folded).value()));
  }
  return Error{ErrorCode::kInvalidValue,
               fmt::format("no inference path for a {} network", net.architecture())};
}

std::vector<model::LevelOutput> FoldedNet::forward(const torch::Tensor& normalised) const {
  c10::InferenceMode guard;
  torch::Tensor x = stem_(normalised).relu_();
  std::vector<torch::Tensor> features;
  for (std::size_t stage = 0; stage < stages_.size(); ++stage) {
    x = stages_[stage].down(x).relu_();
    for (const auto& block : stages_[stage].blocks) {
      auto y = block.conv2(block.conv1(x).relu_());
      x = y.add_(x).relu_();
    }
    if (stage >= 1) features.push_back(x);  // strides 8, 16, 32
  }
  std::vector<torch::Tensor> pyramid(3);
  pyramid[2] = lateral_[2](features[2]);
  for (int level = 1; level >= 0; --level) {
    const auto& below = pyramid[static_cast<std::size_t>(level) + 1];
    auto lateral = lateral_[static_cast<std::size_t>(level)](features[static_cast<std::size_t>(level)]);
    pyramid[static_cast<std::size_t>(level)] = lateral.add_(torch::nn::functional::interpolate(
        below, torch::nn::functional::InterpolateFuncOptions()
                   .size(std::vector<int64_t>{lateral.size(2), lateral.size(3)})
                   .mode(torch::kNearest)));
  }
  std::vector<model::LevelOutput> outputs;
  const std::vector<int> strides = {8, 16, 32};
  for (std::size_t level = 0; level < 3; ++level) {
    const auto p = smooth_[level](pyramid[level]).relu_();
    auto cls_feat = p;
    for (const auto& conv : cls_tower_) cls_feat = conv(cls_feat).relu_();
    auto box_feat = p;
    for (const auto& conv : box_tower_) box_feat = conv(box_feat).relu_();
    model::LevelOutput out;
    out.stride = strides[level];
    out.cls = cls_out_(cls_feat).to(torch::kFloat);
    const auto raw = box_out_(box_feat).to(torch::kFloat) * level_scales_[static_cast<int64_t>(level)];
    out.box = torch::exp(raw.clamp(-10.0, 10.0)) * static_cast<double>(out.stride);
    out.ctr = ctr_out_(box_feat).to(torch::kFloat);
    outputs.push_back(out);
  }
  return outputs;
}

}  // namespace logoscope::infer
