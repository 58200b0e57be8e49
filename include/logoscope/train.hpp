// logoscope/train.hpp — train a detector from labeled images, from a C++ program.
//
//   #include <logoscope/train.hpp>
//
//   logoscope::TrainOptions options;
//   options.train = "labels.manifest";          // Ground Truth manifest, COCO json, YOLO data.yaml, VOC xml
//   options.out = "my-model";
//   // Length: the recipe's step count for the data (options.steps to choose another), the same
//   // model on any machine; options.time_budget_s caps it (summary->stopped_by says when it did).
//   auto summary = logoscope::train_model(options, [](const logoscope::TrainProgress& p) { /* draw a bar */
//   }); if (!summary) { std::cerr << summary.error().message << "\n"; return 2; } std::cout << "test F1 " <<
//   summary->test->mean_f1 << "\n";
//
// One-shot: `references` (the brand's logo files) instead of, or besides, `train`.
//
// Without `test`, 20 % of `train` is held out (a stratified split by `seed`) and the model is
// evaluated on it; the per-label assumed thresholds that evaluation finds are stored in the model
// and used by detection when no minimum confidence is given. The model folder is what
// Model::load (detect.hpp) and `logoscope serve` take.
//
// Threads: training uses ExecutionContext::threads for the whole process's libtorch while it runs.
// Thread safety: one training at a time per process.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "logoscope/detect.hpp"
#include "logoscope/result.hpp"

namespace logoscope {

struct TrainOptions {
  std::string train;         ///< labeled dataset file (format detected from the file)
  std::string test;          ///< optional test dataset; empty = hold out 20 % of train
  std::string train_format;  ///< "manifest", "coco", "yolo", "voc"; empty = detect
  std::string test_format;
  std::string
      out;  ///< model folder to write (refused when it already holds a model, unless resume/overwrite)
  std::vector<std::string> negatives;  ///< images or folders of photos with no logo
  /// One-shot: the brand's own logo files, "LABEL=FILE" or "FILE" (label = the file's stem), SVG
  /// or an image (PNG with alpha is best). Generated scenes that place them into `negatives` and
  /// generated backgrounds become training images; `train` is then optional and mixed in when
  /// given. Without `test` or `train`, the test set (and so the thresholds) is generated too.
  std::vector<std::string> references;
  int reference_scenes = 3000;  ///< generated training scenes (~0.3 MB of memory each)
  int reference_test_scenes = 300;  ///< generated test scenes, when neither test nor train is given
  bool reference_name_lockups = false;  ///< also draw icon-shaped references with the label's words beside them
  /// Cap on wall-clock training time, seconds; <= 0: none. When it ends training before the step
  /// count, TrainSummary::stopped_by is "time_budget" (and the model is likely less accurate).
  double time_budget_s = 0;
  /// Polled between steps (on the training thread); when it returns true, training ends there as
  /// if its length were reached: the best weights so far are kept, the test set is scored and the
  /// model folder written, with TrainSummary::stopped_by "stopped". Empty: never.
  std::function<bool()> stop_requested;
  /// Training steps (batches); 0: the default for the data (400 for one label and up to 20
  /// photos, growing with the photos, at most 4000), unless `epochs` is set.
  std::int64_t steps = 0;
  int epochs = 0;                      ///< > 0 (and steps 0): this many passes over the data
  int batch_size = 16;
  int input_size = 320;  ///< training crop side, pixels
  int infer_size = 512;  ///< whole-pass long side stored for detection
  double learning_rate = 2e-3;
  std::uint64_t seed = 0;                   ///< one seed: split, augmentation, initial weights
  std::string base;                         ///< model folder to start from; empty = the built-in base model
  bool scratch = false;                     ///< start from random weights instead
  std::string architecture;                 ///< "nanodet-g" / "fcos-resnet-fpn"; empty = the base's
  int freeze = 0;                           ///< nanodet-g: backbone parts kept fixed (0 = none)
  double trunk_lr_scale = -1;               ///< < 0: the architecture's default
  double hard_negatives = 1.0;              ///< preference for the negatives scored highest (0 = uniform)
  std::vector<std::string> no_flip_labels;  ///< labels never mirrored (a mirror image means another logo)
  bool flips = true;
  /// Detection with the model also runs the mirror image and averages the two views
  /// (ModelOptions::flip_average; model.json input.flip_average). Off with flips = false.
  bool flip_average = true;
  bool copy_paste = true;
  bool mosaic = true;
  bool distractors = true;
  bool resume = false;     ///< continue the checkpoint in `out`
  bool overwrite = false;  ///< train over a model already in `out`
  /// Records of `train` / `test` that cannot be used (a bad manifest line, a box outside its
  /// image) and images that cannot be read (missing, undecodable; negatives too) end the call
  /// before the first training step, named in the error and the log, unless this is set: then the
  /// rest is trained on and the record problems are returned in TrainSummary::warnings.
  bool skip_bad = false;
  ExecutionContext context;
};

struct TrainProgress {
  enum class Phase { kDecoding, kTraining, kValidating, kTesting };
  Phase phase = Phase::kTraining;
  std::string what;       ///< what done/total count: e.g. "training images"; training: "steps" or "seconds"
  /// Images (decoding, validating, testing); training: steps of the step count, or seconds of the
  /// time budget when no step count was set.
  std::int64_t done = 0;
  std::int64_t total = 0;
  std::string status;     ///< e.g. "loss 0.412 val F1 0.81 AP50 0.77"
  bool finished = false;  ///< the phase is over
};

/// The test set's scores (all in [0, 1]).
struct TestScores {
  std::string source;  ///< the test dataset, or "TRAIN (20% held out)"
  double mean_f1 = 0;
  double mean_precision = 0;
  double mean_recall = 0;
  double map50 = 0;
};

struct TrainSummary {
  std::string model;  ///< the model folder written
  std::int64_t steps = 0;          ///< steps trained
  std::int64_t planned_steps = 0;  ///< the step count the run was to reach
  /// Why training ended: "steps" / "epochs" (the planned length), "time_budget" (the cap cut it
  /// short), "early_stop" (validation stopped improving), "stopped" (stop_requested said so).
  std::string stopped_by;
  std::int64_t images_seen = 0;
  double train_seconds = 0;
  double best_val_ap50 = -1;          ///< on the validation split carved from train; < 0 when none
  std::optional<TestScores> test;     ///< when there was a test set
  std::vector<std::string> warnings;  ///< records of the data that could not be used, one line each
};

/// Trains and writes options.out (model.json, weights.pt, training.csv, checkpoints). Errors:
/// kNotFound / kParse / kInvalidValue for unusable data (naming file and line), kInvalidArgument
/// for options (an existing model in `out` without resume/overwrite), kIo for write failures.
/// `on_progress` may be empty; it may be called from several threads.
Result<TrainSummary> train_model(const TrainOptions& options,
                                 const std::function<void(const TrainProgress&)>& on_progress = {});

}  // namespace logoscope
