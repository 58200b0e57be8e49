#include "infer/int8_nanodet.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <ATen/Context.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <fmt/format.h>

#include "core/cpu_features.hpp"
#include "infer/network_runner.hpp"
#include "model/nanodet_net.hpp"
#include "model/nanodet_topology.hpp"

namespace logoscope::infer {

namespace {

namespace nd = model::nanodet;
constexpr int kAdds = 4;
constexpr const char* kScheme = "int8: activations per tensor (uint8, zero point), weights per channel (int8, symmetric)";

struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void observe(const torch::Tensor& x) {
    const auto [mn, mx] = torch::aminmax(x);
    lo = std::min(lo, mn.item<double>());
    hi = std::max(hi, mx.item<double>());
  }
  [[nodiscard]] bool seen() const { return lo <= hi; }
};

bool is_output_conv(int index) { return index == 29 || index == 31 || index == 33; }

// Records ranges while computing in float (the folded network's arithmetic).
struct ObservingOps {
  const FoldedNanoDet& net;
  std::vector<Range> convs = std::vector<Range>(nd::kConvCount);
  std::array<Range, kAdds> adds{};

  torch::Tensor conv(int index, const torch::Tensor& x) {
    auto y = net.conv(index)(x);
    convs[static_cast<std::size_t>(index)].observe(y);
    return y;
  }
  torch::Tensor act(const torch::Tensor& x) { return torch::leaky_relu(x, nd::kLeakySlope); }
  torch::Tensor pool(const torch::Tensor& x) { return nd::pool_after_stem(x); }
  torch::Tensor cat(const torch::Tensor& a, const torch::Tensor& b) { return torch::cat({a, b}, 1); }
  torch::Tensor add(int index, const torch::Tensor& a, const torch::Tensor& b) {
    auto y = a + b;
    adds[static_cast<std::size_t>(index)].observe(y);
    return y;
  }
  torch::Tensor resize(const torch::Tensor& x, const torch::Tensor& like) { return nd::resize_like(x, like); }
};

nlohmann::json range_json(const Range& r) { return nlohmann::json::array({r.lo, r.hi}); }

// Activation levels: 256 with VNNI; 128 without, where oneDNN multiplies pairs of uint8 × int8
// into a saturating 16-bit sum (vpmaddubsw): 255 · 127 · 2 overflows it, 127 · 127 · 2 does not.
// Measured on the brands models with AVX2 kernels: full 8-bit activations lost 0.26 AP50.
int64_t activation_levels() { return cpu_features().vnni ? 255 : 127; }

Result<QuantParams> read_range(const nlohmann::json& value, const std::string& field) {
  if (!value.is_array() || value.size() != 2 || !value[0].is_number() || !value[1].is_number()) {
    return Error{ErrorCode::kInvalidValue,
                 fmt::format("model.json: quantization.int8.{} must be [low, high] (two numbers)", field)};
  }
  const double lo = value[0].get<double>();
  const double hi = value[1].get<double>();
  if (!std::isfinite(lo) || !std::isfinite(hi) || lo > hi) {
    return Error{ErrorCode::kInvalidValue,
                 fmt::format("model.json: quantization.int8.{} = [{}, {}] is not a range", field, lo, hi)};
  }
  return activation_qparams(lo, hi);
}

c10::OperatorHandle op(const char* name, const char* overload) {
  return c10::Dispatcher::singleton().findSchemaOrThrow(name, overload);
}

torch::Tensor call_tensor(const c10::OperatorHandle& handle, torch::jit::Stack stack) {
  handle.callBoxed(&stack);
  return stack.front().toTensor();
}

// The 8-bit arithmetic for head_features_with.
struct QuantizedOps {
  const std::vector<Int8Conv>* convs;
  const std::array<QuantParams, kAdds>* adds;

  torch::Tensor conv(int index, const torch::Tensor& x) const {
    return run_int8_conv((*convs)[static_cast<std::size_t>(index)], x);
  }
  torch::Tensor act(const torch::Tensor& x) const { return torch::leaky_relu(x, nd::kLeakySlope); }
  // max-pool and the bilinear resize dispatch to libtorch's quantized kernels.
  torch::Tensor pool(const torch::Tensor& x) const { return nd::pool_after_stem(x); }
  torch::Tensor cat(const torch::Tensor& a, const torch::Tensor& b) const {
    if (a.q_scale() == b.q_scale() && a.q_zero_point() == b.q_zero_point()) return torch::cat({a, b}, 1);
    static const auto qcat = op("quantized::cat", "");
    auto range = [](const torch::Tensor& t) {
      return std::pair{-static_cast<double>(t.q_zero_point()) * t.q_scale(),
                       static_cast<double>(activation_levels() - t.q_zero_point()) * t.q_scale()};
    };
    const auto [alo, ahi] = range(a);
    const auto [blo, bhi] = range(b);
    const auto q = activation_qparams(std::min(alo, blo), std::max(ahi, bhi));
    return call_tensor(qcat, {c10::List<torch::Tensor>({a, b}), int64_t{1}, q.scale, q.zero_point});
  }
  torch::Tensor add(int index, const torch::Tensor& a, const torch::Tensor& b) const {
    static const auto qadd = op("quantized::add", "");
    const auto& q = (*adds)[static_cast<std::size_t>(index)];
    return call_tensor(qadd, {a, b, q.scale, q.zero_point});
  }
  torch::Tensor resize(const torch::Tensor& x, const torch::Tensor& like) const { return nd::resize_like(x, like); }
};

}  // namespace

QuantParams activation_qparams(double lo, double hi) {
  static const int64_t levels = activation_levels();
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  QuantParams q;
  q.scale = std::max((hi - lo) / static_cast<double>(levels), 1e-8);
  q.zero_point = std::clamp<int64_t>(std::llround(-lo / q.scale), 0, levels);
  return q;
}

Int8Conv pack_int8_conv(const torch::Tensor& weight, const torch::Tensor& bias, int stride, int padding,
                        QuantParams out) {
  static const auto prepack = op("quantized::conv2d_prepack", "");
  at::globalContext().setQEngine(at::QEngine::ONEDNN);  // prepacking takes the engine in use
  c10::InferenceMode guard;
  const auto w = weight.to(torch::kFloat).contiguous();
  const auto scales = std::get<0>(w.abs().flatten(1).max(1)).clamp_min(1e-12).div(127.0).to(torch::kDouble);
  const auto zero_points = torch::zeros({w.size(0)}, torch::kLong);
  const auto qweight = torch::quantize_per_channel(w, scales, zero_points, 0, torch::kQInt8);
  torch::jit::Stack stack{qweight,
                          c10::IValue(bias.to(torch::kFloat)),
                          c10::List<int64_t>({stride, stride}),
                          c10::List<int64_t>({padding, padding}),
                          c10::List<int64_t>({1, 1}),
                          int64_t{1}};
  prepack.callBoxed(&stack);
  return {stack.front(), torch::empty(w.sizes(), torch::TensorOptions().device(torch::kMeta)), out};
}

torch::Tensor run_int8_conv(const Int8Conv& conv, const torch::Tensor& x) {
  static const auto qconv = op("quantized::conv2d", "new");
  auto y = call_tensor(qconv, {x, conv.packed, conv.out.scale, conv.out.zero_point});
  FlopCount::add_convolution(conv.weight_shape, y);
  return y;
}

bool int8_available() {
  const auto engines = at::globalContext().supportedQEngines();
  return std::find(engines.begin(), engines.end(), at::QEngine::ONEDNN) != engines.end();
}

Result<nlohmann::json> calibrate_int8(model::DetectorImpl& net, const std::vector<cv::Mat>& images,
                                      const std::vector<int>& long_sides) {
  auto* nanodet = dynamic_cast<model::NanoDetNetImpl*>(&net);
  if (nanodet == nullptr) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("int8 calibration is for NanoDet-g networks; this one is {}", net.architecture())};
  }
  if (images.empty() || long_sides.empty()) {
    return Error{ErrorCode::kInvalidArgument, "int8 calibration needs at least one image and one size"};
  }
  auto folded = FoldedNanoDet::fold(*nanodet);
  if (!folded) return folded.error();
  c10::InferenceMode guard;
  const torch::Device device = net.parameters().front().device();
  ObservingOps ops{*folded};
  Range input;
  for (const cv::Mat& rgb : images) {
    LOGOSCOPE_CHECK(rgb.type() == CV_8UC3 && !rgb.empty());
    for (const int long_side : long_sides) {
      const cv::Mat resized = resize_to_long_side(rgb, long_side);
      const auto x =
          normalised_canvas({resized}, pad_to_32(resized.cols), pad_to_32(resized.rows), torch::kFloat).to(device);
      input.observe(x);
      (void)model::nanodet::head_features_with(ops, x);
    }
  }
  nlohmann::json convs = nlohmann::json::array();
  for (int index = 0; index < nd::kConvCount; ++index) {
    const Range& r = ops.convs[static_cast<std::size_t>(index)];
    convs.push_back(r.seen() ? range_json(r) : nlohmann::json(nullptr));
  }
  nlohmann::json adds = nlohmann::json::array();
  for (const Range& r : ops.adds) adds.push_back(range_json(r));
  return nlohmann::json{{"int8",
                         {{"scheme", kScheme},
                          {"images", images.size()},
                          {"long_sides", long_sides},
                          {"input", range_json(input)},
                          {"convs", convs},
                          {"adds", adds}}}};
}

Result<std::unique_ptr<Int8NanoDet>> Int8NanoDet::make(const FoldedNanoDet& folded, const nlohmann::json& quantization) {
  if (!int8_available()) {
    return Error{ErrorCode::kInvalidArgument,
                 "int8 inference needs libtorch's oneDNN quantized engine, which this libtorch lacks: leave --int8 off"};
  }
  if (!quantization.is_object() || !quantization.contains("int8") || !quantization["int8"].is_object()) {
    return Error{ErrorCode::kInvalidArgument,
                 "this model has no int8 calibration (model.json \"quantization\"): models trained by this "
                 "logoscope have one; leave --int8 off for older models"};
  }
  const auto& q = quantization["int8"];
  if (!q.contains("convs") || !q["convs"].is_array() || q["convs"].size() != nd::kConvCount) {
    return Error{ErrorCode::kInvalidValue,
                 fmt::format("model.json: quantization.int8.convs must list {} ranges", nd::kConvCount)};
  }
  if (!q.contains("adds") || !q["adds"].is_array() || q["adds"].size() != kAdds) {
    return Error{ErrorCode::kInvalidValue, fmt::format("model.json: quantization.int8.adds must list {} ranges", kAdds)};
  }
  auto net = std::unique_ptr<Int8NanoDet>(new Int8NanoDet());
  net->float_ = folded;
  auto input = read_range(q.value("input", nlohmann::json()), "input");
  if (!input) return input.error();
  net->input_ = *input;
  for (int index = 0; index < kAdds; ++index) {
    auto r = read_range(q["adds"][static_cast<std::size_t>(index)], fmt::format("adds[{}]", index));
    if (!r) return r.error();
    net->adds_[static_cast<std::size_t>(index)] = *r;
  }
  net->convs_.resize(nd::kConvCount);
  for (int index = 0; index < nd::kConvCount; ++index) {
    if (is_output_conv(index)) continue;
    const FoldedNet::Conv& conv = folded.conv(index);
    if (!conv.weight.defined()) continue;
    auto range = read_range(q["convs"][static_cast<std::size_t>(index)], fmt::format("convs[{}]", index));
    if (!range) return range.error();
    net->convs_[static_cast<std::size_t>(index)] = pack_int8_conv(conv.weight, conv.bias, conv.stride, conv.padding, *range);
  }
  return net;
}

std::vector<model::LevelOutput> Int8NanoDet::forward(const torch::Tensor& normalised) const {
  c10::InferenceMode guard;
  const auto x = torch::quantize_per_tensor(normalised.contiguous(torch::MemoryFormat::ChannelsLast), input_.scale,
                                            input_.zero_point, torch::kQUInt8);
  QuantizedOps ops{&convs_, &adds_};
  auto features = model::nanodet::head_features_with(ops, x);
  for (auto& f : features) f = f.dequantize().contiguous(torch::MemoryFormat::ChannelsLast);
  return float_.outputs_from(features);
}

}  // namespace logoscope::infer
