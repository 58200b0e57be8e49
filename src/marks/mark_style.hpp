// marks/mark_style.hpp — painting a mark's coverage mask into a layer and bending, warping and
// placing it: the per-mark half of the scene generator (scene_stream.hpp holds the options'
// documentation and the scene-level half).
//
// A Layer keeps colour premultiplied by alpha, so that warps, blurs and shading (all linear) need
// no special care at antialiased edges, and an `object` map: the part of the layer a person would
// draw the box around (the mark, its outline or its container, never its drop shadow).
//
// Thread safety: reentrant.
#pragma once

#include <optional>

#include <opencv2/core.hpp>

#include "marks/random.hpp"

namespace logoscope::marks {

/// How marks are painted. Probabilities are per mark; docs/marks.md lists every range.
struct AppearanceOptions {
  double brand_colour_prob = 0.25;  ///< icons with a known brand colour are painted in it
  double gradient_prob = 0.2;       ///< linear or radial gradient fill
  double texture_prob = 0.1;        ///< procedural texture fill (noise, stripes, …)
  double two_tone_prob = 0.05;      ///< halves in two colours
  double outline_prob = 0.15;       ///< contrasting outline 2–6 % of the mark's size
  double stroke_only_prob = 0.05;   ///< hollow: only the outline is drawn
  double emblem_prob = 0.15;        ///< inside a filled container; the box covers the container
  double knockout_prob = 0.4;       ///< of emblems: the mark is cut out of the container
  double shadow_prob = 0.1;         ///< drop shadow (never part of the box)
  double distress_prob = 0.06;      ///< worn print: holes from thresholded noise
  double translucent_prob = 0.08;   ///< opacity 0.45–0.9
};

/// How marks are bent and warped.
struct GeometryOptions {
  double rotation_sigma_deg = 8;      ///< rotation ~ N(0, σ) …
  double large_rotation_prob = 0.08;  ///< … or uniform in ±180° with this probability
  double max_aspect_change = 0.15;    ///< width/height stretched by up to ±15 % (log-uniform)
  double perspective_prob = 0.35;
  double perspective_strength = 0.18;  ///< corners move up to this fraction of the mark's size
  double cylinder_prob = 0.1;          ///< wrapped around a can (half-angle 30–75°, bowed, shaded)
  double wave_prob = 0.08;             ///< cloth or flag folds (sine displacement and shading)
};

/// A mark ready to composite. All three maps have one size.
struct Layer {
  cv::Mat premultiplied;  ///< CV_32FC3, RGB × alpha, 0–255
  cv::Mat alpha;          ///< CV_32F, 0–1: what is painted
  cv::Mat object;         ///< CV_32F, 0–1: what the box covers

  [[nodiscard]] bool empty() const { return alpha.empty(); }
  [[nodiscard]] cv::Size size() const { return alpha.size(); }
};

/// Paints a coverage mask (CV_8UC1) into a layer: fill, outline or hollow stroke, emblem
/// container, distress, translucency, shadow. `brand_rgb` is used with brand_colour_prob.
/// `container_in_box`: an emblem's box covers its container (any logo); false: only the mark
/// (one brand's mark on a sticker, a badge: the container is not the brand's).
Layer style_mark(Rng& rng, const cv::Mat& mask, const std::optional<cv::Vec3b>& brand_rgb,
                 const AppearanceOptions& options, bool container_in_box = true);

/// Paints a colour mark (CV_8UC4 RGBA, straight alpha: a brand's own logo file) in its own
/// colours, sometimes inverted (10 %) or grey (10 %), with the appearance's distress and
/// translucency; the box covers its visible pixels.
Layer style_colour_mark(Rng& rng, const cv::Mat& rgba, const AppearanceOptions& options);

/// Bends (cylinder or wave) and warps (scale, aspect, rotation, perspective) a layer so that the
/// longer side of its object extent becomes about `target_long_side` px; the result is cropped
/// to its painted pixels plus a 1 px border. Empty when nothing remains.
Layer warp_layer(Rng& rng, const Layer& layer, double target_long_side, const GeometryOptions& options);

/// Gaussian blur of the painted part (premultiplied colour and alpha; the object map keeps the
/// sharp extent). The layer grows by ceil(3·sigma) px on every side. Requires sigma > 0.
void blur_layer(Layer& layer, double sigma);

/// dst = premultiplied + dst · (1 − alpha) over the part of the layer placed at `origin` (its
/// top-left corner, image pixels) that lies inside `image` (CV_32FC3).
void composite_layer(cv::Mat& image, const Layer& layer, cv::Point origin);

/// Bounding box of the pixels where `map` (CV_32F) is at least `threshold`; empty when none.
cv::Rect extent_at_least(const cv::Mat& map, float threshold);

}  // namespace logoscope::marks
