// marks/backgrounds.hpp — backgrounds for pretraining scenes: formula-driven images (fractal
// noise, dead leaves, Julia sets, periodic textures, gradients), synth's procedural scenes, and
// photos from a folder the caller names.
//
// Formula-driven backgrounds follow Baradad et al., NeurIPS 2021, "Learning to See by Looking at
// Noise" (dead leaves, spectral noise) and Kataoka et al., ACCV 2020, "Pre-training without
// Natural Images" (fractals): they teach edges, texture and clutter with no licence question.
//
// Every function is a pure function of its Rng's state. Images are CV_8UC3 RGB.
// Thread safety: reentrant; a PhotoBank may be shared between threads.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "logoscope/result.hpp"
#include "marks/random.hpp"

namespace logoscope::marks {

/// A colour from one of four families (vivid, dark, light, any), RGB.
cv::Vec3b random_colour(Rng& rng);
/// A 1×256 CV_8UC3 lookup table through 2–5 random colour stops.
cv::Mat random_palette(Rng& rng);
/// Fractal (fBm) value noise in [0, 1] (CV_32F): `octaves` octaves from a base grid of
/// `base_cells` cells, each octave twice as fine and `persistence` times as strong.
cv::Mat fractal_noise(Rng& rng, cv::Size size, int octaves, double persistence, int base_cells);

/// fBm noise in one of four forms (plain, turbulence, marble, ridged) through a random palette.
cv::Mat render_fractal_noise(Rng& rng, int width, int height);
/// Dead leaves: hundreds of discs or rectangles with power-law sizes (density ∝ r⁻³), painted in
/// order, in colours from a small random palette.
cv::Mat render_dead_leaves(Rng& rng, int width, int height);
/// A Julia set z ← z² + c (|c| ≈ 0.79, random angle, zoom and centre), smoothly coloured.
cv::Mat render_julia(Rng& rng, int width, int height);
/// A periodic texture: stripes, checks, dots, rings (wood), waves, grid or bricks, at a random
/// angle and period, two colours, optional noise shading.
cv::Mat render_texture(Rng& rng, int width, int height);
/// A linear or radial gradient through 2–3 colours.
cv::Mat render_gradient(Rng& rng, int width, int height);

/// Photos from a folder, decoded on demand (imageio, so any format logoscope reads), shrunk so
/// that their shorter side is at most `max_side`, kept in a bounded cache.
class PhotoBank {
 public:
  /// Lists image files (.jpg .jpeg .png .webp .bmp .tif .tiff, any case) under `dir`,
  /// recursively, sorted. Errors: kNotFound (no such folder), kInvalidArgument (no image in it).
  static Result<std::unique_ptr<PhotoBank>> open(const std::string& dir, int max_side,
                                                 std::size_t cache_bytes);
  /// The same over a list of image files, in the given order (a file that cannot be decoded is
  /// skipped when drawn, as above). Errors: kInvalidArgument (no file).
  static Result<std::unique_ptr<PhotoBank>> open_files(std::vector<std::string> files, int max_side,
                                                       std::size_t cache_bytes);
  ~PhotoBank();
  PhotoBank(const PhotoBank&) = delete;
  PhotoBank& operator=(const PhotoBank&) = delete;

  [[nodiscard]] std::size_t size() const;
  /// A width×height view of a random photo: random zoom (1–2.5×), position and mirror.
  /// Empty when that photo cannot be decoded (logged once).
  cv::Mat crop(Rng& rng, int width, int height) const;

 private:
  struct Impl;
  explicit PhotoBank(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace logoscope::marks
