#include "marks/text_raster.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>

#include <cairo-ft.h>
#include <cairo.h>
#include <fmt/format.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include <opencv2/imgproc.hpp>

namespace fs = std::filesystem;

namespace logoscope::marks {

namespace {

// One FreeType library and one cairo face per font file for the whole process, never freed:
// cairo keeps faces alive in its own caches beyond any owner we could give them.
struct FontRegistry {
  std::mutex mutex;
  FT_Library library = nullptr;
  std::map<std::string, cairo_font_face_t*> faces;
};

FontRegistry& registry() {
  static FontRegistry* instance = new FontRegistry();  // never destroyed (see above)
  return *instance;
}

const cairo_user_data_key_t kFaceKey{};

// Requires registry().mutex held.
Result<cairo_font_face_t*> face_for(FontRegistry& fonts, const std::string& font_file) {
  if (auto found = fonts.faces.find(font_file); found != fonts.faces.end()) return found->second;
  if (fonts.library == nullptr && FT_Init_FreeType(&fonts.library) != 0) {
    return Error{ErrorCode::kIo, "cannot initialise FreeType"};
  }
  std::error_code ec;
  if (!fs::is_regular_file(font_file, ec)) {
    return Error{ErrorCode::kNotFound, fmt::format("{}: no such font file", font_file)};
  }
  FT_Face ft_face = nullptr;
  if (FT_New_Face(fonts.library, font_file.c_str(), 0, &ft_face) != 0) {
    return Error{ErrorCode::kUnsupportedFormat, fmt::format("{}: FreeType cannot open this font", font_file)};
  }
  cairo_font_face_t* face = cairo_ft_font_face_create_for_ft_face(ft_face, 0);
  if (cairo_font_face_set_user_data(face, &kFaceKey, ft_face, [](void* data) {
        FT_Done_Face(static_cast<FT_Face>(data));
      }) != CAIRO_STATUS_SUCCESS) {
    cairo_font_face_destroy(face);
    FT_Done_Face(ft_face);
    return Error{ErrorCode::kIo, fmt::format("{}: cairo cannot use this font", font_file)};
  }
  fonts.faces.emplace(font_file, face);
  return face;
}

struct SurfaceDeleter {
  void operator()(cairo_surface_t* surface) const { cairo_surface_destroy(surface); }
};
struct ContextDeleter {
  void operator()(cairo_t* context) const { cairo_destroy(context); }
};
struct GlyphsDeleter {
  void operator()(cairo_glyph_t* glyphs) const { cairo_glyph_free(glyphs); }
};

cv::Mat crop_to_ink(const cv::Mat& mask) {
  const cv::Rect extent = cv::boundingRect(mask);
  if (extent.area() == 0) return {};
  return mask(extent).clone();
}

}  // namespace

std::vector<std::string> find_font_files(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  auto is_font = [](const fs::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return ext == ".ttf" || ext == ".otf";
  };
  for (const auto& path : paths) {
    std::error_code ec;
    if (fs::is_regular_file(path, ec)) {
      if (is_font(path)) files.push_back(path);
      continue;
    }
    if (!fs::is_directory(path, ec)) continue;
    for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->is_regular_file(ec) && is_font(it->path())) files.push_back(it->path().string());
    }
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

Result<cv::Mat> render_font_text_mask(const std::string& font_file, std::string_view text, double font_px,
                                      double tracking_em) {
  LOGOSCOPE_CHECK(font_px >= 1);
  FontRegistry& fonts = registry();
  const std::lock_guard lock(fonts.mutex);
  auto face = face_for(fonts, font_file);
  if (!face) return face.error();

  // Lay the glyphs out on a scratch surface, then draw them on one sized to their ink.
  std::unique_ptr<cairo_surface_t, SurfaceDeleter> scratch(cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1));
  std::unique_ptr<cairo_t, ContextDeleter> measure(cairo_create(scratch.get()));
  cairo_set_font_face(measure.get(), *face);
  cairo_set_font_size(measure.get(), font_px);
  cairo_scaled_font_t* scaled = cairo_get_scaled_font(measure.get());
  cairo_glyph_t* raw_glyphs = nullptr;
  int glyph_count = 0;
  if (cairo_scaled_font_text_to_glyphs(scaled, 0, 0, text.data(), static_cast<int>(text.size()), &raw_glyphs,
                                       &glyph_count, nullptr, nullptr, nullptr) != CAIRO_STATUS_SUCCESS) {
    return Error{ErrorCode::kInvalidValue, fmt::format("{}: cannot lay out \"{}\"", font_file, text)};
  }
  std::unique_ptr<cairo_glyph_t, GlyphsDeleter> glyphs(raw_glyphs);
  for (int i = 0; i < glyph_count; ++i) glyphs.get()[i].x += i * tracking_em * font_px;
  cairo_text_extents_t extents{};
  cairo_glyph_extents(measure.get(), glyphs.get(), glyph_count, &extents);
  if (!(extents.width > 0 && extents.height > 0)) {
    return Error{ErrorCode::kInvalidValue, fmt::format("{}: \"{}\" draws nothing", font_file, text)};
  }
  constexpr int kBorder = 2;
  const int width = static_cast<int>(std::ceil(extents.width)) + 2 * kBorder;
  const int height = static_cast<int>(std::ceil(extents.height)) + 2 * kBorder;
  std::unique_ptr<cairo_surface_t, SurfaceDeleter> surface(
      cairo_image_surface_create(CAIRO_FORMAT_A8, width, height));
  {
    std::unique_ptr<cairo_t, ContextDeleter> context(cairo_create(surface.get()));
    cairo_set_font_face(context.get(), *face);
    cairo_set_font_size(context.get(), font_px);
    cairo_translate(context.get(), kBorder - extents.x_bearing, kBorder - extents.y_bearing);
    cairo_show_glyphs(context.get(), glyphs.get(), glyph_count);
  }
  cairo_surface_flush(surface.get());
  const cv::Mat view(height, width, CV_8UC1, cairo_image_surface_get_data(surface.get()),
                     static_cast<std::size_t>(cairo_image_surface_get_stride(surface.get())));
  cv::Mat mask = crop_to_ink(view);
  if (mask.empty())
    return Error{ErrorCode::kInvalidValue, fmt::format("{}: \"{}\" draws nothing", font_file, text)};
  return mask;
}

cv::Mat render_hershey_text_mask(int font_face, std::string_view text, double scale, int thickness) {
  const std::string line(text);
  int baseline = 0;
  const cv::Size size = cv::getTextSize(line, font_face, scale, thickness, &baseline);
  const int margin = thickness + 2 + static_cast<int>(std::ceil(scale * 8));  // italics lean out
  cv::Mat canvas(size.height + baseline + 2 * margin, size.width + 2 * margin, CV_8UC1, cv::Scalar(0));
  cv::putText(canvas, line, {margin, margin + size.height}, font_face, scale, cv::Scalar(255), thickness,
              cv::LINE_AA);
  return crop_to_ink(canvas);
}

}  // namespace logoscope::marks
