#include "marks/scene_stream.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "augment/augment.hpp"
#include "imageio/image_io.hpp"
#include "marks/backgrounds.hpp"
#include "marks/random.hpp"
#include "synth/synth_dataset.hpp"

namespace fs = std::filesystem;

namespace logoscope::marks {

namespace {

constexpr double kMinShortSide = 4;  // px: thinner marks (long words set small) are enlarged
// A pixel belongs to a box when at least this much of it is still visible mark: low enough to
// keep strokes thinner than a pixel (a swoosh's tail), high enough that the 1 px bilinear fringe
// of a warp does not widen every box.
constexpr float kBoxAlpha = 0.25F;

enum class Background {
  kProcedural,
  kFractalNoise,
  kDeadLeaves,
  kJulia,
  kTexture,
  kGradient,
  kSolid,
  kPhoto
};
constexpr const char* kBackgroundNames[] = {"procedural", "fractal_noise", "dead_leaves", "julia",
                                            "texture",    "gradient",      "solid",       "photo"};

// A mark on the image: where its layer lies and how much of its object is still visible.
struct Placed {
  int id = 0;
  cv::Rect rect;            // the layer's canvas in image pixels (may extend past the image)
  cv::Mat visible;          // CV_32F, rect-sized: object × Π(1 − alpha of everything on top)
  double object_total = 0;  // Σ object over the whole canvas, on or off the image
  double contrast = 0;
};

// Everything painted at `rect` with `alpha` hides that much of the marks below it.
void cover(std::vector<Placed>& placed, const cv::Rect& rect, const cv::Mat& alpha,
           const cv::Rect& image_rect) {
  for (auto& mark : placed) {
    const cv::Rect overlap = mark.rect & rect & image_rect;
    if (overlap.area() == 0) continue;
    cv::Mat visible = mark.visible(overlap - mark.rect.tl());
    const cv::Mat keep = 1.0 - alpha(overlap - rect.tl());
    cv::multiply(visible, keep, visible);
  }
}

// How much a mark changed the pixels under its object: the largest per-channel mean absolute
// difference (luma only for grayscale images).
double contrast(const cv::Mat& before, const cv::Mat& after, const cv::Mat& where, bool grayscale) {
  if (cv::countNonZero(where) == 0) return 0;
  if (grayscale) {
    cv::Mat gray_before;
    cv::Mat gray_after;
    cv::cvtColor(before, gray_before, cv::COLOR_RGB2GRAY);
    cv::cvtColor(after, gray_after, cv::COLOR_RGB2GRAY);
    cv::Mat difference;
    cv::absdiff(gray_before, gray_after, difference);
    return cv::mean(difference, where)[0];
  }
  cv::Mat difference;
  cv::absdiff(before, after, difference);
  const cv::Scalar mean = cv::mean(difference, where);
  return std::max({mean[0], mean[1], mean[2]});
}

std::string check_probability(const char* name, double value) {
  return value >= 0 && value <= 1 ? "" : fmt::format("{} must be in [0, 1], got {}", name, value);
}

}  // namespace

struct SceneStream::Impl {
  const MarkLibrary* library = nullptr;
  SceneOptions options;
  std::unique_ptr<PhotoBank> photos;
  std::vector<ReferenceMark> references;
  std::vector<double> reference_weights;  // references[i].weight, for drawing one

  cv::Mat render_background(Rng& rng, Background kind) const;
  cv::Mat background(Rng& rng, std::string& name) const;
  cv::Mat lockup(Rng& rng, const cv::Mat& icon) const;
  std::optional<Layer> make_mark(Rng& rng, int& id) const;
  std::optional<Layer> make_reference_mark(Rng& rng, int& id) const;
  std::pair<Layer, cv::Point> make_occluder(Rng& rng, const cv::Rect& target) const;
  SceneSample next(std::uint64_t index) const;
};

cv::Mat SceneStream::Impl::render_background(Rng& rng, Background kind) const {
  const int w = options.width;
  const int h = options.height;
  switch (kind) {
    case Background::kProcedural:
      return synth::render_background(rng.engine(), w, h);
    case Background::kFractalNoise:
      return render_fractal_noise(rng, w, h);
    case Background::kDeadLeaves:
      return render_dead_leaves(rng, w, h);
    case Background::kJulia:
      return render_julia(rng, w, h);
    case Background::kTexture:
      return render_texture(rng, w, h);
    case Background::kGradient:
      return render_gradient(rng, w, h);
    case Background::kSolid:
      return {h, w, CV_8UC3, cv::Scalar(random_colour(rng))};
    case Background::kPhoto: {
      cv::Mat photo = photos ? photos->crop(rng, w, h) : cv::Mat();
      return photo.empty() ? render_fractal_noise(rng, w, h) : photo;
    }
  }
  return render_gradient(rng, w, h);
}

cv::Mat SceneStream::Impl::background(Rng& rng, std::string& name) const {
  const BackgroundOptions& b = options.background;
  const std::vector<double> weights = {b.procedural, b.fractal_noise, b.dead_leaves, b.julia,
                                       b.texture,    b.gradient,      b.solid,       photos ? b.photo : 0.0};
  const auto first = static_cast<Background>(rng.weighted(weights));
  cv::Mat image = render_background(rng, first);
  name = kBackgroundNames[static_cast<int>(first)];
  if (rng.chance(b.mix_prob)) {
    const auto second = static_cast<Background>(rng.weighted(weights));
    const double weight = rng.uniform(0.3, 0.7);
    cv::addWeighted(image, 1 - weight, render_background(rng, second), weight, 0, image);
    name += fmt::format("+{}", kBackgroundNames[static_cast<int>(second)]);
  }
  return image;
}

// A combination mark: the icon with a wordmark beside or below it, as one mask.
cv::Mat SceneStream::Impl::lockup(Rng& rng, const cv::Mat& icon) const {
  const int word_id = library->icon_count() + rng.uniform_int(0, library->wordmark_count() - 1);
  const bool below = rng.chance(0.4);
  const int icon_side = std::max(icon.cols, icon.rows);
  const cv::Mat word_source = library->mask(word_id, std::max(16, icon_side * 3));
  if (word_source.empty()) return icon;
  const double word_aspect = static_cast<double>(word_source.cols) / word_source.rows;
  cv::Size word_size;
  if (below) {
    const int width = std::max(4, static_cast<int>(std::lround(icon.cols * rng.uniform(0.8, 2.0))));
    word_size = {width, std::max(2, static_cast<int>(std::lround(width / word_aspect)))};
  } else {
    const int height = std::max(3, static_cast<int>(std::lround(icon.rows * rng.uniform(0.35, 0.8))));
    word_size = {std::max(2, static_cast<int>(std::lround(height * word_aspect))), height};
  }
  cv::Mat word;
  cv::resize(word_source, word, word_size, 0, 0, cv::INTER_AREA);
  const int gap = std::max(1, static_cast<int>(std::lround(icon_side * rng.uniform(0.08, 0.25))));
  const cv::Size canvas_size = below ? cv::Size(std::max(icon.cols, word.cols), icon.rows + gap + word.rows)
                                     : cv::Size(icon.cols + gap + word.cols, std::max(icon.rows, word.rows));
  cv::Mat canvas(canvas_size, CV_8UC1, cv::Scalar(0));
  const cv::Point icon_at =
      below ? cv::Point((canvas.cols - icon.cols) / 2, 0) : cv::Point(0, (canvas.rows - icon.rows) / 2);
  const cv::Point word_at = below ? cv::Point((canvas.cols - word.cols) / 2, icon.rows + gap)
                                  : cv::Point(icon.cols + gap, (canvas.rows - word.rows) / 2);
  icon.copyTo(canvas(cv::Rect(icon_at, icon.size())));
  cv::Mat word_roi = canvas(cv::Rect(word_at, word.size()));
  cv::max(word_roi, word, word_roi);
  const double shrink = static_cast<double>(icon_side) / std::max(canvas.cols, canvas.rows);
  cv::Mat out;
  cv::resize(canvas, out,
             {std::max(1, static_cast<int>(std::lround(canvas.cols * shrink))),
              std::max(1, static_cast<int>(std::lround(canvas.rows * shrink)))},
             0, 0, cv::INTER_AREA);
  return out;
}

// One of the reference marks (one-shot): in its own colours or styled like a library mark, then
// bent, warped and degraded like every mark.
std::optional<Layer> SceneStream::Impl::make_reference_mark(Rng& rng, int& id) const {
  const double max_side = options.max_mark_side_fraction * std::min(options.width, options.height);
  const int r = static_cast<int>(rng.weighted(reference_weights));
  const ReferenceMark& reference = references[static_cast<std::size_t>(r)];
  id = library->size() + r;
  const double short_ratio = static_cast<double>(std::min(reference.rgba.cols, reference.rgba.rows)) /
                             std::max(reference.rgba.cols, reference.rgba.rows);
  const double side =
      std::min(max_side, std::max(rng.log_uniform(options.min_mark_side, max_side), kMinShortSide / short_ratio));
  const double resolution = rng.chance(options.degradation.mark_lowres_prob) ? rng.uniform(0.25, 0.6) : 1.0;
  const int render_side = std::max(6, static_cast<int>(std::lround(side * resolution)));
  const cv::Mat rgba = reference.resized(render_side);
  const double own = options.reference_own_colours_prob * (reference.single_colour ? 0.5 : 1.0);
  Layer layer;
  if (rng.chance(own)) {
    layer = style_colour_mark(rng, rgba, options.appearance);
  } else {
    cv::Mat alpha;
    cv::extractChannel(rgba, alpha, 3);
    layer = style_mark(rng, alpha, reference.main_colour, options.appearance, /*container_in_box=*/false);
  }
  layer = warp_layer(rng, layer, side, options.geometry);
  if (layer.empty()) return std::nullopt;
  if (rng.chance(options.degradation.mark_blur_prob)) blur_layer(layer, rng.uniform(0.5, 2.0));
  return layer;
}

std::optional<Layer> SceneStream::Impl::make_mark(Rng& rng, int& id) const {
  if (!references.empty() && rng.chance(options.reference_prob)) return make_reference_mark(rng, id);
  const double max_side = options.max_mark_side_fraction * std::min(options.width, options.height);
  const bool both = library->icon_count() > 0 && library->wordmark_count() > 0;
  for (int attempt = 0; attempt < 4; ++attempt) {
    const bool word = both ? rng.chance(options.wordmark_prob) : library->icon_count() == 0;
    id = word ? library->icon_count() + rng.uniform_int(0, library->wordmark_count() - 1)
              : rng.uniform_int(0, library->icon_count() - 1);
    double side = rng.log_uniform(options.min_mark_side, max_side);
    const double resolution = rng.chance(options.degradation.mark_lowres_prob) ? rng.uniform(0.25, 0.6) : 1.0;
    auto render_side = [&] { return std::max(6, static_cast<int>(std::lround(side * resolution))); };
    cv::Mat mask = library->mask(id, render_side());
    if (mask.empty()) continue;
    const double short_ratio =
        static_cast<double>(std::min(mask.cols, mask.rows)) / std::max(mask.cols, mask.rows);
    if (side * short_ratio < kMinShortSide && side < max_side) {
      side = std::min(max_side, kMinShortSide / short_ratio);
      mask = library->mask(id, render_side());
    }
    if (!word && library->wordmark_count() > 0 && rng.chance(options.lockup_prob)) mask = lockup(rng, mask);
    Layer layer = style_mark(rng, mask, library->info(id).brand_rgb, options.appearance);
    layer = warp_layer(rng, layer, side, options.geometry);
    if (layer.empty()) continue;
    if (rng.chance(options.degradation.mark_blur_prob)) blur_layer(layer, rng.uniform(0.5, 2.0));
    return layer;
  }
  return std::nullopt;
}

std::pair<Layer, cv::Point> SceneStream::Impl::make_occluder(Rng& rng, const cv::Rect& target) const {
  const double area = target.area() * rng.uniform(0.1, 0.6);
  const double aspect = rng.log_uniform(0.3, 3.0);
  const int kind = rng.uniform_int(0, 3);  // rectangle, ellipse, polygon, bar
  const double ow = std::max(2.0, std::sqrt(area * aspect));
  const double oh = std::max(2.0, std::sqrt(area / aspect));
  const int side = static_cast<int>(std::ceil(kind == 3 ? std::hypot(ow, oh) : std::max(ow, oh))) + 4;
  cv::Mat shape8(side, side, CV_8UC1, cv::Scalar(0));
  const cv::Point2d centre(side / 2.0, side / 2.0);
  switch (kind) {
    case 0:
      cv::rectangle(shape8,
                    cv::Point(static_cast<int>(centre.x - ow / 2), static_cast<int>(centre.y - oh / 2)),
                    cv::Point(static_cast<int>(centre.x + ow / 2), static_cast<int>(centre.y + oh / 2)),
                    cv::Scalar(255), cv::FILLED);
      break;
    case 1:
      cv::ellipse(shape8, cv::Point(side / 2, side / 2),
                  cv::Size(static_cast<int>(ow / 2), static_cast<int>(oh / 2)), rng.uniform(0, 180), 0, 360,
                  cv::Scalar(255), cv::FILLED, cv::LINE_AA);
      break;
    case 2: {
      std::vector<cv::Point> points;
      const int count = rng.uniform_int(3, 7);
      points.reserve(static_cast<std::size_t>(count));
      for (int k = 0; k < count; ++k) {
        points.emplace_back(static_cast<int>(centre.x + rng.uniform(-ow, ow) / 2),
                            static_cast<int>(centre.y + rng.uniform(-oh, oh) / 2));
      }
      std::vector<cv::Point> hull;
      cv::convexHull(points, hull);
      cv::fillConvexPoly(shape8, hull, cv::Scalar(255), cv::LINE_AA);
      break;
    }
    default: {
      const double angle = rng.uniform(0, CV_PI);
      const double half = std::max(ow, oh) / 2;
      const cv::Point a(static_cast<int>(centre.x - half * std::cos(angle)),
                        static_cast<int>(centre.y - half * std::sin(angle)));
      const cv::Point b(static_cast<int>(centre.x + half * std::cos(angle)),
                        static_cast<int>(centre.y + half * std::sin(angle)));
      cv::line(shape8, a, b, cv::Scalar(255), std::max(1, static_cast<int>(std::min(ow, oh))), cv::LINE_AA);
    }
  }
  Layer layer;
  shape8.convertTo(layer.alpha, CV_32F, 1.0 / 255.0);
  if (rng.chance(0.2)) layer.alpha *= rng.uniform(0.5, 0.85);
  cv::Mat fill;
  switch (rng.weighted({0.5, 0.25, 0.25})) {
    case 0:
      fill = cv::Mat(side, side, CV_8UC3, cv::Scalar(random_colour(rng)));
      break;
    case 1:
      fill = render_texture(rng, side, side);
      break;
    default:
      fill = render_fractal_noise(rng, side, side);
  }
  fill.convertTo(layer.premultiplied, CV_32FC3);
  cv::Mat alpha3;
  cv::merge(std::vector<cv::Mat>{layer.alpha, layer.alpha, layer.alpha}, alpha3);
  cv::multiply(layer.premultiplied, alpha3, layer.premultiplied);
  layer.object = cv::Mat::zeros(layer.alpha.size(), CV_32F);
  const cv::Point at(target.x + static_cast<int>(rng.uniform(0, target.width)) - side / 2,
                     target.y + static_cast<int>(rng.uniform(0, target.height)) - side / 2);
  return {std::move(layer), at};
}

SceneSample SceneStream::Impl::next(std::uint64_t index) const {
  Rng rng(mix64(options.seed ^ mix64(index)));
  const ScopedOpenCvRng opencv_rng(rng.bits());
  SceneSample sample;
  const cv::Mat background_image = background(rng, sample.background);
  cv::Mat image;
  background_image.convertTo(image, CV_32FC3);
  const cv::Rect image_rect(0, 0, options.width, options.height);
  const bool grayscale = rng.chance(options.degradation.grayscale_prob);

  const int marks =
      rng.chance(options.empty_prob) ? 0 : rng.uniform_int(options.min_marks, options.max_marks);
  std::vector<Placed> placed;
  std::vector<Box> taken;  // object extents of the placed marks, to limit overlaps
  for (int m = 0; m < marks; ++m) {
    int id = 0;
    std::optional<Layer> layer = make_mark(rng, id);
    if (!layer) continue;
    const cv::Rect object_extent = extent_at_least(layer->object, kBoxAlpha);
    const cv::Size size = layer->size();
    const bool may_cut = rng.chance(0.15);
    for (int attempt = 0; attempt < 8; ++attempt) {
      const int slack_x = may_cut ? size.width * 35 / 100 : 0;
      const int slack_y = may_cut ? size.height * 35 / 100 : 0;
      const int x = rng.uniform_int(std::min(0, options.width - size.width) - slack_x,
                                    std::max(0, options.width - size.width) + slack_x);
      const int y = rng.uniform_int(std::min(0, options.height - size.height) - slack_y,
                                    std::max(0, options.height - size.height) + slack_y);
      const Box candidate{static_cast<double>(x + object_extent.x), static_cast<double>(y + object_extent.y),
                          static_cast<double>(x + object_extent.br().x),
                          static_cast<double>(y + object_extent.br().y)};
      const bool crowded = std::any_of(taken.begin(), taken.end(), [&](const Box& other) {
        return box_iou(other, candidate) > 0.25 || box_covered_fraction(other, candidate) > 0.6 ||
               box_covered_fraction(candidate, other) > 0.6;
      });
      if (crowded) continue;
      const cv::Rect rect(x, y, size.width, size.height);
      const cv::Rect clip = rect & image_rect;
      if (clip.area() == 0) continue;
      const cv::Mat before = image(clip).clone();
      composite_layer(image, *layer, rect.tl());
      cover(placed, rect, layer->alpha, image_rect);
      Placed mark;
      mark.id = id;
      mark.rect = rect;
      mark.visible = layer->object.clone();
      mark.object_total = cv::sum(layer->object)[0];
      const cv::Mat where = layer->object(clip - rect.tl()) >= kBoxAlpha;
      mark.contrast = contrast(before, image(clip), where, grayscale);
      placed.push_back(std::move(mark));
      taken.push_back(candidate);
      break;
    }
  }

  for (std::size_t i = 0; i < placed.size(); ++i) {
    if (!rng.chance(options.degradation.occlusion_prob)) continue;
    const cv::Rect extent = extent_at_least(placed[i].visible, kBoxAlpha);
    const cv::Rect target = (extent + placed[i].rect.tl()) & image_rect;
    if (target.area() == 0) continue;
    auto [occluder, at] = make_occluder(rng, target);
    composite_layer(image, occluder, at);
    cover(placed, cv::Rect(at, occluder.size()), occluder.alpha, image_rect);
  }

  for (const auto& mark : placed) {
    const cv::Rect clip = mark.rect & image_rect;
    if (clip.area() == 0) continue;
    const cv::Mat visible = mark.visible(clip - mark.rect.tl());
    const cv::Rect extent = extent_at_least(visible, kBoxAlpha);
    if (extent.area() == 0) continue;
    Box box{static_cast<double>(clip.x + extent.x), static_cast<double>(clip.y + extent.y),
            static_cast<double>(clip.x + extent.br().x), static_cast<double>(clip.y + extent.br().y),
            mark.id};
    const double fraction = mark.object_total > 0 ? cv::sum(visible)[0] / mark.object_total : 0;
    box.ignore = fraction < options.min_visible_fraction || mark.contrast < options.min_contrast ||
                 extent.width < 2 || extent.height < 2;
    sample.boxes.push_back(box);
  }

  image.convertTo(sample.rgb, CV_8UC3);
  const DegradationOptions& d = options.degradation;
  if (grayscale) {
    cv::Mat gray;
    cv::cvtColor(sample.rgb, gray, cv::COLOR_RGB2GRAY);
    cv::cvtColor(gray, sample.rgb, cv::COLOR_GRAY2RGB);
  }
  if (rng.chance(d.image_lowres_prob)) {
    const double factor = rng.uniform(0.25, 0.6);
    cv::Mat small;
    cv::resize(sample.rgb, small,
               {std::max(1, static_cast<int>(options.width * factor)),
                std::max(1, static_cast<int>(options.height * factor))},
               0, 0, cv::INTER_AREA);
    cv::resize(small, sample.rgb, {options.width, options.height}, 0, 0,
               rng.chance(0.25) ? cv::INTER_NEAREST : cv::INTER_LINEAR);
  }
  augment::AugmentConfig photometric;
  photometric.color_jitter = d.color_jitter;
  photometric.grayscale_prob = 0;  // decided above, where contrast is measured
  photometric.tint_prob = d.tint_prob;
  photometric.blur_prob = d.blur_prob;
  photometric.noise_prob = d.noise_prob;
  photometric.jpeg_prob = d.jpeg_prob;
  augment::Augmenter augmenter(photometric, {}, rng.bits());
  augmenter.photometric(sample.rgb);
  return sample;
}

Result<SceneStream> SceneStream::create(const MarkLibrary& library, SceneOptions options,
                                        std::vector<ReferenceMark> references, std::vector<std::string> photos) {
  auto invalid = [](const std::string& message) { return Error{ErrorCode::kInvalidArgument, message}; };
  if (options.width < 32 || options.width > 4096 || options.height < 32 || options.height > 4096) {
    return invalid(fmt::format("scene size must be 32–4096 px, got {}×{}", options.width, options.height));
  }
  if (options.min_marks < 0 || options.max_marks < options.min_marks || options.max_marks > 32) {
    return invalid(fmt::format("marks per image must satisfy 0 ≤ min_marks ≤ max_marks ≤ 32, got {}–{}",
                               options.min_marks, options.max_marks));
  }
  const double max_side = options.max_mark_side_fraction * std::min(options.width, options.height);
  if (options.min_mark_side < 4 || max_side < options.min_mark_side || options.max_mark_side_fraction > 1.5) {
    return invalid(
        fmt::format("mark sizes must satisfy 4 ≤ min_mark_side ({}) ≤ max_mark_side_fraction × min(width, "
                    "height) ({}), max_mark_side_fraction ≤ 1.5",
                    options.min_mark_side, max_side));
  }
  const AppearanceOptions& a = options.appearance;
  const GeometryOptions& g = options.geometry;
  const DegradationOptions& d = options.degradation;
  const BackgroundOptions& b = options.background;
  for (const auto& [name, value] :
       std::vector<std::pair<const char*, double>>{{"empty_prob", options.empty_prob},
                                                   {"wordmark_prob", options.wordmark_prob},
                                                   {"lockup_prob", options.lockup_prob},
                                                   {"reference_prob", options.reference_prob},
                                                   {"reference_own_colours_prob", options.reference_own_colours_prob},
                                                   {"min_visible_fraction", options.min_visible_fraction},
                                                   {"appearance.brand_colour_prob", a.brand_colour_prob},
                                                   {"appearance.gradient_prob", a.gradient_prob},
                                                   {"appearance.texture_prob", a.texture_prob},
                                                   {"appearance.two_tone_prob", a.two_tone_prob},
                                                   {"appearance.outline_prob", a.outline_prob},
                                                   {"appearance.stroke_only_prob", a.stroke_only_prob},
                                                   {"appearance.emblem_prob", a.emblem_prob},
                                                   {"appearance.knockout_prob", a.knockout_prob},
                                                   {"appearance.shadow_prob", a.shadow_prob},
                                                   {"appearance.distress_prob", a.distress_prob},
                                                   {"appearance.translucent_prob", a.translucent_prob},
                                                   {"geometry.large_rotation_prob", g.large_rotation_prob},
                                                   {"geometry.perspective_prob", g.perspective_prob},
                                                   {"geometry.perspective_strength", g.perspective_strength},
                                                   {"geometry.cylinder_prob", g.cylinder_prob},
                                                   {"geometry.wave_prob", g.wave_prob},
                                                   {"degradation.mark_blur_prob", d.mark_blur_prob},
                                                   {"degradation.mark_lowres_prob", d.mark_lowres_prob},
                                                   {"degradation.occlusion_prob", d.occlusion_prob},
                                                   {"degradation.image_lowres_prob", d.image_lowres_prob},
                                                   {"degradation.grayscale_prob", d.grayscale_prob},
                                                   {"degradation.color_jitter", d.color_jitter},
                                                   {"degradation.tint_prob", d.tint_prob},
                                                   {"degradation.blur_prob", d.blur_prob},
                                                   {"degradation.noise_prob", d.noise_prob},
                                                   {"degradation.jpeg_prob", d.jpeg_prob},
                                                   {"background.mix_prob", b.mix_prob}}) {
    if (auto message = check_probability(name, value); !message.empty()) return invalid(message);
  }
  if (a.gradient_prob + a.texture_prob + a.two_tone_prob > 1) {
    return invalid(fmt::format("appearance.gradient_prob + texture_prob + two_tone_prob must be ≤ 1, got {}",
                               a.gradient_prob + a.texture_prob + a.two_tone_prob));
  }
  if (g.rotation_sigma_deg < 0 || g.max_aspect_change < 0 || options.min_contrast < 0) {
    return invalid("geometry.rotation_sigma_deg, geometry.max_aspect_change and min_contrast must be ≥ 0");
  }
  auto impl = std::make_unique<Impl>();
  impl->library = &library;
  impl->options = options;
  impl->references = std::move(references);
  if (std::any_of(impl->references.begin(), impl->references.end(),
                  [](const ReferenceMark& r) { return r.rgba.empty() || r.rgba.type() != CV_8UC4 || !(r.weight > 0); })) {
    return invalid("reference marks must be loaded RGBA images (load_reference_mark) with a weight above 0");
  }
  for (const auto& reference : impl->references) impl->reference_weights.push_back(reference.weight);
  if (!photos.empty() && !b.photos_dir.empty()) return invalid("give background photos as a folder or as files, not both");
  if (!b.photos_dir.empty() || !photos.empty()) {
    const int photo_side = 2 * std::max(options.width, options.height);
    auto bank = photos.empty() ? PhotoBank::open(b.photos_dir, photo_side, b.photo_cache_bytes)
                               : PhotoBank::open_files(std::move(photos), photo_side, b.photo_cache_bytes);
    if (!bank) return bank.error();
    impl->photos = std::move(*bank);
  }
  const std::vector<double> weights = {
      b.procedural, b.fractal_noise, b.dead_leaves, b.julia,
      b.texture,    b.gradient,      b.solid,       impl->photos ? b.photo : 0.0};
  if (std::any_of(weights.begin(), weights.end(), [](double w) { return w < 0; }) ||
      std::all_of(weights.begin(), weights.end(), [](double w) { return w == 0; })) {
    return invalid("background weights must be ≥ 0 with at least one usable kind above 0");
  }
  return SceneStream(std::move(impl));
}

SceneStream::SceneStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SceneStream::SceneStream(SceneStream&&) noexcept = default;
SceneStream& SceneStream::operator=(SceneStream&&) noexcept = default;
SceneStream::~SceneStream() = default;

SceneSample SceneStream::next(std::uint64_t index) const {
  return impl_->next(index);
}
const SceneOptions& SceneStream::options() const {
  return impl_->options;
}
const MarkLibrary& SceneStream::library() const {
  return *impl_->library;
}
int SceneStream::reference_count() const {
  return static_cast<int>(impl_->references.size());
}
const std::string& SceneStream::mark_slug(int id) const {
  const int library_size = impl_->library->size();
  if (id >= library_size) return impl_->references.at(static_cast<std::size_t>(id - library_size)).spec.label;
  return impl_->library->info(id).slug;
}

Result<Dataset> write_scene_samples(const SceneStream& stream, const std::string& out_dir,
                                    std::uint64_t first, int count) {
  std::error_code ec;
  const fs::path images = fs::absolute(fs::path(out_dir) / "images", ec);
  fs::create_directories(images, ec);
  if (ec)
    return Error{ErrorCode::kIo, fmt::format("{}: cannot create folder: {}", images.string(), ec.message())};
  Dataset dataset;
  for (int i = 0; i < count; ++i) {
    const std::uint64_t index = first + static_cast<std::uint64_t>(i);
    SceneSample scene = stream.next(index);
    Sample sample;
    sample.image = (images / fmt::format("scene_{:08d}.jpg", index)).string();
    sample.width = scene.rgb.cols;
    sample.height = scene.rgb.rows;
    for (Box box : scene.boxes) {
      box.label = dataset.intern_label(stream.mark_slug(box.label));
      sample.boxes.push_back(box);
    }
    if (auto written = imageio::write_image_file(scene.rgb, sample.image, 92); !written)
      return written.error();
    dataset.samples.push_back(std::move(sample));
  }
  return dataset;
}

}  // namespace logoscope::marks
