#include "marks/backgrounds.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <filesystem>
#include <list>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <opencv2/imgproc.hpp>

#include "imageio/image_io.hpp"

namespace fs = std::filesystem;

namespace logoscope::marks {

namespace {

cv::Vec3b hsv_to_rgb(double hue, double saturation, double value) {
  const double h = std::fmod(hue, 1.0) * 6.0;
  const double c = value * saturation;
  const double x = c * (1 - std::abs(std::fmod(h, 2.0) - 1));
  double r = 0;
  double g = 0;
  double b = 0;
  switch (static_cast<int>(h)) {
    case 0:
      r = c;
      g = x;
      break;
    case 1:
      r = x;
      g = c;
      break;
    case 2:
      g = c;
      b = x;
      break;
    case 3:
      g = x;
      b = c;
      break;
    case 4:
      r = x;
      b = c;
      break;
    default:
      r = c;
      b = x;
      break;
  }
  const double m = value - c;
  return {cv::saturate_cast<uchar>((r + m) * 255), cv::saturate_cast<uchar>((g + m) * 255),
          cv::saturate_cast<uchar>((b + m) * 255)};
}

// Maps a CV_32F image in [0, 1] through a 1×256 palette.
cv::Mat colourise(const cv::Mat& values, const cv::Mat& palette) {
  cv::Mat index;
  values.convertTo(index, CV_8U, 255.0);
  cv::Mat index3;
  cv::cvtColor(index, index3, cv::COLOR_GRAY2RGB);
  cv::Mat out;
  cv::LUT(index3, palette, out);
  return out;
}

void normalise01(cv::Mat& values) {
  cv::normalize(values, values, 0.0, 1.0, cv::NORM_MINMAX);
}

}  // namespace

cv::Vec3b random_colour(Rng& rng) {
  switch (rng.weighted({0.4, 0.2, 0.2, 0.2})) {
    case 0:
      return hsv_to_rgb(rng.uniform(0, 1), rng.uniform(0.55, 1.0), rng.uniform(0.55, 1.0));  // vivid
    case 1:
      return hsv_to_rgb(rng.uniform(0, 1), rng.uniform(0.0, 1.0), rng.uniform(0.0, 0.3));  // dark
    case 2:
      return hsv_to_rgb(rng.uniform(0, 1), rng.uniform(0.0, 0.25), rng.uniform(0.85, 1.0));  // light
    default:
      return {static_cast<uchar>(rng.uniform_int(0, 255)), static_cast<uchar>(rng.uniform_int(0, 255)),
              static_cast<uchar>(rng.uniform_int(0, 255))};
  }
}

cv::Mat random_palette(Rng& rng) {
  const int stops = rng.uniform_int(2, 5);
  std::vector<cv::Vec3b> colours(static_cast<std::size_t>(stops));
  for (auto& colour : colours) colour = random_colour(rng);
  cv::Mat palette(1, 256, CV_8UC3);
  for (int i = 0; i < 256; ++i) {
    const double t = i / 255.0 * (stops - 1);
    const int lo = std::min(static_cast<int>(t), stops - 2);
    const double f = t - lo;
    const cv::Vec3b& a = colours[static_cast<std::size_t>(lo)];
    const cv::Vec3b& b = colours[static_cast<std::size_t>(lo) + 1];
    for (int c = 0; c < 3; ++c)
      palette.at<cv::Vec3b>(0, i)[c] = cv::saturate_cast<uchar>(a[c] * (1 - f) + b[c] * f);
  }
  return palette;
}

cv::Mat fractal_noise(Rng& rng, cv::Size size, int octaves, double persistence, int base_cells) {
  cv::Mat sum(size, CV_32F, cv::Scalar(0));
  cv::RNG cv_rng = rng.cv_rng();
  double amplitude = 1;
  int cells = std::max(1, base_cells);
  const double aspect = static_cast<double>(size.width) / size.height;
  for (int octave = 0; octave < octaves; ++octave) {
    const int grid_w = std::max(2, static_cast<int>(std::lround(cells * std::max(1.0, aspect))) + 1);
    const int grid_h = std::max(2, static_cast<int>(std::lround(cells / std::min(1.0, aspect))) + 1);
    if (grid_w > size.width || grid_h > size.height) break;
    cv::Mat grid(grid_h, grid_w, CV_32F);
    cv_rng.fill(grid, cv::RNG::UNIFORM, 0.0, 1.0);
    cv::Mat up;
    cv::resize(grid, up, size, 0, 0, cv::INTER_CUBIC);
    cv::scaleAdd(up, amplitude, sum, sum);
    amplitude *= persistence;
    cells *= 2;
  }
  normalise01(sum);
  return sum;
}

cv::Mat render_fractal_noise(Rng& rng, int width, int height) {
  const cv::Size size(width, height);
  cv::Mat noise =
      fractal_noise(rng, size, rng.uniform_int(3, 7), rng.uniform(0.35, 0.7), rng.uniform_int(1, 6));
  switch (rng.uniform_int(0, 3)) {
    case 1: {  // turbulence
      noise = cv::abs(noise * 2.0 - 1.0);
      break;
    }
    case 2: {  // marble: bands bent by the noise
      const double angle = rng.uniform(0, CV_PI);
      const double frequency = rng.uniform(2, 12) * 2 * CV_PI / std::max(width, height);
      const double strength = rng.uniform(2, 10);
      for (int y = 0; y < height; ++y) {
        auto* row = noise.ptr<float>(y);
        for (int x = 0; x < width; ++x) {
          const double u = (x * std::cos(angle) + y * std::sin(angle)) * frequency;
          row[x] = static_cast<float>(0.5 + 0.5 * std::sin(u + strength * row[x]));
        }
      }
      break;
    }
    case 3: {  // ridged
      noise = 1.0 - cv::abs(noise * 2.0 - 1.0);
      cv::multiply(noise, noise, noise);
      break;
    }
    default:
      break;
  }
  normalise01(noise);
  return colourise(noise, random_palette(rng));
}

cv::Mat render_dead_leaves(Rng& rng, int width, int height) {
  const int colours = rng.uniform_int(3, 12);
  std::vector<cv::Vec3b> palette(static_cast<std::size_t>(colours));
  for (auto& entry : palette) entry = random_colour(rng);
  auto colour = [&] {
    const cv::Vec3b& base = palette[static_cast<std::size_t>(rng.uniform_int(0, colours - 1))];
    const double jitter = rng.uniform(-20, 20);
    return cv::Scalar(base[0] + jitter, base[1] + jitter, base[2] + jitter);
  };
  cv::Mat image(height, width, CV_8UC3, colour());
  const double extent = std::max(width, height);
  const double r_min = std::max(1.5, extent * rng.uniform(0.005, 0.02));
  const double r_max = extent * rng.uniform(0.15, 0.45);
  const double a = std::pow(r_min, -2.0);
  const double b = std::pow(r_max, -2.0);
  const int shapes = static_cast<int>(width * height / (r_min * r_min * rng.uniform(3, 12))) + 60;
  const int kind = rng.uniform_int(0, 2);  // discs, rectangles, both
  for (int s = 0; s < std::min(shapes, 2500); ++s) {
    const double r = std::pow(a - rng.uniform(0, 1) * (a - b), -0.5);
    const cv::Point centre(rng.uniform_int(-static_cast<int>(r), width + static_cast<int>(r)),
                           rng.uniform_int(-static_cast<int>(r), height + static_cast<int>(r)));
    const cv::Scalar fill = colour();
    if (kind == 0 || (kind == 2 && rng.chance(0.5))) {
      cv::circle(image, centre, std::max(1, static_cast<int>(r)), fill, cv::FILLED, cv::LINE_AA);
    } else {
      const cv::RotatedRect rect(
          centre, cv::Size2f(static_cast<float>(2 * r), static_cast<float>(2 * r * rng.uniform(0.3, 1.0))),
          static_cast<float>(rng.uniform(0, 180)));
      cv::Point2f corners[4];
      rect.points(corners);
      std::vector<cv::Point> polygon(corners, corners + 4);
      cv::fillConvexPoly(image, polygon, fill, cv::LINE_AA);
    }
  }
  return image;
}

cv::Mat render_julia(Rng& rng, int width, int height) {
  // Computed at half resolution: the fractal's detail survives, at a quarter of the cost.
  const int w = std::max(8, (width + 1) / 2);
  const int h = std::max(8, (height + 1) / 2);
  const double angle = rng.uniform(0, 2 * CV_PI);
  const double radius = rng.uniform(0.76, 0.80);
  const std::complex<double> c(radius * std::cos(angle), radius * std::sin(angle));
  const double zoom = rng.log_uniform(0.7, 4.0);
  const double cx = rng.uniform(-0.6, 0.6);
  const double cy = rng.uniform(-0.6, 0.6);
  const double scale = 3.0 / zoom / std::max(w, h);
  constexpr int kIterations = 40;
  const double bands = rng.uniform(0.5, 3.0);
  cv::Mat values(h, w, CV_32F);
  for (int y = 0; y < h; ++y) {
    auto* row = values.ptr<float>(y);
    for (int x = 0; x < w; ++x) {
      std::complex<double> z(cx + (x - w / 2.0) * scale, cy + (y - h / 2.0) * scale);
      int n = 0;
      while (n < kIterations && std::norm(z) < 64.0) {
        z = z * z + c;
        ++n;
      }
      double t = 0;
      if (n < kIterations) {
        const double smooth = n + 1 - std::log2(std::max(1e-9, std::log(std::abs(z))));
        t = 0.5 + 0.5 * std::sin(smooth / kIterations * bands * 2 * CV_PI);
      }
      row[x] = static_cast<float>(t);
    }
  }
  cv::Mat coloured = colourise(values, random_palette(rng));
  cv::Mat out;
  cv::resize(coloured, out, {width, height}, 0, 0, cv::INTER_LINEAR);
  return out;
}

cv::Mat render_texture(Rng& rng, int width, int height) {
  const cv::Vec3b c1 = random_colour(rng);
  const cv::Vec3b c2 = random_colour(rng);
  const int kind = rng.uniform_int(0, 6);
  const double angle = rng.chance(0.5) ? 0.0 : rng.uniform(0, CV_PI);
  const double ca = std::cos(angle);
  const double sa = std::sin(angle);
  const double period = rng.log_uniform(4, std::max(6.0, std::max(width, height) / 4.0));
  const double duty = rng.uniform(0.2, 0.8);
  const double cx = rng.uniform(0, width);
  const double cy = rng.uniform(0, height);
  // Wood rings and waves are bent by noise.
  const cv::Mat warp = (kind == 3 || kind == 4) ? fractal_noise(rng, {width, height}, 4, 0.5, 2) : cv::Mat();
  const double warp_strength = rng.uniform(0.5, 3.0) * period;
  cv::Mat t(height, width, CV_32F);
  for (int y = 0; y < height; ++y) {
    auto* row = t.ptr<float>(y);
    for (int x = 0; x < width; ++x) {
      const double u = (x * ca + y * sa) / period;
      const double v = (-x * sa + y * ca) / period;
      const double fu = u - std::floor(u);
      const double fv = v - std::floor(v);
      double value = 0;
      switch (kind) {
        case 0:
          value = fu < duty ? 1 : 0;
          break;  // stripes
        case 1:
          value = (static_cast<long>(std::floor(u)) + static_cast<long>(std::floor(v))) % 2 == 0 ? 1 : 0;
          break;
        case 2:
          value = std::hypot(fu - 0.5, fv - 0.5) < duty * 0.5 ? 1 : 0;
          break;   // dots
        case 3: {  // wood rings
          const double r = std::hypot(x - cx, y - cy) + warp.at<float>(y, x) * warp_strength;
          value = 0.5 + 0.5 * std::sin(r / period * 2 * CV_PI);
          break;
        }
        case 4:
          value = 0.5 + 0.5 * std::sin((u + warp.at<float>(y, x) * warp_strength / period) * 2 * CV_PI);
          break;
        case 5:
          value = (fu < duty * 0.3 || fv < duty * 0.3) ? 1 : 0;
          break;    // grid
        default: {  // bricks: rows offset by half a brick every other row
          const double row_index = std::floor(v);
          const double shifted = u * 0.5 + (static_cast<long>(row_index) % 2 == 0 ? 0.0 : 0.5);
          const double fb = shifted - std::floor(shifted);
          value = (fv < 0.12 || fb < 0.06) ? 1 : 0;
        }
      }
      row[x] = static_cast<float>(value);
    }
  }
  cv::Mat out(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    const auto* row = t.ptr<float>(y);
    auto* dst = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < 3; ++c) dst[x][c] = cv::saturate_cast<uchar>(c1[c] * row[x] + c2[c] * (1 - row[x]));
    }
  }
  if (rng.chance(0.4)) {  // uneven light
    cv::Mat shade =
        fractal_noise(rng, {width, height}, 3, 0.5, 1) * rng.uniform(0.2, 0.6) + (1 - rng.uniform(0.1, 0.3));
    cv::Mat shade3;
    cv::cvtColor(shade, shade3, cv::COLOR_GRAY2RGB);
    cv::Mat f;
    out.convertTo(f, CV_32FC3);
    cv::multiply(f, shade3, f);
    f.convertTo(out, CV_8UC3);
  }
  return out;
}

cv::Mat render_gradient(Rng& rng, int width, int height) {
  const int stops = rng.uniform_int(2, 3);
  std::vector<cv::Vec3b> colours(static_cast<std::size_t>(stops));
  for (auto& colour : colours) colour = random_colour(rng);
  const bool radial = rng.chance(0.35);
  const double angle = rng.uniform(0, 2 * CV_PI);
  const double cx = rng.uniform(0, width);
  const double cy = rng.uniform(0, height);
  const double reach = std::hypot(width, height) * rng.uniform(0.5, 1.0);
  cv::Mat out(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    auto* dst = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < width; ++x) {
      double t = radial ? std::hypot(x - cx, y - cy) / reach
                        : ((x - width / 2.0) * std::cos(angle) + (y - height / 2.0) * std::sin(angle)) /
                                  std::hypot(width, height) +
                              0.5;
      t = std::clamp(t, 0.0, 1.0) * (stops - 1);
      const int lo = std::min(static_cast<int>(t), stops - 2);
      const double f = t - lo;
      for (int c = 0; c < 3; ++c) {
        dst[x][c] = cv::saturate_cast<uchar>(colours[static_cast<std::size_t>(lo)][c] * (1 - f) +
                                             colours[static_cast<std::size_t>(lo) + 1][c] * f);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- photos

struct PhotoBank::Impl {
  std::vector<std::string> paths;
  int max_side = 0;
  std::size_t cache_bytes = 0;
  mutable std::mutex mutex;  // guards the cache
  mutable std::list<std::size_t> lru;
  mutable std::unordered_map<std::size_t, std::pair<cv::Mat, std::list<std::size_t>::iterator>> cache;
  mutable std::size_t cached_bytes = 0;
  mutable std::unordered_set<std::size_t> failed;

  cv::Mat photo(std::size_t index) const;
};

cv::Mat PhotoBank::Impl::photo(std::size_t index) const {
  {
    const std::lock_guard lock(mutex);
    if (auto found = cache.find(index); found != cache.end()) {
      lru.splice(lru.begin(), lru, found->second.second);
      return found->second.first;
    }
    if (failed.count(index) != 0) return {};
  }
  auto decoded = imageio::decode_image_file(paths[index]);
  cv::Mat image;
  if (decoded) {
    image = decoded->rgb;
    const int shorter = std::min(image.cols, image.rows);
    if (shorter > max_side) {
      const double scale = static_cast<double>(max_side) / shorter;
      cv::resize(image, image,
                 {std::max(1, static_cast<int>(image.cols * scale)),
                  std::max(1, static_cast<int>(image.rows * scale))},
                 0, 0, cv::INTER_AREA);
    }
  }
  const std::lock_guard lock(mutex);
  if (image.empty()) {
    if (failed.insert(index).second) {
      spdlog::warn("background photo skipped: {}",
                   decoded ? paths[index] + ": empty image" : decoded.error().message);
    }
    return {};
  }
  const std::size_t bytes = image.total() * image.elemSize();
  if (cache.count(index) != 0 || bytes > cache_bytes) return image;
  while (cached_bytes + bytes > cache_bytes && !lru.empty()) {
    auto oldest = cache.find(lru.back());
    cached_bytes -= oldest->second.first.total() * oldest->second.first.elemSize();
    cache.erase(oldest);
    lru.pop_back();
  }
  lru.push_front(index);
  cache.emplace(index, std::make_pair(image, lru.begin()));
  cached_bytes += bytes;
  return image;
}

Result<std::unique_ptr<PhotoBank>> PhotoBank::open(const std::string& dir, int max_side,
                                                   std::size_t cache_bytes) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return Error{ErrorCode::kNotFound, fmt::format("{}: no such photo folder", dir)};
  auto impl = std::make_unique<Impl>();
  impl->max_side = std::max(16, max_side);
  impl->cache_bytes = cache_bytes;
  static const std::vector<std::string> kExtensions = {".jpg", ".jpeg", ".jfif", ".png", ".webp",
                                                       ".bmp", ".tif",  ".tiff"};
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string ext = it->path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (std::find(kExtensions.begin(), kExtensions.end(), ext) != kExtensions.end())
      impl->paths.push_back(it->path().string());
  }
  if (impl->paths.empty())
    return Error{ErrorCode::kInvalidArgument, fmt::format("{}: no image files in this photo folder", dir)};
  std::sort(impl->paths.begin(), impl->paths.end());
  return std::unique_ptr<PhotoBank>(new PhotoBank(std::move(impl)));
}

Result<std::unique_ptr<PhotoBank>> PhotoBank::open_files(std::vector<std::string> files, int max_side,
                                                         std::size_t cache_bytes) {
  if (files.empty()) return Error{ErrorCode::kInvalidArgument, "no background photos given"};
  auto impl = std::make_unique<Impl>();
  impl->max_side = std::max(16, max_side);
  impl->cache_bytes = cache_bytes;
  impl->paths = std::move(files);
  return std::unique_ptr<PhotoBank>(new PhotoBank(std::move(impl)));
}

PhotoBank::PhotoBank(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PhotoBank::~PhotoBank() = default;

std::size_t PhotoBank::size() const {
  return impl_->paths.size();
}

cv::Mat PhotoBank::crop(Rng& rng, int width, int height) const {
  const std::size_t index =
      static_cast<std::size_t>(rng.uniform_int(0, static_cast<int>(impl_->paths.size()) - 1));
  const double zoom = rng.log_uniform(1.0, 2.5);
  const double fx = rng.uniform(0, 1);
  const double fy = rng.uniform(0, 1);
  const bool mirror = rng.chance(0.5);
  const cv::Mat photo = impl_->photo(index);
  if (photo.empty()) return {};
  const double scale =
      std::min(static_cast<double>(photo.cols) / width, static_cast<double>(photo.rows) / height) / zoom;
  const int crop_w = std::clamp(static_cast<int>(width * scale), 1, photo.cols);
  const int crop_h = std::clamp(static_cast<int>(height * scale), 1, photo.rows);
  const cv::Rect window(static_cast<int>(fx * (photo.cols - crop_w)),
                        static_cast<int>(fy * (photo.rows - crop_h)), crop_w, crop_h);
  cv::Mat out;
  cv::resize(photo(window), out, {width, height}, 0, 0, crop_w > width ? cv::INTER_AREA : cv::INTER_LINEAR);
  if (mirror) cv::flip(out, out, 1);
  return out;
}

}  // namespace logoscope::marks
