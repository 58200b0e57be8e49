#include "marks/svg_raster.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

#include <cairo.h>
#include <fmt/format.h>
#include <librsvg/rsvg.h>
#include <opencv2/imgproc.hpp>

namespace logoscope::marks {

namespace {

struct HandleDeleter {
  void operator()(RsvgHandle* handle) const { g_object_unref(handle); }
};
struct SurfaceDeleter {
  void operator()(cairo_surface_t* surface) const { cairo_surface_destroy(surface); }
};
struct ContextDeleter {
  void operator()(cairo_t* context) const { cairo_destroy(context); }
};

// Takes ownership of a GError and returns its message.
std::string take_message(GError* error) {
  if (error == nullptr) return "unknown librsvg error";
  std::string message = error->message != nullptr ? error->message : "unknown librsvg error";
  g_error_free(error);
  return message;
}

// The document's own size in user units: width/height when given, else the viewBox.
std::pair<double, double> document_size(RsvgHandle* handle) {
  gboolean has_width = FALSE;
  gboolean has_height = FALSE;
  gboolean has_viewbox = FALSE;
  RsvgLength width{};
  RsvgLength height{};
  RsvgRectangle viewbox{};
  rsvg_handle_get_intrinsic_dimensions(handle, &has_width, &width, &has_height, &height, &has_viewbox,
                                       &viewbox);
  if (has_viewbox && viewbox.width > 0 && viewbox.height > 0) return {viewbox.width, viewbox.height};
  gdouble pixel_width = 0;
  gdouble pixel_height = 0;
  if (rsvg_handle_get_intrinsic_size_in_pixels(handle, &pixel_width, &pixel_height) && pixel_width > 0 &&
      pixel_height > 0) {
    return {pixel_width, pixel_height};
  }
  return {100.0, 100.0};
}

// Renders the document so that its ink extent has `long_side` px on the longer side, with a
// 1 px border, into a cairo surface of `format`.
Result<std::unique_ptr<cairo_surface_t, SurfaceDeleter>> render_svg(std::span<const std::uint8_t> svg,
                                                                      int long_side, const std::string& name,
                                                                      cairo_format_t format) {
  LOGOSCOPE_CHECK(long_side >= 1);
  GError* error = nullptr;
  std::unique_ptr<RsvgHandle, HandleDeleter> handle(
      rsvg_handle_new_from_data(svg.data(), svg.size(), &error));
  if (!handle) {
    return Error{ErrorCode::kCorrupt, fmt::format("{}: cannot parse the SVG: {}", name, take_message(error))};
  }
  const auto [doc_width, doc_height] = document_size(handle.get());
  const RsvgRectangle reference{0, 0, doc_width, doc_height};
  RsvgRectangle ink{};
  RsvgRectangle logical{};
  if (!rsvg_handle_get_geometry_for_layer(handle.get(), nullptr, &reference, &ink, &logical, &error)) {
    return Error{ErrorCode::kCorrupt,
                 fmt::format("{}: cannot measure the SVG: {}", name, take_message(error))};
  }
  if (!(ink.width > 0 && ink.height > 0)) {
    return Error{ErrorCode::kInvalidValue, fmt::format("{}: the SVG draws nothing", name)};
  }
  // Scale the ink extent to long_side pixels, with a 1 px border for antialiasing.
  const double scale = long_side / std::max(ink.width, ink.height);
  constexpr int kBorder = 1;
  const int width = static_cast<int>(std::ceil(ink.width * scale)) + 2 * kBorder;
  const int height = static_cast<int>(std::ceil(ink.height * scale)) + 2 * kBorder;
  std::unique_ptr<cairo_surface_t, SurfaceDeleter> surface(cairo_image_surface_create(format, width, height));
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    return Error{ErrorCode::kCorrupt, fmt::format("{}: cannot create a {}x{} surface", name, width, height)};
  }
  {
    std::unique_ptr<cairo_t, ContextDeleter> context(cairo_create(surface.get()));
    const RsvgRectangle viewport{kBorder - ink.x * scale, kBorder - ink.y * scale, doc_width * scale,
                                 doc_height * scale};
    if (!rsvg_handle_render_document(handle.get(), context.get(), &viewport, &error)) {
      return Error{ErrorCode::kCorrupt,
                   fmt::format("{}: cannot render the SVG: {}", name, take_message(error))};
    }
  }
  cairo_surface_flush(surface.get());
  return surface;
}

}  // namespace

Result<cv::Mat> rasterize_svg_mask(std::span<const std::uint8_t> svg, int long_side,
                                   const std::string& name) {
  auto surface = render_svg(svg, long_side, name, CAIRO_FORMAT_A8);
  if (!surface) return surface.error();
  cairo_surface_t* s = surface->get();
  const cv::Mat view(cairo_image_surface_get_height(s), cairo_image_surface_get_width(s), CV_8UC1,
                     cairo_image_surface_get_data(s), static_cast<std::size_t>(cairo_image_surface_get_stride(s)));
  const cv::Rect extent = cv::boundingRect(view);
  if (extent.area() == 0) {
    return Error{ErrorCode::kInvalidValue, fmt::format("{}: the SVG draws nothing", name)};
  }
  return view(extent).clone();
}

Result<cv::Mat> rasterize_svg_rgba(std::span<const std::uint8_t> svg, int long_side, const std::string& name) {
  auto surface = render_svg(svg, long_side, name, CAIRO_FORMAT_ARGB32);
  if (!surface) return surface.error();
  cairo_surface_t* s = surface->get();
  // CAIRO_FORMAT_ARGB32 is premultiplied, native-endian 32-bit: B, G, R, A bytes on x86-64.
  const cv::Mat bgra(cairo_image_surface_get_height(s), cairo_image_surface_get_width(s), CV_8UC4,
                     cairo_image_surface_get_data(s), static_cast<std::size_t>(cairo_image_surface_get_stride(s)));
  cv::Mat alpha;
  cv::extractChannel(bgra, alpha, 3);
  const cv::Rect extent = cv::boundingRect(alpha);
  if (extent.area() == 0) {
    return Error{ErrorCode::kInvalidValue, fmt::format("{}: the SVG draws nothing", name)};
  }
  cv::Mat straight;
  cv::cvtColor(bgra(extent), straight, cv::COLOR_mRGBA2RGBA);  // un-premultiply (alpha last, any order)
  cv::Mat rgba;
  cv::cvtColor(straight, rgba, cv::COLOR_BGRA2RGBA);
  return rgba;
}

}  // namespace logoscope::marks
