#include "synth/synth_dataset.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "imageio/image_io.hpp"

namespace fs = std::filesystem;

namespace logoscope::synth {

namespace {

constexpr int kMaxLabels = 8;
constexpr std::array<const char*, kMaxLabels> kNames = {"acme", "bolt", "crux", "dyna",
                                                         "echo", "flux", "gala", "helo"};
// Two RGB colours per mark: body and detail.
constexpr std::array<std::array<std::array<int, 3>, 2>, kMaxLabels> kColours = {{
    {{{220, 30, 40}, {255, 220, 0}}},
    {{{20, 70, 200}, {255, 255, 255}}},
    {{{20, 150, 60}, {250, 250, 250}}},
    {{{250, 130, 0}, {30, 30, 30}}},
    {{{120, 40, 160}, {250, 200, 230}}},
    {{{0, 160, 170}, {20, 20, 60}}},
    {{{30, 30, 30}, {240, 60, 60}}},
    {{{240, 200, 20}, {40, 40, 160}}},
}};

cv::Scalar rgb(const std::array<int, 3>& c) { return {static_cast<double>(c[0]), static_cast<double>(c[1]), static_cast<double>(c[2])}; }

int uniform_int(std::mt19937_64& rng, int lo, int hi) {
  return lo + static_cast<int>(rng() % static_cast<std::uint64_t>(hi - lo + 1));
}

double uniform_real(std::mt19937_64& rng, double lo, double hi) {
  return lo + (hi - lo) * (static_cast<double>(rng() >> 11) / 9007199254740992.0);
}

cv::Scalar random_colour(std::mt19937_64& rng) {
  return {static_cast<double>(uniform_int(rng, 0, 255)), static_cast<double>(uniform_int(rng, 0, 255)),
          static_cast<double>(uniform_int(rng, 0, 255))};
}

void draw_shape(cv::Mat& canvas, int shape, int size, const cv::Scalar& colour) {
  const int c = size / 2;
  const int r = size / 2 - 1;
  switch (shape) {
    case 0: cv::circle(canvas, {c, c}, r, colour, cv::FILLED, cv::LINE_AA); break;
    case 1: cv::rectangle(canvas, cv::Point(size / 12, size / 12), cv::Point(size - size / 12, size - size / 12), colour, cv::FILLED, cv::LINE_AA); break;
    case 2: {
      const std::vector<cv::Point> tri = {{c, 1}, {size - 2, size - 2}, {1, size - 2}};
      cv::fillConvexPoly(canvas, tri, colour, cv::LINE_AA);
      break;
    }
    default: {
      std::vector<cv::Point> hex;
      for (int k = 0; k < 6; ++k) {
        const double a = CV_PI / 3.0 * k + CV_PI / 6.0;
        hex.emplace_back(c + static_cast<int>(r * std::cos(a)), c + static_cast<int>(r * std::sin(a)));
      }
      cv::fillConvexPoly(canvas, hex, colour, cv::LINE_AA);
      break;
    }
  }
}

bool overlaps(const std::vector<Box>& boxes, const Box& candidate) {
  return std::any_of(boxes.begin(), boxes.end(), [&](const Box& b) {
    return box_iou(b, candidate) > 0.05 || box_covered_fraction(candidate, b) > 0.2;
  });
}

}  // namespace

std::string synthetic_label_name(int label) {
  LOGOSCOPE_CHECK(label >= 0 && label < kMaxLabels);
  return kNames[static_cast<std::size_t>(label)];
}

Mark render_mark(int label, int size) {
  LOGOSCOPE_CHECK(label >= 0 && label < kMaxLabels && size >= 16);
  const auto& colours = kColours[static_cast<std::size_t>(label)];
  Mark mark{cv::Mat(size, size, CV_8UC3, cv::Scalar(0, 0, 0)), cv::Mat(size, size, CV_8UC1, cv::Scalar(0))};
  const int shape = label % 4;
  draw_shape(mark.rgb, shape, size, rgb(colours[0]));
  draw_shape(mark.mask, shape, size, cv::Scalar(255));
  // A stripe and the mark's letters make marks of the same shape distinct.
  const int stripe_y = label < 4 ? size * 2 / 3 : size / 4;
  cv::line(mark.rgb, {size / 5, stripe_y}, {size * 4 / 5, stripe_y}, rgb(colours[1]), std::max(1, size / 14), cv::LINE_AA);
  const std::string letters = std::string(1, static_cast<char>(std::toupper(kNames[static_cast<std::size_t>(label)][0]))) +
                              static_cast<char>(std::toupper(kNames[static_cast<std::size_t>(label)][1]));
  const double scale = size / 64.0;
  int baseline = 0;
  const cv::Size text = cv::getTextSize(letters, cv::FONT_HERSHEY_DUPLEX, scale, std::max(1, size / 24), &baseline);
  cv::putText(mark.rgb, letters, {(size - text.width) / 2, (size + text.height) / 2}, cv::FONT_HERSHEY_DUPLEX,
              scale, rgb(colours[1]), std::max(1, size / 24), cv::LINE_AA);
  mark.rgb.setTo(cv::Scalar(0, 0, 0), mark.mask == 0);
  return mark;
}

void blend_over(cv::Mat& roi, const cv::Mat& foreground, const cv::Mat& alpha) {
  LOGOSCOPE_CHECK(roi.size() == foreground.size() && roi.size() == alpha.size() && alpha.type() == CV_32F);
  cv::Mat alpha3;
  cv::merge(std::vector<cv::Mat>{alpha, alpha, alpha}, alpha3);
  cv::Mat fg;
  cv::Mat bg;
  foreground.convertTo(fg, CV_32FC3);
  roi.convertTo(bg, CV_32FC3);
  cv::Mat blended = fg.mul(alpha3) + bg.mul(cv::Scalar::all(1.0) - alpha3);
  blended.convertTo(roi, CV_8UC3);
}

cv::Mat render_background(std::mt19937_64& rng, int width, int height) {
  cv::Mat image(height, width, CV_8UC3);
  const cv::Scalar top = random_colour(rng);
  const cv::Scalar bottom = random_colour(rng);
  for (int y = 0; y < height; ++y) {
    const double t = height > 1 ? static_cast<double>(y) / (height - 1) : 0.0;
    image.row(y).setTo(top * (1.0 - t) + bottom * t);
  }
  const int shapes = uniform_int(rng, 4, 14);
  for (int s = 0; s < shapes; ++s) {
    const cv::Point p1(uniform_int(rng, -width / 4, width), uniform_int(rng, -height / 4, height));
    const cv::Point p2(p1.x + uniform_int(rng, 10, width / 2), p1.y + uniform_int(rng, 10, height / 2));
    const cv::Scalar colour = random_colour(rng);
    switch (uniform_int(rng, 0, 3)) {
      case 0: cv::rectangle(image, p1, p2, colour, cv::FILLED); break;
      case 1: cv::ellipse(image, (p1 + p2) / 2, cv::Size(std::abs(p2.x - p1.x) / 2 + 1, std::abs(p2.y - p1.y) / 2 + 1),
                          uniform_real(rng, 0, 180), 0, 360, colour, cv::FILLED, cv::LINE_AA); break;
      case 2: cv::line(image, p1, p2, colour, uniform_int(rng, 1, 6), cv::LINE_AA); break;
      default: {
        static constexpr const char* kWords[] = {"SALE", "OPEN", "city", "42", "cafe", "STOP", "zone", "bar"};
        cv::putText(image, kWords[uniform_int(rng, 0, 7)], p1, uniform_int(rng, 0, 1) ? cv::FONT_HERSHEY_SIMPLEX : cv::FONT_HERSHEY_PLAIN,
                    uniform_real(rng, 0.6, 2.0), colour, uniform_int(rng, 1, 3), cv::LINE_AA);
      }
    }
  }
  cv::Mat noise(height, width, CV_8UC3);
  cv::randn(noise, cv::Scalar::all(0), cv::Scalar::all(uniform_real(rng, 2, 10)));
  cv::Mat noisy;
  cv::add(image, noise, noisy, cv::noArray(), CV_8UC3);
  return noisy;
}

cv::Mat render_scene(std::mt19937_64& rng, const SynthOptions& options, std::vector<Box>& boxes) {
  cv::Mat image = render_background(rng, options.width, options.height);
  if (uniform_real(rng, 0, 1) < options.empty_image_fraction) return image;
  const int marks = uniform_int(rng, 1, std::max(1, options.max_marks_per_image));
  const std::size_t first_box = boxes.size();
  std::vector<Box> placed;
  for (int m = 0; m < marks; ++m) {
    const int label = uniform_int(rng, 0, options.labels - 1);
    const int side = uniform_int(rng, options.min_mark_side, std::min({options.max_mark_side, options.width - 2, options.height - 2}));
    Mark mark = render_mark(label, side);
    const double angle = uniform_real(rng, -options.max_rotation_deg, options.max_rotation_deg);
    const bool mirror = uniform_int(rng, 0, 1) == 1;
    const double aspect = uniform_real(rng, 0.8, 1.25);
    cv::Mat affine = cv::getRotationMatrix2D(cv::Point2f(side / 2.0F, side / 2.0F), angle, 1.0);
    affine.at<double>(0, 0) *= (mirror ? -aspect : aspect);
    affine.at<double>(0, 1) *= (mirror ? -aspect : aspect);
    const int out_w = static_cast<int>(side * aspect * 1.45) + 2;
    const int out_h = static_cast<int>(side * 1.45) + 2;
    if (out_w >= options.width || out_h >= options.height) continue;
    // Recentre the transformed mark in the output canvas.
    const double cx = side / 2.0;
    const double cy = side / 2.0;
    affine.at<double>(0, 2) = out_w / 2.0 - (affine.at<double>(0, 0) * cx + affine.at<double>(0, 1) * cy);
    affine.at<double>(1, 2) = out_h / 2.0 - (affine.at<double>(1, 0) * cx + affine.at<double>(1, 1) * cy);
    cv::Mat warped_rgb;
    cv::Mat warped_mask;
    cv::warpAffine(mark.rgb, warped_rgb, affine, {out_w, out_h}, cv::INTER_LINEAR, cv::BORDER_CONSTANT);
    cv::warpAffine(mark.mask, warped_mask, affine, {out_w, out_h}, cv::INTER_LINEAR, cv::BORDER_CONSTANT);
    const cv::Rect bounds = cv::boundingRect(warped_mask > 127);
    if (bounds.area() == 0) continue;
    for (int attempt = 0; attempt < 10; ++attempt) {
      const int x = uniform_int(rng, 0, options.width - out_w);
      const int y = uniform_int(rng, 0, options.height - out_h);
      Box box{static_cast<double>(x + bounds.x), static_cast<double>(y + bounds.y),
              static_cast<double>(x + bounds.x + bounds.width), static_cast<double>(y + bounds.y + bounds.height), label};
      if (overlaps(placed, box)) continue;
      cv::Mat roi = image(cv::Rect(x, y, out_w, out_h));
      cv::Mat alpha;
      warped_mask.convertTo(alpha, CV_32F, 1.0 / 255.0);
      blend_over(roi, warped_rgb, alpha);
      placed.push_back(box);
      break;
    }
  }
  boxes.insert(boxes.begin() + static_cast<std::ptrdiff_t>(first_box), placed.begin(), placed.end());
  return image;
}

Result<Dataset> write_synthetic_dataset(const std::string& out_dir, const SynthOptions& options) {
  if (options.labels < 1 || options.labels > kMaxLabels) {
    return Error{ErrorCode::kInvalidArgument, fmt::format("labels must be 1..{}, got {}", kMaxLabels, options.labels)};
  }
  if (options.images < 1 || options.width < 64 || options.height < 64 || options.min_mark_side < 16 ||
      options.max_mark_side < options.min_mark_side) {
    return Error{ErrorCode::kInvalidArgument, "synthetic dataset options out of range (images ≥ 1, size ≥ 64, 16 ≤ min mark ≤ max mark)"};
  }
  std::error_code ec;
  const fs::path images_dir = fs::absolute(fs::path(out_dir) / "images", ec);
  fs::create_directories(images_dir, ec);
  if (ec) return Error{ErrorCode::kIo, fmt::format("{}: cannot create folder: {}", images_dir.string(), ec.message())};
  Dataset dataset;
  for (int label = 0; label < options.labels; ++label) dataset.labels.push_back(synthetic_label_name(label));
  std::mt19937_64 rng(options.seed);
  for (int i = 0; i < options.images; ++i) {
    Sample sample;
    cv::Mat image = render_scene(rng, options, sample.boxes);
    sample.image = (images_dir / fmt::format("synth_{:04d}.jpg", i)).string();
    sample.width = image.cols;
    sample.height = image.rows;
    auto written = imageio::write_image_file(image, sample.image, options.jpeg_quality);
    if (!written) return written.error();
    dataset.samples.push_back(std::move(sample));
  }
  return dataset;
}

}  // namespace logoscope::synth
