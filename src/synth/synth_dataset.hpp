// synth/synth_dataset.hpp — procedural logo datasets that need no downloads.
//
// Used by `logoscope demo`, by tests (learnability, CLI smoke tests) and as material for
// pretraining. Every label gets a fixed, distinctive mark (shape, colours, letters) derived from
// its index; marks are pasted at random sizes, rotations and mirrorings onto procedural
// backgrounds (gradients, shapes, lines, text distractors, noise). Boxes are the exact bounds of
// the pasted mark's pixels. Output is a pure function of the options (seeded).
//
// Thread safety: reentrant.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include <opencv2/core.hpp>

#include "logoscope/dataset.hpp"
#include "logoscope/result.hpp"

namespace logoscope::synth {

struct SynthOptions {
  int images = 24;
  int width = 320;
  int height = 240;
  int labels = 2;                  ///< 1..8 distinct marks
  std::uint64_t seed = 1;
  int max_marks_per_image = 3;
  double empty_image_fraction = 0.15;  ///< images with no mark at all
  int min_mark_side = 28;          ///< px
  int max_mark_side = 96;          ///< px
  double max_rotation_deg = 15.0;
  int jpeg_quality = 90;
};

/// A mark rendered on a square canvas: RGB pixels and an 8-bit coverage mask.
struct Mark {
  cv::Mat rgb;   ///< CV_8UC3
  cv::Mat mask;  ///< CV_8UC1, 255 = mark
};

/// The name of label `label` in generated datasets ("acme", "bolt", …). Requires 0 ≤ label < 8.
std::string synthetic_label_name(int label);

/// Draws label `label`'s mark on a size×size canvas. Requires size ≥ 16.
Mark render_mark(int label, int size);

/// roi = foreground·alpha + roi·(1 − alpha), in place. foreground CV_8UC3 and alpha CV_32F in
/// [0, 1], both of roi's size.
void blend_over(cv::Mat& roi, const cv::Mat& foreground, const cv::Mat& alpha);

/// A procedural background of the given size.
cv::Mat render_background(std::mt19937_64& rng, int width, int height);

/// One image with marks pasted; appends the boxes (xyxy pixels) with labels to `boxes`.
cv::Mat render_scene(std::mt19937_64& rng, const SynthOptions& options, std::vector<Box>& boxes);

/// Writes `options.images` JPEGs to out_dir/images/ and returns the dataset (absolute paths).
/// Errors: kIo when out_dir cannot be created or an image cannot be written;
/// kInvalidArgument for options out of range.
Result<Dataset> write_synthetic_dataset(const std::string& out_dir, const SynthOptions& options);

}  // namespace logoscope::synth
