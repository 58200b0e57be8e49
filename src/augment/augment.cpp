#include "augment/augment.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "synth/synth_dataset.hpp"

namespace logoscope::augment {

namespace {

const cv::Scalar kPadColour(114, 114, 114);

bool usable(const Box& box) { return !box.ignore && !box.difficult && box.area() > 0; }

// x' = x*scale_x + dx, y' = y*scale_y + dy, written straight into a w×h canvas so that only the
// output pixels are computed (an upscaled 4000 px intermediate would cost far more).
cv::Mat scale_translate(const cv::Mat& src, double scale_x, double scale_y, double dx, double dy, int w, int h) {
  cv::Mat source = src;
  double sx = scale_x;
  double sy = scale_y;
  if (scale_x < 0.5 || scale_y < 0.5) {
    // Area averaging first avoids aliasing on strong downscales.
    const cv::Size reduced(std::max(1, static_cast<int>(std::lround(src.cols * scale_x * 2))),
                           std::max(1, static_cast<int>(std::lround(src.rows * scale_y * 2))));
    cv::resize(src, source, reduced, 0, 0, cv::INTER_AREA);
    sx = scale_x * src.cols / reduced.width;
    sy = scale_y * src.rows / reduced.height;
  }
  cv::Mat affine = (cv::Mat_<double>(2, 3) << sx, 0, dx, 0, sy, dy);
  cv::Mat out;
  cv::warpAffine(source, out, affine, {w, h}, cv::INTER_LINEAR, cv::BORDER_CONSTANT, kPadColour);
  return out;
}

}  // namespace

bool FlipPolicy::allowed(int label) const {
  return label < 0 || static_cast<std::size_t>(label) >= no_flip.size() || !no_flip[static_cast<std::size_t>(label)];
}

std::vector<Instance> collect_instances(const std::vector<TrainImage>& images) {
  std::vector<Instance> instances;
  for (const auto& image : images) {
    for (const auto& box : image.boxes) {
      if (!usable(box)) continue;
      const int x0 = std::clamp(static_cast<int>(std::floor(box.x0)) - 2, 0, image.rgb.cols - 1);
      const int y0 = std::clamp(static_cast<int>(std::floor(box.y0)) - 2, 0, image.rgb.rows - 1);
      const int x1 = std::clamp(static_cast<int>(std::ceil(box.x1)) + 2, x0 + 1, image.rgb.cols);
      const int y1 = std::clamp(static_cast<int>(std::ceil(box.y1)) + 2, y0 + 1, image.rgb.rows);
      if (x1 - x0 < 4 || y1 - y0 < 4) continue;
      instances.push_back({image.rgb(cv::Rect(x0, y0, x1 - x0, y1 - y0)).clone(), box.label});
    }
  }
  return instances;
}

std::vector<Box> transform_boxes(const std::vector<Box>& boxes, double scale_x, double scale_y, double dx, double dy,
                                 int width, int height, double min_visible) {
  std::vector<Box> out;
  for (const auto& box : boxes) {
    Box moved = box;
    moved.x0 = box.x0 * scale_x + dx;
    moved.x1 = box.x1 * scale_x + dx;
    moved.y0 = box.y0 * scale_y + dy;
    moved.y1 = box.y1 * scale_y + dy;
    const double full = moved.area();
    Box clipped = moved;
    clipped.x0 = std::clamp(moved.x0, 0.0, static_cast<double>(width));
    clipped.x1 = std::clamp(moved.x1, 0.0, static_cast<double>(width));
    clipped.y0 = std::clamp(moved.y0, 0.0, static_cast<double>(height));
    clipped.y1 = std::clamp(moved.y1, 0.0, static_cast<double>(height));
    const double visible = clipped.area();
    if (full <= 0 || visible < 1.0 || clipped.width() < 2 || clipped.height() < 2) continue;
    const double fraction = visible / full;
    if (fraction < 0.1) continue;
    if (fraction < min_visible) clipped.ignore = true;
    out.push_back(clipped);
  }
  return out;
}

Augmenter::Augmenter(AugmentConfig config, FlipPolicy flip_policy, std::uint64_t seed)
    : config_(config), flip_policy_(std::move(flip_policy)), rng_(seed) {}

double Augmenter::uniform(double lo, double hi) {
  return lo + (hi - lo) * (static_cast<double>(rng_() >> 11) / 9007199254740992.0);
}

int Augmenter::uniform_int(int lo, int hi) {
  return lo + static_cast<int>(rng_() % static_cast<std::uint64_t>(hi - lo + 1));
}

bool Augmenter::chance(double p) { return uniform(0, 1) < p; }

TrainImage Augmenter::random_scaled_crop(const TrainImage& image, int size) {
  const double w = image.rgb.cols;
  const double h = image.rgb.rows;
  std::vector<const Box*> candidates;
  for (const auto& box : image.boxes) {
    if (usable(box)) candidates.push_back(&box);
  }
  double scale;
  double ox;
  double oy;
  if (!candidates.empty()) {
    // Pick a box and give it a log-uniform size, so small and near-full-frame logos are both seen.
    const Box& ref = *candidates[static_cast<std::size_t>(uniform_int(0, static_cast<int>(candidates.size()) - 1))];
    const double lo = std::log(config_.min_box_side);
    const double hi = std::log(config_.max_box_side_fraction * size);
    const double target = std::exp(uniform(lo, hi));
    scale = target / std::max(ref.width(), ref.height());
    scale = std::clamp(scale, 0.02, 12.0);
    auto window_origin = [&](double b0, double b1, double extent) {
      double lo_o = b1 * scale - size;
      double hi_o = b0 * scale;
      if (lo_o > hi_o) std::swap(lo_o, hi_o);
      const double img_lo = std::min(0.0, extent * scale - size);
      const double img_hi = std::max(0.0, extent * scale - size);
      const double a = std::max(lo_o, img_lo);
      const double b = std::min(hi_o, img_hi);
      return a <= b ? uniform(a, b) : uniform(lo_o, hi_o);
    };
    ox = window_origin(ref.x0, ref.x1, w);
    oy = window_origin(ref.y0, ref.y1, h);
  } else {
    scale = uniform(0.5, 1.6) * size / std::max(w, h);
    ox = uniform(std::min(0.0, w * scale - size), std::max(0.0, w * scale - size));
    oy = uniform(std::min(0.0, h * scale - size), std::max(0.0, h * scale - size));
  }
  TrainImage out;
  out.rgb = scale_translate(image.rgb, scale, scale, -ox, -oy, size, size);
  out.boxes = transform_boxes(image.boxes, scale, scale, -ox, -oy, size, size, config_.min_visible_fraction);
  return out;
}

TrainImage Augmenter::mosaic(const std::vector<const TrainImage*>& tiles, int size) {
  LOGOSCOPE_CHECK(tiles.size() == 4);
  const int cx = static_cast<int>(uniform(0.3, 0.7) * size);
  const int cy = static_cast<int>(uniform(0.3, 0.7) * size);
  const cv::Rect cells[4] = {{0, 0, cx, cy}, {cx, 0, size - cx, cy}, {0, cy, cx, size - cy}, {cx, cy, size - cx, size - cy}};
  TrainImage out;
  out.rgb = cv::Mat(size, size, CV_8UC3, kPadColour);
  for (int i = 0; i < 4; ++i) {
    const cv::Rect& cell = cells[i];
    const int side = std::max(cell.width, cell.height);
    TrainImage piece = random_scaled_crop(*tiles[static_cast<std::size_t>(i)], side);
    const cv::Rect src(0, 0, cell.width, cell.height);
    piece.rgb(src).copyTo(out.rgb(cell));
    for (const Box& box : transform_boxes(piece.boxes, 1.0, 1.0, 0.0, 0.0, cell.width, cell.height,
                                          config_.min_visible_fraction)) {
      Box moved = box;
      moved.x0 += cell.x;
      moved.x1 += cell.x;
      moved.y0 += cell.y;
      moved.y1 += cell.y;
      out.boxes.push_back(moved);
    }
  }
  return out;
}

void Augmenter::paste_instance(TrainImage& target, const Instance& instance, bool labeled) {
  const int size = std::min(target.rgb.cols, target.rgb.rows);
  const double side = std::exp(uniform(std::log(config_.min_box_side + 2), std::log(0.7 * size)));
  const double aspect = static_cast<double>(instance.rgb.cols) / instance.rgb.rows * uniform(0.85, 1.18);
  int pw = static_cast<int>(aspect >= 1 ? side : side * aspect);
  int ph = static_cast<int>(aspect >= 1 ? side / aspect : side);
  pw = std::clamp(pw, 4, target.rgb.cols - 2);
  ph = std::clamp(ph, 4, target.rgb.rows - 2);
  cv::Mat patch;
  cv::resize(instance.rgb, patch, {pw, ph}, 0, 0, pw < instance.rgb.cols ? cv::INTER_AREA : cv::INTER_LINEAR);
  if (chance(config_.flip_prob) && (!labeled || flip_policy_.allowed(instance.label))) cv::flip(patch, patch, 1);
  photometric(patch);

  // Rotate with an expanded canvas and a feathered mask so that paste edges are soft.
  const double angle = uniform(-config_.rotate_deg, config_.rotate_deg);
  const double rad = angle * CV_PI / 180.0;
  const int cw = static_cast<int>(std::ceil(std::abs(pw * std::cos(rad)) + std::abs(ph * std::sin(rad)))) + 2;
  const int ch = static_cast<int>(std::ceil(std::abs(pw * std::sin(rad)) + std::abs(ph * std::cos(rad)))) + 2;
  if (cw >= target.rgb.cols || ch >= target.rgb.rows) return;
  cv::Mat affine = cv::getRotationMatrix2D(cv::Point2f(pw / 2.0F, ph / 2.0F), angle, 1.0);
  affine.at<double>(0, 2) += (cw - pw) / 2.0;
  affine.at<double>(1, 2) += (ch - ph) / 2.0;
  cv::Mat rotated;
  cv::warpAffine(patch, rotated, affine, {cw, ch}, cv::INTER_LINEAR, cv::BORDER_CONSTANT);
  cv::Mat mask(ph, pw, CV_32F, cv::Scalar(1.0F));
  cv::Mat rotated_mask;
  cv::warpAffine(mask, rotated_mask, affine, {cw, ch}, cv::INTER_LINEAR, cv::BORDER_CONSTANT);
  if (std::min(pw, ph) >= 12) cv::GaussianBlur(rotated_mask, rotated_mask, {3, 3}, 0);

  cv::Mat nonzero = rotated_mask > 0.5F;
  const cv::Rect tight = cv::boundingRect(nonzero);
  for (int attempt = 0; attempt < 12; ++attempt) {
    const int x = uniform_int(0, target.rgb.cols - cw);
    const int y = uniform_int(0, target.rgb.rows - ch);
    Box box{static_cast<double>(x + tight.x), static_cast<double>(y + tight.y),
            static_cast<double>(x + tight.x + tight.width), static_cast<double>(y + tight.y + tight.height),
            instance.label};
    const bool clashes = std::any_of(target.boxes.begin(), target.boxes.end(), [&](const Box& other) {
      return box_covered_fraction(other, box) > 0.15 || box_covered_fraction(box, other) > 0.3;
    });
    if (clashes) continue;
    cv::Mat roi = target.rgb(cv::Rect(x, y, cw, ch));
    synth::blend_over(roi, rotated, rotated_mask);
    if (labeled) target.boxes.push_back(box);
    return;
  }
}

void Augmenter::photometric(cv::Mat& rgb) {
  if (config_.color_jitter > 0) {
    cv::Mat hsv;
    cv::cvtColor(rgb, hsv, cv::COLOR_RGB2HSV);
    const double j = config_.color_jitter;
    const int hue_shift = static_cast<int>(uniform(-0.1, 0.1) * j / 0.4 * 180);
    const double sat = uniform(1 - j, 1 + j);
    const double val = uniform(1 - j * 0.75, 1 + j * 0.75);
    cv::Mat lut(1, 256, CV_8UC3);
    for (int i = 0; i < 256; ++i) {
      lut.at<cv::Vec3b>(0, i) = {static_cast<uchar>(((i + hue_shift) % 180 + 180) % 180),
                                 cv::saturate_cast<uchar>(i * sat), cv::saturate_cast<uchar>(i * val)};
    }
    cv::LUT(hsv, lut, hsv);
    cv::cvtColor(hsv, rgb, cv::COLOR_HSV2RGB);
  }
  if (chance(config_.grayscale_prob)) {
    cv::Mat gray;
    cv::cvtColor(rgb, gray, cv::COLOR_RGB2GRAY);
    cv::cvtColor(gray, rgb, cv::COLOR_GRAY2RGB);
  } else if (chance(config_.tint_prob)) {
    rgb.convertTo(rgb, CV_8UC3);
    cv::multiply(rgb, cv::Scalar(uniform(0.6, 1.2), uniform(0.6, 1.2), uniform(0.6, 1.2)), rgb);
  }
  if (chance(config_.blur_prob)) {
    const int k = chance(0.5) ? 3 : 5;
    cv::GaussianBlur(rgb, rgb, {k, k}, 0);
  }
  if (chance(config_.noise_prob)) {
    cv::Mat noise(rgb.size(), CV_16SC3);
    cv::randn(noise, cv::Scalar::all(0), cv::Scalar::all(uniform(3, 12)));
    cv::Mat noisy;
    cv::add(rgb, noise, noisy, cv::noArray(), CV_8UC3);
    rgb = noisy;
  }
  if (chance(config_.jpeg_prob) && rgb.cols >= 8 && rgb.rows >= 8) {
    std::vector<uchar> buffer;
    cv::imencode(".jpg", rgb, buffer, {cv::IMWRITE_JPEG_QUALITY, uniform_int(25, 85)});
    rgb = cv::imdecode(buffer, cv::IMREAD_COLOR);
  }
}

void Augmenter::occlude(TrainImage& image) {
  std::vector<Box*> targets;
  for (auto& box : image.boxes) {
    if (usable(box)) targets.push_back(&box);
  }
  if (targets.empty()) return;
  Box& box = *targets[static_cast<std::size_t>(uniform_int(0, static_cast<int>(targets.size()) - 1))];
  const double w = box.width() * uniform(0.15, 0.5);
  const double h = box.height() * uniform(0.15, 0.5);
  const double x = uniform(box.x0 - w / 2, box.x1 - w / 2);
  const double y = uniform(box.y0 - h / 2, box.y1 - h / 2);
  const cv::Rect rect = cv::Rect(static_cast<int>(x), static_cast<int>(y), std::max(1, static_cast<int>(w)),
                                 std::max(1, static_cast<int>(h))) &
                        cv::Rect(0, 0, image.rgb.cols, image.rgb.rows);
  if (rect.area() == 0) return;
  image.rgb(rect).setTo(cv::Scalar(uniform_int(0, 255), uniform_int(0, 255), uniform_int(0, 255)));
  const Box cover{static_cast<double>(rect.x), static_cast<double>(rect.y), static_cast<double>(rect.x + rect.width),
                  static_cast<double>(rect.y + rect.height)};
  for (auto& other : image.boxes) {
    if (box_covered_fraction(other, cover) > 0.5) other.ignore = true;
  }
}

void Augmenter::horizontal_flip(TrainImage& image) {
  for (const auto& box : image.boxes) {
    if (!flip_policy_.allowed(box.label)) return;
  }
  cv::flip(image.rgb, image.rgb, 1);
  const double w = image.rgb.cols;
  for (auto& box : image.boxes) {
    const double x0 = w - box.x1;
    box.x1 = w - box.x0;
    box.x0 = x0;
  }
}

TrainImage Augmenter::compose_training_sample(const std::vector<TrainImage>& positives,
                                              const std::vector<TrainImage>& negatives,
                                              const std::vector<Instance>& instances) {
  LOGOSCOPE_CHECK(!positives.empty() || !negatives.empty());
  const int size = config_.output_size;
  int picked_negative = -1;
  auto pick = [&]() -> const TrainImage& {
    const bool negative = positives.empty() || (!negatives.empty() && chance(config_.negative_base_prob));
    if (!negative) {
      picked_negative = -1;
      return positives[static_cast<std::size_t>(uniform_int(0, static_cast<int>(positives.size()) - 1))];
    }
    const std::size_t index = negative_picker_ ? negative_picker_(rng_, negatives.size())
                                               : static_cast<std::size_t>(uniform_int(0, static_cast<int>(negatives.size()) - 1));
    LOGOSCOPE_CHECK(index < negatives.size());
    picked_negative = static_cast<int>(index);
    return negatives[index];
  };
  TrainImage sample;
  last_negative_ = -1;
  if (chance(config_.mosaic_prob)) {
    std::vector<const TrainImage*> tiles;
    for (int i = 0; i < 4; ++i) tiles.push_back(&pick());
    sample = mosaic(tiles, size);
  } else {
    sample = random_scaled_crop(pick(), size);
    last_negative_ = picked_negative;
  }
  if (!instances.empty() && chance(config_.paste_prob)) {
    const int pastes = uniform_int(1, std::max(1, config_.max_pastes));
    for (int i = 0; i < pastes; ++i) {
      paste_instance(sample, instances[static_cast<std::size_t>(uniform_int(0, static_cast<int>(instances.size()) - 1))], true);
    }
  }
  const int distractors = uniform_int(0, std::max(0, config_.max_distractors));
  for (int i = 0; i < distractors; ++i) {
    Instance distractor;
    if (!negatives.empty() && chance(0.5)) {
      const TrainImage& source = negatives[static_cast<std::size_t>(uniform_int(0, static_cast<int>(negatives.size()) - 1))];
      const int w = std::max(8, static_cast<int>(source.rgb.cols * uniform(0.05, 0.3)));
      const int h = std::max(8, static_cast<int>(source.rgb.rows * uniform(0.05, 0.3)));
      if (w >= source.rgb.cols || h >= source.rgb.rows) continue;
      distractor.rgb = source.rgb(cv::Rect(uniform_int(0, source.rgb.cols - w), uniform_int(0, source.rgb.rows - h), w, h)).clone();
    } else if (!config_.distractor_marks.empty()) {
      const int mark_index = config_.distractor_marks[static_cast<std::size_t>(
          uniform_int(0, static_cast<int>(config_.distractor_marks.size()) - 1))];
      const synth::Mark mark = synth::render_mark(mark_index, 64);
      distractor.rgb = cv::Mat(64, 64, CV_8UC3, cv::Scalar(uniform_int(0, 255), uniform_int(0, 255), uniform_int(0, 255)));
      mark.rgb.copyTo(distractor.rgb, mark.mask);
    } else {
      continue;
    }
    distractor.label = -1;
    paste_instance(sample, distractor, false);
  }
  if (chance(config_.flip_prob)) horizontal_flip(sample);
  photometric(sample.rgb);
  if (chance(config_.occlusion_prob)) occlude(sample);
  return sample;
}

}  // namespace logoscope::augment
