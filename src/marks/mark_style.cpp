#include "marks/mark_style.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "marks/backgrounds.hpp"

namespace logoscope::marks {

namespace {

double luma(const cv::Vec3b& c) {
  return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
}

// A random colour whose luma differs from `other`'s by at least 70 (black or white otherwise).
cv::Vec3b contrasting(Rng& rng, const cv::Vec3b& other) {
  for (int attempt = 0; attempt < 10; ++attempt) {
    const cv::Vec3b candidate = random_colour(rng);
    if (std::abs(luma(candidate) - luma(other)) >= 70) return candidate;
  }
  return luma(other) > 128 ? cv::Vec3b(0, 0, 0) : cv::Vec3b(255, 255, 255);
}

cv::Scalar scalar(const cv::Vec3b& c) {
  return {static_cast<double>(c[0]), static_cast<double>(c[1]), static_cast<double>(c[2])};
}

cv::Mat solid(cv::Size size, const cv::Scalar& colour) {
  return cv::Mat(size, CV_32FC3, colour);
}

cv::Mat disk(int radius) {
  return cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * radius + 1, 2 * radius + 1});
}

cv::Mat replicate3(const cv::Mat& single) {
  cv::Mat out;
  cv::merge(std::vector<cv::Mat>{single, single, single}, out);
  return out;
}

// Straight (not premultiplied) colour, CV_32FC3.
cv::Mat make_fill(Rng& rng, cv::Size size, const cv::Vec3b& c1, const cv::Vec3b& c2,
                  const AppearanceOptions& options) {
  const double solid =
      std::max(0.0, 1.0 - options.gradient_prob - options.texture_prob - options.two_tone_prob);
  const std::size_t kind =
      rng.weighted({options.gradient_prob, options.texture_prob, options.two_tone_prob, solid});
  cv::Mat fill(size, CV_32FC3, scalar(c1));
  if (kind == 3) return fill;
  if (kind == 1) {
    if (rng.chance(0.5)) {
      cv::Mat texture = render_texture(rng, size.width, size.height);
      texture.convertTo(fill, CV_32FC3);
      return fill;
    }
    const cv::Mat noise = fractal_noise(rng, size, 4, 0.55, rng.uniform_int(1, 4));
    for (int y = 0; y < size.height; ++y) {
      for (int x = 0; x < size.width; ++x) {
        const float t = noise.at<float>(y, x);
        auto& px = fill.at<cv::Vec3f>(y, x);
        for (int c = 0; c < 3; ++c) px[c] = c1[c] * (1 - t) + c2[c] * t;
      }
    }
    return fill;
  }
  const bool radial = kind == 0 && rng.chance(0.35);
  const double angle = rng.uniform(0, 2 * CV_PI);
  const double cx = rng.uniform(0, size.width);
  const double cy = rng.uniform(0, size.height);
  const double diagonal = std::hypot(size.width, size.height);
  for (int y = 0; y < size.height; ++y) {
    for (int x = 0; x < size.width; ++x) {
      double t;
      if (kind == 2) {  // two tones split by a line through the centre
        t = ((x - size.width / 2.0) * std::cos(angle) + (y - size.height / 2.0) * std::sin(angle)) >= 0 ? 1
                                                                                                        : 0;
      } else if (radial) {
        t = std::min(1.0, std::hypot(x - cx, y - cy) / diagonal * 1.5);
      } else {
        t = std::clamp(
            ((x - size.width / 2.0) * std::cos(angle) + (y - size.height / 2.0) * std::sin(angle)) /
                    diagonal +
                0.5,
            0.0, 1.0);
      }
      auto& px = fill.at<cv::Vec3f>(y, x);
      for (int c = 0; c < 3; ++c) px[c] = static_cast<float>(c1[c] * (1 - t) + c2[c] * t);
    }
  }
  return fill;
}

// Draws a filled container shape of the given kind into an 8-bit canvas, centred.
void draw_container(cv::Mat& canvas, int kind, cv::Size2d inner, Rng& rng) {
  const cv::Point2d centre(canvas.cols / 2.0, canvas.rows / 2.0);
  // OpenCV's drawing takes integer points; a shift of 4 fractional bits keeps sub-pixel accuracy.
  constexpr int kShift = 4;
  constexpr double kOne = 1 << kShift;
  auto fixed = [&](double x, double y) {
    return cv::Point(static_cast<int>(std::lround(x * kOne)), static_cast<int>(std::lround(y * kOne)));
  };
  switch (kind) {
    case 0: {  // circle around the inner box
      const double radius = std::hypot(inner.width, inner.height) / 2.0;
      cv::circle(canvas, fixed(centre.x, centre.y), static_cast<int>(radius * kOne), cv::Scalar(255),
                 cv::FILLED, cv::LINE_AA, kShift);
      break;
    }
    case 1: {  // ellipse
      const cv::Size axes(static_cast<int>(inner.width / std::sqrt(2.0) * kOne),
                          static_cast<int>(inner.height / std::sqrt(2.0) * kOne));
      cv::ellipse(canvas, fixed(centre.x, centre.y), axes, 0, 0, 360, cv::Scalar(255), cv::FILLED,
                  cv::LINE_AA, kShift);
      break;
    }
    case 2: {  // hexagon
      const double radius = std::hypot(inner.width, inner.height) / 2.0 / std::cos(CV_PI / 6);
      const double phase = rng.chance(0.5) ? 0.0 : CV_PI / 6;
      std::vector<cv::Point> points;
      for (int k = 0; k < 6; ++k) {
        const double a = phase + k * CV_PI / 3;
        points.push_back(fixed(centre.x + radius * std::cos(a), centre.y + radius * std::sin(a)));
      }
      cv::fillConvexPoly(canvas, points, cv::Scalar(255), cv::LINE_AA, kShift);
      break;
    }
    default: {  // square or rounded rectangle
      const double corner = kind == 3 ? 0.0 : std::min(inner.width, inner.height) * rng.uniform(0.1, 0.35);
      const double x0 = centre.x - inner.width / 2;
      const double y0 = centre.y - inner.height / 2;
      const double x1 = centre.x + inner.width / 2;
      const double y1 = centre.y + inner.height / 2;
      std::vector<cv::Point> points;
      const double corners[4][3] = {{x1 - corner, y1 - corner, 0},
                                    {x0 + corner, y1 - corner, 0.5 * CV_PI},
                                    {x0 + corner, y0 + corner, CV_PI},
                                    {x1 - corner, y0 + corner, 1.5 * CV_PI}};
      for (const auto& c : corners) {
        for (int step = 0; step <= 6; ++step) {
          const double a = c[2] + step * CV_PI / 12;
          points.push_back(fixed(c[0] + corner * std::cos(a), c[1] + corner * std::sin(a)));
        }
      }
      cv::fillConvexPoly(canvas, points, cv::Scalar(255), cv::LINE_AA, kShift);
    }
  }
}

Layer remap_layer(const Layer& in, const cv::Mat& map_x, const cv::Mat& map_y) {
  Layer out;
  cv::remap(in.premultiplied, out.premultiplied, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_CONSTANT,
            cv::Scalar::all(0));
  cv::remap(in.alpha, out.alpha, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
  cv::remap(in.object, out.object, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
  return out;
}

// A label wrapped around a vertical cylinder (a can, a bottle) seen from the front: columns
// compress towards the edges, rows bow, and light falls off with the surface angle.
Layer bend_cylinder(Rng& rng, const Layer& in) {
  const int w = in.size().width;
  const int h = in.size().height;
  const double theta = rng.uniform(0.52, 1.31);  // half of the wrapped angle, 30°–75°
  const double bow = rng.uniform(-0.12, 0.12);
  const int pad = static_cast<int>(std::ceil(std::abs(bow) * h)) + 1;
  const bool shade = rng.chance(0.7);
  const double highlight_at = rng.uniform(-0.6, 0.6);
  cv::Mat map_x(h + 2 * pad, w, CV_32F);
  cv::Mat map_y(h + 2 * pad, w, CV_32F);
  cv::Mat shading(h + 2 * pad, w, CV_32F);
  for (int x = 0; x < w; ++x) {
    const double xn = std::clamp((x + 0.5 - w / 2.0) / (w / 2.0), -1.0, 1.0);
    const double phi = std::asin(xn * std::sin(theta));
    const double source_x = w / 2.0 + phi / theta * (w / 2.0) - 0.5;
    const double dy = bow * h * (1 - std::cos(phi)) / (1 - std::cos(theta));
    const double light = shade ? 0.55 + 0.45 * std::cos(phi) +
                                     0.3 * std::exp(-std::pow((phi / theta - highlight_at) / 0.12, 2))
                               : 1.0;
    for (int y = 0; y < h + 2 * pad; ++y) {
      map_x.at<float>(y, x) = static_cast<float>(source_x);
      map_y.at<float>(y, x) = static_cast<float>(y - pad - dy);
      shading.at<float>(y, x) = static_cast<float>(light);
    }
  }
  Layer out = remap_layer(in, map_x, map_y);
  cv::multiply(out.premultiplied, replicate3(shading), out.premultiplied);
  return out;
}

// Cloth or a flag: sine displacement along both axes, with shading along the folds.
Layer bend_wave(Rng& rng, const Layer& in) {
  const int w = in.size().width;
  const int h = in.size().height;
  const double amp_y = h * rng.uniform(0.02, 0.07);
  const double amp_x = w * rng.uniform(0.0, 0.03);
  const double wavelength_x = w * rng.uniform(0.4, 1.2);
  const double wavelength_y = h * rng.uniform(0.5, 1.5);
  const double phase_x = rng.uniform(0, 2 * CV_PI);
  const double phase_y = rng.uniform(0, 2 * CV_PI);
  const double fold_light = rng.uniform(0.1, 0.3);
  const int pad_x = static_cast<int>(std::ceil(amp_x)) + 1;
  const int pad_y = static_cast<int>(std::ceil(amp_y)) + 1;
  cv::Mat map_x(h + 2 * pad_y, w + 2 * pad_x, CV_32F);
  cv::Mat map_y(map_x.size(), CV_32F);
  cv::Mat shading(map_x.size(), CV_32F);
  for (int y = 0; y < map_x.rows; ++y) {
    for (int x = 0; x < map_x.cols; ++x) {
      const double a = 2 * CV_PI * x / wavelength_x + phase_x;
      map_x.at<float>(y, x) =
          static_cast<float>(x - pad_x + amp_x * std::sin(2 * CV_PI * y / wavelength_y + phase_y));
      map_y.at<float>(y, x) = static_cast<float>(y - pad_y + amp_y * std::sin(a));
      shading.at<float>(y, x) = static_cast<float>(1 + fold_light * std::cos(a));
    }
  }
  Layer out = remap_layer(in, map_x, map_y);
  cv::multiply(out.premultiplied, replicate3(shading), out.premultiplied);
  return out;
}

Layer crop_layer(const Layer& in, const cv::Rect& rect) {
  return {in.premultiplied(rect).clone(), in.alpha(rect).clone(), in.object(rect).clone()};
}

Layer resize_layer(const Layer& in, double factor) {
  const cv::Size size(std::max(1, static_cast<int>(std::lround(in.size().width * factor))),
                      std::max(1, static_cast<int>(std::lround(in.size().height * factor))));
  Layer out;
  cv::resize(in.premultiplied, out.premultiplied, size, 0, 0, cv::INTER_AREA);
  cv::resize(in.alpha, out.alpha, size, 0, 0, cv::INTER_AREA);
  cv::resize(in.object, out.object, size, 0, 0, cv::INTER_AREA);
  return out;
}

// Worn print (holes from thresholded noise) and translucency, on the painted alpha only.
void wear(Rng& rng, cv::Mat& alpha, double size, const AppearanceOptions& options) {
  if (rng.chance(options.distress_prob)) {
    const cv::Mat noise = fractal_noise(rng, alpha.size(), 4, 0.55, std::max(2, static_cast<int>(size / 24)));
    const float threshold = static_cast<float>(rng.uniform(0.55, 0.8));
    cv::Mat keep = noise < threshold;
    keep.convertTo(keep, CV_32F, 1.0 / 255.0);
    cv::multiply(alpha, keep, alpha);
  }
  if (rng.chance(options.translucent_prob)) alpha *= rng.uniform(0.45, 0.9);
}

}  // namespace

cv::Rect extent_at_least(const cv::Mat& map, float threshold) {
  const cv::Mat binary = map >= threshold;
  return cv::boundingRect(binary);
}

Layer style_mark(Rng& rng, const cv::Mat& mask, const std::optional<cv::Vec3b>& brand_rgb,
                 const AppearanceOptions& options, bool container_in_box) {
  LOGOSCOPE_CHECK(!mask.empty() && mask.type() == CV_8UC1);
  const double size = std::max(mask.cols, mask.rows);
  const cv::Vec3b main = brand_rgb && rng.chance(options.brand_colour_prob) ? *brand_rgb : random_colour(rng);
  const cv::Vec3b second = contrasting(rng, main);
  const bool emblem = rng.chance(options.emblem_prob);
  const bool shadow = rng.chance(options.shadow_prob);
  const int shadow_pad = shadow ? static_cast<int>(std::ceil(size * 0.14)) + 3 : 0;

  cv::Mat mark;
  mask.convertTo(mark, CV_32F, 1.0 / 255.0);
  cv::Mat rgb;
  cv::Mat alpha;
  cv::Mat object;
  if (emblem) {
    const double pad = std::max(2.0, size * rng.uniform(0.15, 0.45));
    const int kind = rng.uniform_int(0, 4);
    const cv::Size2d inner(mark.cols + 2 * pad, mark.rows + 2 * pad);
    const double reach = (kind == 0 || kind == 2)
                             ? std::hypot(inner.width, inner.height) / std::cos(CV_PI / 6)
                             : std::max(inner.width, inner.height) * 1.5;
    const int border = static_cast<int>(std::ceil(size * 0.08)) + 3 + shadow_pad;
    const int cw =
        static_cast<int>(std::ceil(kind == 0 || kind == 2 ? reach : inner.width * (kind == 1 ? 1.45 : 1.0))) +
        2 * border;
    const int ch = static_cast<int>(
                       std::ceil(kind == 0 || kind == 2 ? reach : inner.height * (kind == 1 ? 1.45 : 1.0))) +
                   2 * border;
    cv::Mat container8(ch, cw, CV_8UC1, cv::Scalar(0));
    draw_container(container8, kind, inner, rng);
    const cv::Rect tight = cv::boundingRect(container8);
    const int margin = static_cast<int>(std::ceil(size * 0.08)) + 2 + shadow_pad;
    const cv::Rect keep =
        cv::Rect(tight.x - margin, tight.y - margin, tight.width + 2 * margin, tight.height + 2 * margin) &
        cv::Rect(0, 0, cw, ch);
    container8 = container8(keep).clone();
    cv::Mat container;
    container8.convertTo(container, CV_32F, 1.0 / 255.0);
    cv::Mat placed_mark(container.size(), CV_32F, cv::Scalar(0));
    const cv::Point offset((container.cols - mark.cols) / 2, (container.rows - mark.rows) / 2);
    mark.copyTo(placed_mark(cv::Rect(offset, mark.size())));
    const cv::Mat fill = make_fill(rng, container.size(), main, contrasting(rng, second), options);
    const bool knockout = rng.chance(options.knockout_prob);
    const cv::Mat mark3 = replicate3(placed_mark);
    rgb = knockout ? fill.clone()
                   : cv::Mat(fill.mul(cv::Scalar::all(1.0) - mark3) +
                             mark3.mul(solid(mark3.size(), scalar(second))));
    alpha = knockout ? cv::Mat(container.mul(1.0 - placed_mark)) : container.clone();
    object = container_in_box ? container : placed_mark;
    if (rng.chance(options.outline_prob)) {
      const int thickness = std::max(1, static_cast<int>(std::lround(size * rng.uniform(0.02, 0.05))));
      cv::Mat ring;
      cv::dilate(container, ring, disk(thickness));
      const cv::Vec3b outline = contrasting(rng, main);
      const cv::Mat container3 = replicate3(container);
      rgb = rgb.mul(container3) + (cv::Scalar::all(1.0) - container3).mul(solid(rgb.size(), scalar(outline)));
      const cv::Mat outer = ring - container;
      alpha = cv::max(alpha, outer);
      if (container_in_box) object = ring;
    }
  } else {
    const int thickness = std::max(1, static_cast<int>(std::lround(size * rng.uniform(0.02, 0.06))));
    const int pad = thickness + 2 + shadow_pad;
    cv::copyMakeBorder(mark, mark, pad, pad, pad, pad, cv::BORDER_CONSTANT, cv::Scalar(0));
    rgb = make_fill(rng, mark.size(), main, second, options);
    if (rng.chance(options.stroke_only_prob)) {
      cv::Mat inner;
      cv::erode(mark, inner, disk(thickness));
      alpha = cv::max(mark - inner, 0.0);
      object = mark;
    } else if (rng.chance(options.outline_prob)) {
      cv::Mat ring;
      cv::dilate(mark, ring, disk(thickness));
      const cv::Vec3b outline = contrasting(rng, main);
      const cv::Mat mark3 = replicate3(mark);
      rgb = rgb.mul(mark3) + (cv::Scalar::all(1.0) - mark3).mul(solid(rgb.size(), scalar(outline)));
      alpha = ring;
      object = ring;
    } else {
      alpha = mark.clone();
      object = mark;
    }
  }
  wear(rng, alpha, size, options);

  Layer layer;
  layer.premultiplied = rgb.mul(replicate3(alpha));
  layer.alpha = alpha;
  layer.object = object;
  if (shadow) {
    const double direction = rng.uniform(0, 2 * CV_PI);
    const double distance = size * rng.uniform(0.03, 0.08);
    const cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, distance * std::cos(direction), 0, 1,
                           distance * std::sin(direction));
    cv::Mat shadow_alpha;
    cv::warpAffine(alpha, shadow_alpha, shift, alpha.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                   cv::Scalar(0));
    const double sigma = size * rng.uniform(0.01, 0.04) + 0.5;
    cv::GaussianBlur(shadow_alpha, shadow_alpha, {0, 0}, sigma);
    shadow_alpha *= rng.uniform(0.3, 0.7);
    const cv::Mat behind = shadow_alpha.mul(1.0 - alpha);
    const cv::Scalar shade(rng.uniform(0, 60), rng.uniform(0, 60), rng.uniform(0, 60));
    layer.premultiplied += replicate3(behind).mul(solid(behind.size(), shade));
    layer.alpha = alpha + behind;
  }
  return layer;
}

Layer style_colour_mark(Rng& rng, const cv::Mat& rgba, const AppearanceOptions& options) {
  LOGOSCOPE_CHECK(!rgba.empty() && rgba.type() == CV_8UC4);
  cv::Mat rgba_f;
  rgba.convertTo(rgba_f, CV_32FC4);
  std::vector<cv::Mat> channels;
  cv::split(rgba_f, channels);
  cv::Mat alpha = channels[3] / 255.0;
  cv::Mat rgb;
  cv::merge(std::vector<cv::Mat>{channels[0], channels[1], channels[2]}, rgb);
  if (rng.chance(0.1)) {
    rgb = cv::Scalar::all(255.0) - rgb;  // a negative print (white on dark where the logo was dark)
  } else if (rng.chance(0.11)) {
    cv::Mat gray;
    cv::cvtColor(rgb, gray, cv::COLOR_RGB2GRAY);
    rgb = replicate3(gray);
  }
  const cv::Mat object = alpha.clone();
  const double size = std::max(rgba.cols, rgba.rows);
  wear(rng, alpha, size, options);
  Layer layer;
  layer.premultiplied = rgb.mul(replicate3(alpha));
  layer.alpha = alpha;
  layer.object = object;
  return layer;
}

Layer warp_layer(Rng& rng, const Layer& layer, double target_long_side, const GeometryOptions& options) {
  LOGOSCOPE_CHECK(!layer.empty() && target_long_side > 0);
  Layer bent = layer;
  if (rng.chance(options.cylinder_prob)) {
    bent = bend_cylinder(rng, bent);
  } else if (rng.chance(options.wave_prob)) {
    bent = bend_wave(rng, bent);
  }
  cv::Rect object = extent_at_least(bent.object, 0.5F);
  if (object.area() == 0) return {};
  double scale = target_long_side / std::max(object.width, object.height);
  if (scale < 0.5) {  // area-average strong reductions first: a homography samples, it does not average
    bent = resize_layer(bent, std::min(1.0, 2 * scale));
    object = extent_at_least(bent.object, 0.5F);
    if (object.area() == 0) return {};
    scale = target_long_side / std::max(object.width, object.height);
  }
  const double max_change = std::log1p(std::max(0.0, options.max_aspect_change));
  const double aspect = std::exp(rng.uniform(-max_change, max_change));
  const double sx = scale * std::sqrt(aspect);
  const double sy = scale / std::sqrt(aspect);
  const double degrees = rng.chance(options.large_rotation_prob) ? rng.uniform(-180, 180)
                                                                 : rng.normal(0, options.rotation_sigma_deg);
  const double radians = degrees * CV_PI / 180.0;
  const double cos_a = std::cos(radians);
  const double sin_a = std::sin(radians);
  const cv::Point2d centre(object.x + object.width / 2.0, object.y + object.height / 2.0);
  const cv::Size size = bent.size();
  const std::array<cv::Point2f, 4> source = {
      cv::Point2f(0, 0), cv::Point2f(static_cast<float>(size.width), 0),
      cv::Point2f(static_cast<float>(size.width), static_cast<float>(size.height)),
      cv::Point2f(0, static_cast<float>(size.height))};
  const bool perspective = rng.chance(options.perspective_prob);
  std::array<cv::Point2f, 4> target{};
  for (std::size_t i = 0; i < 4; ++i) {
    const double x = (source[i].x - centre.x) * sx;
    const double y = (source[i].y - centre.y) * sy;
    double tx = x * cos_a - y * sin_a;
    double ty = x * sin_a + y * cos_a;
    if (perspective) {
      const double reach = options.perspective_strength * target_long_side;
      tx += rng.uniform(-reach, reach);
      ty += rng.uniform(-reach, reach);
    }
    target[i] = cv::Point2f(static_cast<float>(tx), static_cast<float>(ty));
  }
  float min_x = target[0].x;
  float min_y = target[0].y;
  float max_x = target[0].x;
  float max_y = target[0].y;
  for (const auto& p : target) {
    min_x = std::min(min_x, p.x);
    min_y = std::min(min_y, p.y);
    max_x = std::max(max_x, p.x);
    max_y = std::max(max_y, p.y);
  }
  for (auto& p : target) p -= cv::Point2f(min_x - 1, min_y - 1);
  const cv::Size out_size(static_cast<int>(std::ceil(max_x - min_x)) + 2,
                          static_cast<int>(std::ceil(max_y - min_y)) + 2);
  const cv::Mat homography = cv::getPerspectiveTransform(source.data(), target.data());
  Layer out;
  cv::warpPerspective(bent.premultiplied, out.premultiplied, homography, out_size, cv::INTER_LINEAR,
                      cv::BORDER_CONSTANT, cv::Scalar::all(0));
  cv::warpPerspective(bent.alpha, out.alpha, homography, out_size, cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                      cv::Scalar(0));
  cv::warpPerspective(bent.object, out.object, homography, out_size, cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                      cv::Scalar(0));
  const cv::Rect painted = extent_at_least(cv::max(out.alpha, out.object), 1.0F / 255.0F);
  if (painted.area() == 0) return {};
  const cv::Rect keep = cv::Rect(painted.x - 1, painted.y - 1, painted.width + 2, painted.height + 2) &
                        cv::Rect({0, 0}, out_size);
  return crop_layer(out, keep);
}

void blur_layer(Layer& layer, double sigma) {
  LOGOSCOPE_CHECK(sigma > 0);
  // Room for the blur to spread into, so it is not cut at the canvas edge.
  const int pad = static_cast<int>(std::ceil(3 * sigma));
  for (cv::Mat* map : {&layer.premultiplied, &layer.alpha, &layer.object}) {
    cv::copyMakeBorder(*map, *map, pad, pad, pad, pad, cv::BORDER_CONSTANT, cv::Scalar::all(0));
  }
  cv::GaussianBlur(layer.premultiplied, layer.premultiplied, {0, 0}, sigma, sigma, cv::BORDER_CONSTANT);
  cv::GaussianBlur(layer.alpha, layer.alpha, {0, 0}, sigma, sigma, cv::BORDER_CONSTANT);
}

void composite_layer(cv::Mat& image, const Layer& layer, cv::Point origin) {
  LOGOSCOPE_CHECK(image.type() == CV_32FC3);
  const cv::Rect clip = cv::Rect(origin, layer.size()) & cv::Rect(0, 0, image.cols, image.rows);
  if (clip.area() == 0) return;
  const cv::Rect source = clip - origin;
  cv::Mat destination = image(clip);
  const cv::Mat keep = replicate3(1.0 - layer.alpha(source));
  cv::multiply(destination, keep, destination);
  destination += layer.premultiplied(source);
}

}  // namespace logoscope::marks
