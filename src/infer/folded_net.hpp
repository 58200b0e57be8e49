// infer/folded_net.hpp — the detection network prepared for inference.
//
// model::DetectorNet in eval mode computes conv → batch norm → ReLU as three passes over memory
// and normalises its input with two more. FoldedNet folds every batch norm into the convolution
// before it (W' = W·γ/√(σ²+ε), b' = β − μ·γ/√(σ²+ε), per output channel), applies the ReLUs in
// place, keeps the weights channels-last (oneDNN's fast layout on CPU) and expects its input
// already normalised by the ImageNet mean and standard deviation (see normalise_into), so that
// preprocessing does that in the same pass as the uint8 → float conversion. The topology is
// DetectorNetImpl::forward's, read from the module's parameter names; folding fails with a clear
// error if they do not match. Detections agree with the module's to float rounding (tested in
// tests/infer/test_decode.cpp; BENCHMARKS.md, "Detection speed", has the measured gain).
//
// libtorch types appear here: include only from libtorch-linked modules.
// Thread safety: forward is const and reads the weights only; it may be called from several
// threads at once (each call allocates its own activations).
#pragma once

#include <array>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "logoscope/result.hpp"
#include "model/detector.hpp"
#include "model/detector_net.hpp"

namespace logoscope::infer {

/// Per channel (R, G, B): normalised = pixel · kInputScale[c] + kInputShift[c], i.e.
/// (pixel / 255 − mean) / std with DetectorNet's ImageNet statistics.
extern const std::array<float, 3> kInputScale;
extern const std::array<float, 3> kInputShift;

/// Writes `rgb` (CV_8UC3, any size ≤ the canvas) normalised into the top-left corner of one
/// [H, W, 3] canvas (a channels-last image of an [N, 3, H, W] tensor) and fills the rest with the
/// normalised padding colour (114, 114, 114). Parallel over rows (at::parallel_for).
void normalise_into(const cv::Mat& rgb, float* canvas, int canvas_w, int canvas_h);
/// The same, rounded to bfloat16 (Precision::kBf16).
void normalise_into(const cv::Mat& rgb, c10::BFloat16* canvas, int canvas_w, int canvas_h);

/// Counts the arithmetic (2 × multiply-adds) of the convolutions the inference networks run on
/// this thread while it is alive, for the profile's achieved GFLOP/s. Nests (the innermost counts).
class FlopCount {
 public:
  FlopCount();
  ~FlopCount();
  FlopCount(const FlopCount&) = delete;
  FlopCount& operator=(const FlopCount&) = delete;
  [[nodiscard]] double gflop() const { return flop_ / 1e9; }
  /// Adds a convolution with `weight` [O, I, kh, kw] that produced `output` [N, O, H, W].
  static void add_convolution(const torch::Tensor& weight, const torch::Tensor& output);

 private:
  double flop_ = 0;
  FlopCount* previous_ = nullptr;
};

/// Arithmetic of the convolutions. kFloat32 is the default and agrees with the trained module
/// to float rounding; kBf16 (bfloat16 weights and activations, float accumulation in oneDNN)
/// is 1.4–2× faster on CPUs with AVX-512 BF16 but moves scores (by up to 3e-3 measured): opt-in.
/// kInt8 (int8_nanodet.hpp): 8-bit convolutions from a calibration stored with the model, for
/// NanoDet-g only; opt-in, its accuracy against float is measured in BENCHMARKS.md.
enum class Precision { kFloat32, kBf16, kInt8 };

/// A network prepared for inference: what NetworkRunner runs. Implementations: FoldedNet
/// (DetectorNet) and FoldedNanoDet (folded_nanodet.hpp).
class InferenceNet {
 public:
  virtual ~InferenceNet() = default;
  /// The module's outputs for `normalised` = its normalised input: [N, 3, H, W] of input_dtype(),
  /// channels-last, H and W multiples of 32.
  [[nodiscard]] virtual std::vector<model::LevelOutput> forward(const torch::Tensor& normalised) const = 0;
  [[nodiscard]] virtual torch::Dtype input_dtype() const = 0;
};

/// The inference form of `net` (copied: later changes to `net` are not seen). Errors: kInvalidValue
/// for an unknown architecture or a module that is not its layout; kInvalidArgument for bf16 on a
/// CPU without AVX-512 BF16 support (core/cpu_features.hpp).
Result<std::unique_ptr<InferenceNet>> make_inference_net(model::DetectorImpl& net,
                                                         Precision precision = Precision::kFloat32,
                                                         const nlohmann::json& quantization = nlohmann::json::object());

class FoldedNet final : public InferenceNet {
 public:
  /// One convolution with its batch norm folded in.
  struct Conv {
    torch::Tensor weight;  ///< channels-last
    torch::Tensor bias;
    int stride = 1;
    int padding = 0;
    [[nodiscard]] torch::Tensor operator()(const torch::Tensor& x) const;
  };

  /// Folds `net`'s current weights (they are copied; later changes to `net` are not seen).
  /// Error kInvalidValue when the module's parameters are not DetectorNet's layout.
  static Result<FoldedNet> fold(model::DetectorNetImpl& net, Precision precision = Precision::kFloat32);

  /// Same outputs as DetectorNetImpl::forward (float).
  [[nodiscard]] std::vector<model::LevelOutput> forward(const torch::Tensor& normalised) const override;

  [[nodiscard]] torch::Dtype input_dtype() const override { return dtype_; }

 private:
  struct Block {
    Conv conv1;  ///< + ReLU
    Conv conv2;  ///< + shortcut, then ReLU
  };
  struct Stage {
    Conv down;  ///< stride 2, + ReLU
    std::vector<Block> blocks;
  };

  Conv stem_;
  std::vector<Stage> stages_;
  std::vector<Conv> lateral_;
  std::vector<Conv> smooth_;
  std::vector<Conv> cls_tower_;
  std::vector<Conv> box_tower_;
  Conv cls_out_;
  Conv box_out_;
  Conv ctr_out_;
  torch::Tensor level_scales_;
  torch::Dtype dtype_ = torch::kFloat;
};

}  // namespace logoscope::infer
