// marks/scene_stream.hpp — endless, index-addressable synthetic scenes for pretraining: brand
// marks from a MarkLibrary, painted, bent and degraded, composited onto varied backgrounds, with
// exact boxes.
//
//   auto library = MarkLibrary::load(library_options).value();
//   SceneOptions options;                    // 320×320, 1–6 marks, every effect on
//   options.seed = 7;
//   auto stream = SceneStream::create(library, options).value();
//   SceneSample sample = stream.next(12345);  // the same pixels and boxes every time
//
// Determinism contract: next(i) is a pure function of (the library's options and files, the
// scene options, i). It draws every random number from a std::mt19937_64 seeded with
// mix64(seed ^ mix64(i)) and sets OpenCV's per-thread RNG for the duration of the call (restoring
// it after), so samples do not depend on the thread, on call order or on caches, and a loader
// can shard indices across threads (thread t takes i ≡ t mod T) with no coordination.
//
// Boxes: for each mark, the extent of the pixels where the mark's object (the mark, its outline
// or its container; never its shadow) still covers at least a quarter of the pixel after
// everything painted on top of it, before image-wide blur and resampling. A mark less than
// min_visible_fraction visible (occluded or cut off by the border, measured on alpha) or with too little
// contrast against what is behind it keeps its box with ignore = true, so a trainer neither rewards nor
// penalises it; a mark with no visible pixel has no box.
//
// Thread safety: next() is const and may be called concurrently; the library (and the photos
// folder) must outlive the stream.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "logoscope/dataset.hpp"
#include "logoscope/result.hpp"
#include "marks/mark_library.hpp"
#include "marks/mark_style.hpp"
#include "marks/reference_marks.hpp"

namespace logoscope::marks {

/// Relative weights of the background kinds (0 switches one off).
struct BackgroundOptions {
  double procedural = 1.0;     ///< synth::render_background: gradient, shapes, words, noise
  double fractal_noise = 1.5;  ///< fBm noise: plain, turbulence, marble, ridged; random palette
  double dead_leaves = 1.5;    ///< power-law discs / rectangles
  double julia = 0.5;          ///< Julia-set fractals
  double texture = 1.0;        ///< stripes, checks, dots, wood, waves, grid, bricks
  double gradient = 0.6;       ///< linear or radial, 2–3 colours
  double solid = 0.4;          ///< one flat colour (paper, a wall, a shirt)
  double photo = 2.0;          ///< a crop of a photo from photos_dir (ignored without one)
  double mix_prob = 0.15;      ///< blend two backgrounds (weight 0.3–0.7)
  /// A folder of photos (searched recursively); "" for none. No photo ships with logoscope:
  /// docs/marks.md names Debian packages with suitably licensed ones.
  std::string photos_dir;
  std::size_t photo_cache_bytes = std::size_t{256} << 20;
};

/// What happens to the marks and the whole image after compositing.
struct DegradationOptions {
  double mark_blur_prob = 0.1;      ///< Gaussian σ 0.5–2 px on a mark
  double mark_lowres_prob = 0.12;   ///< a mark rendered at 25–60 % of its size, then enlarged
  double occlusion_prob = 0.2;      ///< per mark: an occluder over 10–60 % of its box
  double image_lowres_prob = 0.12;  ///< the whole image shrunk to 25–60 % and enlarged back
  double grayscale_prob = 0.1;
  double color_jitter = 0.3;  ///< augment::AugmentConfig::color_jitter
  double tint_prob = 0.1;     ///< augment photometric: colour cast
  double blur_prob = 0.1;     ///< augment photometric: 3×3 or 5×5 blur
  double noise_prob = 0.15;   ///< augment photometric: Gaussian noise σ 3–12
  double jpeg_prob = 0.3;     ///< augment photometric: JPEG quality 25–85
};

struct SceneOptions {
  int width = 320;   ///< px, 32–4096
  int height = 320;  ///< px, 32–4096
  std::uint64_t seed = 1;
  int min_marks = 1;                    ///< per image, 0–32
  int max_marks = 6;                    ///< per image, ≥ min_marks
  double empty_prob = 0.05;             ///< images with no mark at all
  double min_mark_side = 10;            ///< px: the longer side of the smallest mark (log-uniform sizes)
  double max_mark_side_fraction = 0.9;  ///< of min(width, height): the largest mark
  double wordmark_prob = 0.3;           ///< a mark is a wordmark (when the library has both kinds)
  double lockup_prob = 0.12;            ///< an icon gets a wordmark beside or below it, one box, its id
  double min_visible_fraction = 0.4;    ///< less visible: the box is kept as ignore
  double min_contrast = 12;  ///< mean |after − before| (max over channels, 0–255) below it: ignore
  /// With reference marks (SceneStream::create's `references`): the share of marks that are one
  /// of them; the others come from the library (as distractors, for one-shot training).
  double reference_prob = 0.7;
  /// Of reference marks: painted in the file's own colours; otherwise styled like library marks
  /// (any colour, gradient, outline, hollow, emblem…). Halved for single-colour files.
  double reference_own_colours_prob = 0.6;
  AppearanceOptions appearance;
  GeometryOptions geometry;
  DegradationOptions degradation;
  BackgroundOptions background;
};

/// One generated image.
struct SceneSample {
  cv::Mat rgb;             ///< CV_8UC3 RGB, width × height
  std::vector<Box> boxes;  ///< xyxy pixels; label = mark id (SceneStream::mark_slug); ignore as above
  std::string background;  ///< the background kind ("dead_leaves", "photo+texture", …)
};

class SceneStream {
 public:
  /// Errors: kInvalidArgument naming the option and its value when one is out of range; those
  /// of PhotoBank::open when background.photos_dir is set.
  /// `references` (one-shot): colour marks drawn with options.reference_prob; their ids follow
  /// the library's (id = library.size() + index). Without them, scenes are exactly as before.
  /// `photos` (optional): background photo files, used as background.photos_dir's would be.
  static Result<SceneStream> create(const MarkLibrary& library, SceneOptions options,
                                    std::vector<ReferenceMark> references = {},
                                    std::vector<std::string> photos = {});

  SceneStream(SceneStream&&) noexcept;
  SceneStream& operator=(SceneStream&&) noexcept;
  ~SceneStream();

  /// Sample `index` (see the determinism contract above).
  [[nodiscard]] SceneSample next(std::uint64_t index) const;

  [[nodiscard]] const SceneOptions& options() const;
  [[nodiscard]] const MarkLibrary& library() const;
  /// The number of reference marks.
  [[nodiscard]] int reference_count() const;
  /// A mark id's name: the library mark's slug, or the reference mark's label.
  [[nodiscard]] const std::string& mark_slug(int id) const;

 private:
  struct Impl;
  explicit SceneStream(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Writes samples first … first+count−1 as JPEGs (quality 92) into out_dir/images/ and returns
/// them as a Dataset for people to look at or to write as a Ground Truth manifest: absolute image
/// paths, ignore boxes kept, labels = the slugs of the marks that appear, in order of first
/// appearance (so Box::label indexes Dataset::labels, not MarkLibrary ids).
/// Errors: kIo (a folder or image cannot be written).
Result<Dataset> write_scene_samples(const SceneStream& stream, const std::string& out_dir,
                                    std::uint64_t first, int count);

}  // namespace logoscope::marks
