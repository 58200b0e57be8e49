// infer/int8_nanodet.hpp — NanoDet-g with 8-bit integer convolutions, for CPUs where float
// convolutions are the limit (the AVX2-only machines above all).
//
// What changes against FoldedNanoDet (the float path):
//   * every 3×3 and 1×1 convolution of the backbone, the PAN and the head's 3×3 convolutions run
//     in int8 through libtorch's oneDNN quantized engine: weights per output channel, symmetric
//     (scale = max |w| / 127), bias in float; activations per tensor, unsigned 8 bit with a zero
//     point, their ranges fixed by calibration (below);
//   * LeakyReLU, max-pool, the bilinear resizes, concatenations and the PAN's additions work on the
//     8-bit tensors (concatenations requantise to the union of their inputs' ranges, additions to
//     their calibrated range);
//   * the three 1×1 output convolutions (class scores, box distributions, centre-ness) stay
//     float: the scores that rank detections keep their precision.
//
// Calibration (calibrate_int8) runs the float network over images the way detection sees them
// (resized to a long side, padded to 32) and records each convolution's output range (before its
// activation) and each addition's; model.json stores them as "quantization" ({"int8": {...}},
// docs/detect.md). `train` writes it for every NanoDet-g model from its training photos.
//
// Accuracy and speed against float are measured in BENCHMARKS.md ("int8 detection and where
// detection time goes").
//
// libtorch types appear here: include only from libtorch-linked modules.
// Thread safety: forward is const and may be called from several threads at once.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <torch/torch.h>

#include "infer/folded_nanodet.hpp"
#include "logoscope/result.hpp"
#include "model/detector.hpp"

namespace logoscope::infer {

/// The "quantization" object of model.json for `net` (a NanoDet-g network), from `images` (RGB,
/// CV_8UC3) each resized so its long side is each of `long_sides` (the whole pass and the
/// large-logo pass: the sizes detection runs). Error kInvalidArgument when `net` is not NanoDet-g
/// or `images` or `long_sides` is empty.
Result<nlohmann::json> calibrate_int8(model::DetectorImpl& net, const std::vector<cv::Mat>& images,
                                      const std::vector<int>& long_sides);

/// True when libtorch offers the oneDNN quantized engine this path needs.
bool int8_available();

/// An activation's 8-bit form: value = (q − zero_point) · scale.
struct QuantParams {
  double scale = 1;
  int64_t zero_point = 0;
};

/// uint8 parameters for the range [lo, hi] (widened to hold 0 exactly), over the levels this CPU's
/// int8 kernels take without overflow: 256 with VNNI, 128 without.
QuantParams activation_qparams(double lo, double hi);

/// One convolution in oneDNN's int8 form: weights quantised per output channel (symmetric,
/// max |w| / 127), bias in float, output quantised with `out`.
struct Int8Conv {
  c10::IValue packed;          ///< oneDNN's packed weights
  torch::Tensor weight_shape;  ///< a data-less tensor of the weights' shape (FlopCount)
  QuantParams out;             ///< the convolution's output (before activation)
};

/// Packs float `weight` [O, I, k, k] and `bias` [O] (selecting libtorch's oneDNN quantized
/// engine, process-wide). Requires int8_available().
Int8Conv pack_int8_conv(const torch::Tensor& weight, const torch::Tensor& bias, int stride, int padding,
                        QuantParams out);
/// Runs `conv` on the quint8 tensor `x` (channels-last) and counts it in FlopCount.
torch::Tensor run_int8_conv(const Int8Conv& conv, const torch::Tensor& x);

class Int8NanoDet final : public InferenceNet {
 public:
  /// The int8 form of `folded` with the activation ranges of `quantization` (model.json's object).
  /// Errors: kInvalidArgument when the model has no int8 calibration or libtorch lacks the engine;
  /// kInvalidValue naming the field when the calibration is malformed.
  static Result<std::unique_ptr<Int8NanoDet>> make(const FoldedNanoDet& folded, const nlohmann::json& quantization);

  [[nodiscard]] std::vector<model::LevelOutput> forward(const torch::Tensor& normalised) const override;
  [[nodiscard]] torch::Dtype input_dtype() const override { return torch::kFloat; }

 private:
  std::vector<Int8Conv> convs_;         ///< indexed as the module's; 29, 31, 33 unused
  std::array<QuantParams, 4> adds_{};   ///< the PAN's additions
  QuantParams input_;
  FoldedNanoDet float_;  ///< the float network (its output convolutions run here)
};

}  // namespace logoscope::infer
