// logoscope/detect.hpp — find logos in images from a C++ program.
//
// A Model is a trained model directory loaded once: read-only, shared by any number of threads.
// A Session is one caller's state on a Model: its execution context (CPU threads for the network)
// and nothing else that outlives a call. Images come in as encoded bytes (JPEG, PNG, WebP, TIFF,
// BMP, GIF, PNM; EXIF orientation applied) or as a plain pixel view; results are plain structs in
// the shape of Rekognition's DetectCustomLabels.
//
//   #include <logoscope/detect.hpp>
//
//   auto model = logoscope::Model::load("my-model");          // Result<std::shared_ptr<const Model>>
//   if (!model) { std::cerr << model.error().message << "\n"; return 2; }
//   logoscope::Session session(*model, {.threads = 1});
//   auto found = session.detect(jpeg_bytes);                  // Result<DetectResult>
//   for (const auto& label : found->labels)
//     std::cout << label.name << " " << label.confidence << "\n";   // confidence 0–100
//
// Boxes: BoundingBox as Rekognition gives it (ratios of the image's width and height, left/top
// may be slightly outside [0, 1] at the edges) and PixelBox (xyxy, pixels of the image as displayed,
// (0,0) the top-left corner of the top-left pixel).
//
// Threads: a Session runs its network passes on the calling thread with ExecutionContext::threads
// intra-op threads, set for that thread only; nothing process-wide changes. Sessions × threads
// should not exceed the cores the machine can give.
//
// Thread safety: Model is immutable and thread-safe. A Session is used by one thread at a time;
// make one Session per worker thread (they are cheap). Results are plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "logoscope/result.hpp"

namespace logoscope {

/// Where a Session's work runs.
struct ExecutionContext {
  /// CPU threads for the network on the calling thread; 0 = the cores other work leaves free right
  /// now (sampled once, when the Session is made).
  int threads = 0;
};

enum class Tiling {
  kAuto,  ///< also scan images much larger than the whole pass in tiles at full resolution
  kOn,    ///< whenever the image is larger than the whole pass
  kOff,   ///< never
};

/// How a model is run; fixed when it is loaded.
struct ModelOptions {
  int infer_size = 0;  ///< long side of the whole pass in pixels; 0 = the model's
  Tiling tiling = Tiling::kAuto;
  int tile_size = 1024;         ///< largest tile side, pixels
  int tile_overlap = -1;        ///< pixels; < 0 = the largest logo the whole pass may miss
  int tile_batch = 1;           ///< tiles per network pass
  bool large_logo_pass = true;  ///< the extra pass for logos bigger than the model learnt
  /// Also run the mirror image and average the two views' scores (test-time flip averaging): a
  /// logo both views find keeps its score, one a single view finds half of it. 1.6× (float) to 2×
  /// (int8) the time of an untiled photo where measured (BENCHMARKS.md); tiles run once. Unset: the model's setting (ModelDescription::
  /// flip_average; on for models trained since 2026-12-07 unless trained with --no-flip-average).
  std::optional<bool> flip_average;
  bool class_agnostic_nms = false;
  bool bf16 = false;  ///< bfloat16 convolutions (needs AVX-512 BF16; kInvalidArgument otherwise)
  /// 8-bit convolutions from the model's calibration (NanoDet-g models trained by this version;
  /// kInvalidArgument otherwise): faster per photo where measured, scores move (BENCHMARKS.md).
  /// Not with bf16.
  bool int8 = false;
};

/// What a model is, from its model.json.
struct ModelDescription {
  std::string directory;     ///< as given to Model::load
  std::string architecture;  ///< e.g. "nanodet-g"
  std::vector<std::string> labels;
  std::vector<double> min_confidence;  ///< per label, the assumed threshold, 0–100
  std::string created;                 ///< ISO 8601 UTC when training finished ("" when unknown)
  std::optional<double> f1;            ///< mean F1 on its test set when evaluated
  int train_size = 0;                  ///< training crop side, pixels
  int infer_size = 0;                  ///< whole-pass long side in effect, pixels
  bool flip_average = false;           ///< detection also runs the mirror image (in effect once loaded)
};

/// Per-call filtering, as DetectCustomLabels' request.
struct DetectOptions {
  /// 0–100. Negative (the default): each label's assumed threshold from the model's evaluation,
  /// as Rekognition does when MinConfidence is omitted. 0: everything the network scores ≥ 1 %.
  double min_confidence = -1;
  std::size_t max_results = 0;            ///< 0 = all; else the N most confident
  std::vector<std::string> labels;        ///< only these labels; empty = all. Unknown names: kInvalidArgument
  std::int64_t max_pixels = 200'000'000;  ///< refuse larger encoded images (kTooLarge), from the header
};

/// A box as Rekognition reports it: ratios of the image size.
struct BoundingBox {
  double width = 0;
  double height = 0;
  double left = 0;
  double top = 0;
};

/// A box in pixels of the image as displayed, xyxy.
struct PixelBox {
  double x0 = 0;
  double y0 = 0;
  double x1 = 0;
  double y1 = 0;
};

struct CustomLabel {
  std::string name;
  int label_index = 0;    ///< index into ModelDescription::labels
  double confidence = 0;  ///< 0–100
  BoundingBox bounding_box;
  PixelBox pixel_box;
};

/// Milliseconds per stage for one image.
struct DetectTimings {
  double decode_ms = 0;
  double preprocess_ms = 0;
  double network_ms = 0;  ///< whole_ms + large_ms + tiles_ms
  double postprocess_ms = 0;
  int passes = 0;  ///< network inputs: whole pass, large-logo pass, tiles
  double whole_ms = 0;       ///< network time of the whole-image pass
  double large_ms = 0;       ///< of the large-logo pass
  double tiles_ms = 0;       ///< of the tiles
  double network_gflop = 0;  ///< convolution arithmetic run (2 × multiply-adds, 1e9)
};

struct DetectResult {
  int width = 0;  ///< pixels as displayed (after EXIF orientation)
  int height = 0;
  std::vector<CustomLabel> labels;    ///< most confident first
  std::vector<std::string> warnings;  ///< decoder findings that did not stop it (e.g. damaged JPEG data)
  DetectTimings timings;
};

enum class PixelFormat { kRgb8, kBgr8, kRgba8, kBgra8, kGray8 };

/// Pixels owned by the caller, valid for the duration of a call.
struct ImageView {
  const std::uint8_t* pixels = nullptr;
  int width = 0;
  int height = 0;
  std::size_t row_bytes = 0;  ///< 0 = width × bytes per pixel (tightly packed)
  PixelFormat format = PixelFormat::kRgb8;
};

class Model {
 public:
  /// Loads a model directory (model.json + weights.pt, from `logoscope train`). Errors:
  /// kNotFound, kInvalidValue (unknown format version, weights that do not match), kInvalidArgument
  /// (options the CPU cannot do), each naming the file.
  static Result<std::shared_ptr<const Model>> load(const std::string& directory,
                                                   const ModelOptions& options = {});
  /// What a model directory holds, from its model.json alone (no weights are read: cheap, for
  /// listings). infer_size is the model's own. Errors: those of load about model.json.
  static Result<ModelDescription> describe(const std::string& directory);

  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  [[nodiscard]] const ModelDescription& description() const;
  /// Checks detection options against this model without detecting, as every detect call would:
  /// kInvalidArgument for min_confidence over 100 or a label the model does not have. For a
  /// program that wants to refuse bad options before it starts on a list of images.
  [[nodiscard]] Status check(const DetectOptions& options) const;

  struct Impl;
  /// Internal: the engine behind the public API.
  [[nodiscard]] const Impl& impl() const { return *impl_; }

 private:
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// One image of Session::detect_files.
struct FileResult {
  std::size_t index = 0;       ///< position in the input list
  std::string path;            ///< as given
  std::optional<Error> error;  ///< set when the file could not be read or decoded
  DetectResult result;         ///< empty when error is set
  ImageView pixels;            ///< the decoded image (RGB), valid during the callback only
};

struct FileOptions {
  int decode_threads = 1;       ///< threads decoding ahead of the network; 0 = decode in turn
  std::size_t image_batch = 4;  ///< same-size images sharing a network pass (with decode_threads > 0)
  /// Images in flight at once, each decoded and detected on its own worker with the session's
  /// threads / images_at_once threads (decode_threads and image_batch then do not apply).
  /// 0 = one per session thread, at most 4; 1 = one image at a time with all the threads.
  int images_at_once = 0;
};

class Session {
 public:
  /// A session on `model`. `context.threads` == 0 samples the free cores now.
  explicit Session(std::shared_ptr<const Model> model, ExecutionContext context = {});
  ~Session();
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;

  /// Detects logos in an encoded image. `name` appears in error messages. Errors:
  /// kUnsupportedFormat (not an image), kTruncated, kCorrupt, kTooLarge (over max_pixels),
  /// kInvalidArgument (unknown label in options.labels, min_confidence over 100).
  Result<DetectResult> detect(std::span<const std::uint8_t> encoded, const DetectOptions& options = {},
                              const std::string& name = "image");
  /// Detects logos in pixels. Errors: kInvalidArgument (empty, row_bytes too small, bad options).
  Result<DetectResult> detect(const ImageView& image, const DetectOptions& options = {});

  /// Detects logos in image files, decoding on `files.decode_threads` threads while the network
  /// runs; calls on_result once per path, in input order, on the calling thread. A file that
  /// cannot be read is a FileResult with error set; the run goes on. Errors (before any file):
  /// kInvalidArgument for bad options. Exceptions thrown by on_result end the run and propagate.
  Status detect_files(const std::vector<std::string>& paths, const DetectOptions& options,
                      const FileOptions& files, const std::function<void(const FileResult&)>& on_result);

  [[nodiscard]] const Model& model() const;
  /// Threads this session's calls use.
  [[nodiscard]] int threads() const;

 private:
  std::shared_ptr<const Model> model_;
  int threads_ = 1;
};

}  // namespace logoscope
