#include "marks/reference_marks.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/hash.hpp"
#include "imageio/image_io.hpp"
#include "marks/svg_raster.hpp"

namespace fs = std::filesystem;

namespace logoscope::marks {

namespace {

constexpr int kVisibleAlpha = 8;  // alpha above this is part of the mark's extent

bool looks_like_svg(std::span<const std::uint8_t> bytes) {
  const std::size_t n = std::min<std::size_t>(bytes.size(), 4096);
  const std::string head(reinterpret_cast<const char*>(bytes.data()), n);
  const auto first = head.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  if (first == std::string::npos || head[first] != '<') return false;
  return head.find("<svg") != std::string::npos;
}

// Max over channels of |pixel − colour|, per pixel (CV_8UC1).
cv::Mat colour_distance(const cv::Mat& rgb, const cv::Vec3b& colour) {
  cv::Mat difference;
  cv::absdiff(rgb, cv::Scalar(colour[0], colour[1], colour[2]), difference);
  std::vector<cv::Mat> channels;
  cv::split(difference, channels);
  cv::Mat distance = cv::max(channels[0], cv::max(channels[1], channels[2]));
  return distance;
}

// Alpha for an image without one: a flat border colour (≥ 90 % of the border within 40 of its
// median) is background, faded out over distances 16…48; otherwise the whole image is the mark.
std::pair<cv::Mat, std::string> key_out_border(const cv::Mat& rgb) {
  std::vector<cv::Vec3b> border;
  for (int x = 0; x < rgb.cols; ++x) {
    border.push_back(rgb.at<cv::Vec3b>(0, x));
    border.push_back(rgb.at<cv::Vec3b>(rgb.rows - 1, x));
  }
  for (int y = 1; y + 1 < rgb.rows; ++y) {
    border.push_back(rgb.at<cv::Vec3b>(y, 0));
    border.push_back(rgb.at<cv::Vec3b>(y, rgb.cols - 1));
  }
  cv::Vec3b median;
  for (int c = 0; c < 3; ++c) {
    std::vector<std::uint8_t> values;
    values.reserve(border.size());
    for (const auto& p : border) values.push_back(p[c]);
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2), values.end());
    median[c] = values[values.size() / 2];
  }
  const auto near = std::count_if(border.begin(), border.end(), [&](const cv::Vec3b& p) {
    return std::max({std::abs(p[0] - median[0]), std::abs(p[1] - median[1]), std::abs(p[2] - median[2])}) <= 40;
  });
  if (static_cast<double>(near) < 0.9 * static_cast<double>(border.size())) {
    return {cv::Mat(rgb.size(), CV_8UC1, cv::Scalar(255)), "opaque (busy border kept)"};
  }
  cv::Mat alpha;
  colour_distance(rgb, median).convertTo(alpha, CV_8U, 255.0 / 32.0, -16.0 * 255.0 / 32.0);
  return {alpha, fmt::format("border colour #{:02x}{:02x}{:02x} keyed out", median[0], median[1], median[2])};
}

// Decodes a raster file to RGBA, keeping its alpha channel when it has one.
Result<std::pair<cv::Mat, std::string>> decode_raster(std::span<const std::uint8_t> bytes, const std::string& path) {
  auto info = imageio::probe_image_bytes(bytes, path);
  if (!info) return info.error();
  const bool alpha_format = info->format == imageio::ImageFormat::kPng || info->format == imageio::ImageFormat::kWebp ||
                            info->format == imageio::ImageFormat::kTiff;
  if (info->channels == 4 && alpha_format) {
    if (info->pixel_count() > imageio::kDefaultMaxPixels) {
      return Error{ErrorCode::kTooLarge, fmt::format("{}: {}×{} pixels is too large", path, info->width(), info->height())};
    }
    const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<std::uint8_t*>(bytes.data()));
    cv::Mat decoded;
    try {
      decoded = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
    } catch (const cv::Exception& e) {
      return Error{ErrorCode::kCorrupt, fmt::format("{}: cannot decode: {}", path, e.what())};
    }
    if (decoded.empty() || decoded.channels() != 4) {
      return Error{ErrorCode::kCorrupt, fmt::format("{}: cannot decode the image with its alpha channel", path)};
    }
    if (decoded.depth() == CV_16U) decoded.convertTo(decoded, CV_8U, 1.0 / 257.0);
    cv::Mat rgba;
    cv::cvtColor(decoded, rgba, cv::COLOR_BGRA2RGBA);
    return std::pair{rgba, std::string(imageio::image_format_name(info->format)) + " alpha"};
  }
  auto decoded = imageio::decode_image_bytes(bytes, path);
  if (!decoded) return decoded.error();
  auto [alpha, how] = key_out_border(decoded->rgb);
  cv::Mat rgba;
  cv::merge(std::vector<cv::Mat>{decoded->rgb, alpha}, rgba);  // R, G, B, A
  return std::pair{rgba, std::string(imageio::image_format_name(info->format)) + ", " + how};
}

// The most common visible colour (bins of 32 levels, then the mean inside the bin) and whether
// the visible pixels are essentially that one colour.
std::pair<cv::Vec3b, bool> dominant_colour(const cv::Mat& rgba) {
  std::array<int, 512> counts{};
  std::array<cv::Vec3d, 512> sums{};
  int visible = 0;
  for (int y = 0; y < rgba.rows; ++y) {
    for (int x = 0; x < rgba.cols; ++x) {
      const auto& p = rgba.at<cv::Vec4b>(y, x);
      if (p[3] < 128) continue;
      const int bin = (p[0] >> 5) * 64 + (p[1] >> 5) * 8 + (p[2] >> 5);
      ++counts[static_cast<std::size_t>(bin)];
      sums[static_cast<std::size_t>(bin)] += cv::Vec3d(p[0], p[1], p[2]);
      ++visible;
    }
  }
  const auto best = static_cast<std::size_t>(std::max_element(counts.begin(), counts.end()) - counts.begin());
  if (visible == 0 || counts[best] == 0) return {cv::Vec3b(0, 0, 0), true};
  const cv::Vec3d mean = sums[best] / counts[best];
  const cv::Vec3b colour(cv::saturate_cast<std::uint8_t>(mean[0]), cv::saturate_cast<std::uint8_t>(mean[1]),
                         cv::saturate_cast<std::uint8_t>(mean[2]));
  // Single-coloured: at least 95 % of the visible pixels within 48 of the main colour.
  int close = 0;
  for (int y = 0; y < rgba.rows; ++y) {
    for (int x = 0; x < rgba.cols; ++x) {
      const auto& p = rgba.at<cv::Vec4b>(y, x);
      if (p[3] < 128) continue;
      if (std::max({std::abs(p[0] - colour[0]), std::abs(p[1] - colour[1]), std::abs(p[2] - colour[2])}) <= 48) ++close;
    }
  }
  return {colour, close >= 0.95 * visible};
}

}  // namespace

Result<ReferenceSpec> parse_reference_spec(const std::string& text) {
  ReferenceSpec spec;
  const auto equals = text.find('=');
  // A path may itself hold "=": only text before the first "=" with no "/" in it is a label.
  const bool labelled = equals != std::string::npos && text.substr(0, equals).find('/') == std::string::npos;
  if (labelled) {
    spec.label = text.substr(0, equals);
    spec.path = text.substr(equals + 1);
  } else {
    spec.path = text;
    spec.label = fs::path(text).stem().string();
  }
  if (spec.path.empty()) {
    return Error{ErrorCode::kInvalidArgument, fmt::format("--reference {}: no file given (LABEL=FILE or FILE)", text)};
  }
  if (spec.label.empty()) {
    return Error{ErrorCode::kInvalidArgument, fmt::format("--reference {}: empty label (LABEL=FILE or FILE)", text)};
  }
  return spec;
}

cv::Mat ReferenceMark::resized(int long_side) const {
  LOGOSCOPE_CHECK(long_side >= 1 && !rgba.empty());
  const double scale = static_cast<double>(long_side) / std::max(rgba.cols, rgba.rows);
  const cv::Size size(std::max(1, static_cast<int>(std::lround(rgba.cols * scale))),
                      std::max(1, static_cast<int>(std::lround(rgba.rows * scale))));
  if (size == rgba.size()) return rgba.clone();
  // Resample premultiplied colour, so transparent pixels do not bleed their colour into edges.
  cv::Mat premultiplied;
  cv::cvtColor(rgba, premultiplied, cv::COLOR_RGBA2mRGBA);
  cv::Mat out;
  cv::resize(premultiplied, out, size, 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  cv::cvtColor(out, out, cv::COLOR_mRGBA2RGBA);
  return out;
}

Result<ReferenceMark> load_reference_mark(const ReferenceSpec& spec) {
  auto bytes = imageio::read_file_bytes(spec.path);
  if (!bytes) return bytes.error();
  if (bytes->empty()) {
    return Error{ErrorCode::kInvalidValue, fmt::format("{}: empty file: a reference must be an SVG or an image", spec.path)};
  }
  ReferenceMark mark;
  mark.spec = spec;
  mark.fingerprint = fnv1a64(*bytes);
  if (looks_like_svg(*bytes)) {
    auto rendered = rasterize_svg_rgba(*bytes, kReferenceRenderSide, spec.path);
    if (!rendered) return rendered.error();
    mark.rgba = std::move(*rendered);
    mark.how = "svg";
  } else {
    auto decoded = decode_raster(*bytes, spec.path);
    if (!decoded) {
      Error error = decoded.error();
      if (error.code == ErrorCode::kUnsupportedFormat) error.message += " (a reference must be an SVG or an image)";
      return error;
    }
    mark.rgba = std::move(decoded->first);
    mark.how = std::move(decoded->second);
  }
  cv::Mat alpha;
  cv::extractChannel(mark.rgba, alpha, 3);
  const cv::Rect extent = cv::boundingRect(alpha > kVisibleAlpha);
  if (extent.area() == 0) {
    return Error{ErrorCode::kInvalidValue,
                 fmt::format("{}: nothing visible: the image is fully transparent (or only its background colour)",
                             spec.path)};
  }
  if (std::max(extent.width, extent.height) < kMinReferenceSide) {
    return Error{ErrorCode::kInvalidValue,
                 fmt::format("{}: too small: the logo is {}×{} px; give at least {} px on its longer side (an SVG "
                             "or a larger PNG)",
                             spec.path, extent.width, extent.height, kMinReferenceSide)};
  }
  mark.rgba = mark.rgba(extent).clone();
  std::tie(mark.main_colour, mark.single_colour) = dominant_colour(mark.rgba);
  return mark;
}

}  // namespace logoscope::marks
