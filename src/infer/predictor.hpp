// infer/predictor.hpp — run a trained model on images: preprocess → network → decode → NMS,
// with tiling for large images.
//
// The whole image is resized so that its long side is the model's infer_long_side (or
// PredictorOptions::long_side), padded to a multiple of 32, run through the network, decoded and
// suppressed (class-aware NMS + containment). When the image is much larger than that
// (tiling.hpp), overlapping tiles at the image's native scale run too and their detections are
// merged across the seams. Detections come back in original-image pixels.
//
// Large logos: the network learnt logos up to max_box_side_fraction × train_size network pixels
// (model.json training.augment; 0.95 × 320 = 304 by default). When the whole pass is larger than
// that, a logo filling most of the photo is bigger than anything the network saw, so a second
// "large-logo pass" runs the image at long side large_logo_pass_side (256 by default: a logo
// filling the frame is then 84 % of the largest learnt), and keeps its detections at least half
// that largest learnt size (in whole-pass pixels); NMS merges them with the whole pass.
//
// Usage, one image:     auto p = Predictor::load(dir).value();  auto dets = p->detect(rgb);
// Usage, a pipeline:    worker threads call p->prepare(rgb) (CPU only: tile plan, resize) while
//                       one thread calls p->run(prepared) (network, decoding, merging).
// No libtorch type appears here (pimpl).
//
// Threads: each call runs its network passes with PredictorOptions::threads intra-op threads on
// the calling thread (ScopedIntraOpThreads), never changing libtorch's process-wide setting.
//
// Thread safety: every member is const and may be called from any number of threads at once
// (the network's weights are read-only; each call has its own buffers). Two callers with 1
// thread each use 2 cores; callers × threads should not exceed the free cores.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <opencv2/core.hpp>

#include "infer/nms.hpp"
#include "infer/tiling.hpp"
#include "logoscope/detection.hpp"
#include "logoscope/result.hpp"
#include "model/model_info.hpp"

namespace logoscope::model {
class DetectorImpl;
}

namespace logoscope::infer {

struct PredictorOptions {
  float min_score = 0.05F;                 ///< detections below are never returned (evaluation uses 0.01)
  int long_side = 0;                       ///< whole pass; 0 = the model's infer_long_side
  int top_k = 1000;                        ///< candidates per pass before NMS
  NmsOptions nms{-1.0, -1.0, false, 300};  ///< negative iou/containment: the model's settings
  /// Intra-op threads per call, on the calling thread. load(): 0 = choose_thread_count;
  /// create(): 0 = the calling thread's count as it is; < 0: as it is (the caller sets it).
  int threads = 0;
  /// Tiling of large images. tiling.min_reliable_side ≤ 0 (the default here): 1.6 × the smallest
  /// box side the model was trained with (model.json training.augment.min_box_side; 16 px when
  /// absent).
  TilingOptions tiling{TileMode::kAuto, kDefaultTileSize, -1, 1.5, 0, 2};
  int max_batch = 1;  ///< tiles per forward pass (BENCHMARKS.md: no gain for tiles on 2 cores)
  /// bfloat16: 1.4–2× faster convolutions on CPUs with AVX-512 BF16, scores move (up to 3e-3)
  /// (BENCHMARKS.md); the default float32 agrees with the trained network to float rounding.
  bool bf16 = false;
  /// 8-bit convolutions (int8_nanodet.hpp) from the model's calibration: NanoDet-g models only,
  /// scores move (BENCHMARKS.md, "int8 detection and where detection time goes"). Not with bf16.
  bool int8 = false;
  /// The large-logo pass described above (when the model needs it); false: the whole pass only.
  bool large_logo_pass = true;
  /// Test-time flip averaging: the whole and large-logo passes also run on the mirror image (in
  /// the same batch) and the two views are fused (flip_fusion.hpp): a logo both views see keeps
  /// the mean score, one only a single view sees half its score. Tiles run once. 1.6× (float) to
  /// 2× (int8) the time of an untiled photo, measured (BENCHMARKS.md). Unset: the model's setting (ModelInfo::flip_average).
  std::optional<bool> flip_average;
};

/// Milliseconds per stage for one image.
struct StageTimes {
  double decode_ms = 0;       ///< reading and decoding the file (callers that decode fill this)
  double preprocess_ms = 0;   ///< tile plan, resize, uint8 → normalised float
  double network_ms = 0;      ///< forward passes: whole_ms + large_ms + tiles_ms
  double whole_ms = 0;        ///< the whole-image pass (network only)
  double large_ms = 0;        ///< the large-logo pass
  double tiles_ms = 0;        ///< the tiles
  double network_gflop = 0;   ///< arithmetic of the convolutions run (2 × multiply-adds, 1e9)
  double postprocess_ms = 0;  ///< box decoding, NMS, tile merge
  int passes = 0;             ///< network inputs: 1 + large-logo pass + tiles
};

/// An image made ready for the network by Predictor::prepare.
struct PreparedImage {
  cv::Mat rgb;       ///< the image (CV_8UC3), shared, not copied; tiles are cut from it
  TilePlan plan;     ///< tiles (empty: the whole pass only)
  cv::Mat whole;     ///< the whole pass's pixels, resized (may share rgb's pixels)
  cv::Mat large;     ///< the large-logo pass's pixels (empty: no such pass)
  StageTimes times;  ///< preprocess_ms so far
};

class Predictor {
 public:
  /// Loads MODEL_DIR (model.json + weights.pt). Errors: kNotFound, kInvalidValue (unknown
  /// version, mismatched weights) naming the file.
  static Result<std::unique_ptr<Predictor>> load(const std::string& model_dir,
                                                 const PredictorOptions& options = {});
  /// A predictor over an in-memory network described by `info` (the trainer validates its
  /// weights through this, so validation sees exactly what detect will). The weights are copied
  /// now; `net` is left in the mode it was in. Errors:
  /// kInvalidArgument (bf16 on a CPU without it, int8 without a calibration), kInvalidValue (no
  /// inference path).
  static Result<std::unique_ptr<Predictor>> create(model::ModelInfo info, model::DetectorImpl& net,
                                                   const PredictorOptions& options = {});
  ~Predictor();
  Predictor(const Predictor&) = delete;
  Predictor& operator=(const Predictor&) = delete;

  /// Detections for one RGB image (CV_8UC3), all scores ≥ min_score, after NMS (and the tile
  /// merge when tiled). `times`, when given, receives the stage timings.
  std::vector<Detection> detect(const cv::Mat& rgb, StageTimes* times = nullptr) const;

  /// The CPU-only first half of detect: plans the tiles and resizes the whole pass.
  [[nodiscard]] PreparedImage prepare(const cv::Mat& rgb) const;
  /// The second half: network, decoding, NMS, merge. Adds to image.times.
  std::vector<Detection> run(PreparedImage& image) const;
  /// run() for several images in one network pass when all are untiled with whole passes of
  /// one size (measured ~20 % faster per image at 512×384 on 2 cores); else one run() each.
  /// Each image's times get an equal share of the batch's.
  std::vector<std::vector<Detection>> run_batch(const std::vector<PreparedImage*>& images) const;
  /// True when run_batch can put `a` and `b` in one pass.
  [[nodiscard]] static bool batchable(const PreparedImage& a, const PreparedImage& b);

  [[nodiscard]] const model::ModelInfo& info() const;
  /// The tiling in effect (min_reliable_side resolved from the model).
  [[nodiscard]] const TilingOptions& tiling() const;
  /// Long side of the whole pass.
  [[nodiscard]] int long_side() const;
  /// Long side of the large-logo pass; 0 when there is none.
  [[nodiscard]] int large_logo_long_side() const;
  /// Whether each pass also runs on the mirror image (PredictorOptions::flip_average resolved).
  [[nodiscard]] bool flip_average() const;

 private:
  struct Impl;
  explicit Predictor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// 1.6 × the smallest training box side recorded in `info` (training.augment.min_box_side),
/// or 16 when the model does not record it: the smallest logo, in network pixels, the whole
/// pass is trusted to find.
double reliable_logo_side(const model::ModelInfo& info);

/// The large-logo pass's long side: the largest multiple of 32 at most kLargePassFill × the largest
/// learnt logo (so that a logo filling the frame is well inside what the network learnt), within
/// 64…train_size. 256 for the defaults (train_size 320, largest logo 304). It was train_size (320)
/// until 2026-12-07: on the brands protocol 192, 224 and 256 scored as 320 within noise (mean
/// ΔAP50 +0.004 to +0.009) for 12 % less arithmetic per photo (BENCHMARKS.md, "int8 detection and
/// where detection time goes").
int large_logo_pass_side(const model::ModelInfo& info);
inline constexpr double kLargePassFill = 0.85;

/// max_box_side_fraction × train_size from `info` (0.95 when not recorded): the largest logo, in
/// network pixels, the model learnt.
double largest_learnt_logo_side(const model::ModelInfo& info);

}  // namespace logoscope::infer
