// marks/mark_library.hpp — the brand marks logoscope pretrains its base detector on.
//
//   MarkLibraryOptions options;
//   options.icons_dir = "build/marks/node_modules/simple-icons/icons";  // scripts/fetch-marks.sh
//   options.exclude = flickrlogos27_exclusions();  // for FlickrLogos-27 benchmarks
//   Result<MarkLibrary> library = MarkLibrary::load(options);
//   cv::Mat mask = library->mask(id, 64);  // CV_8UC1 coverage, longer side 64 px
//
// Two kinds of marks, each with an id 0..size()-1 (icons first, sorted by slug, then wordmarks
// in generation order):
//   * icons: simple-icons' single-colour SVG brand marks, rasterised with librsvg;
//   * wordmarks: made-up brand-like words ("Zentrix", "NOVA LABS") set in TrueType fonts from
//     Debian (DejaVu, Liberation) through cairo and in OpenCV's Hershey fonts.
// Marks are masks (coverage only): colour, texture, outline and geometry come from the scene
// generator (scene_stream.hpp). docs/marks.md lists sources, licences and the exclusion rule.
//
// Ids depend on the options (the icon folder's content, licences, the exclusion list, the
// wordmark count, fonts and seed); the same options give the same ids and the same pixels.
//
// Thread safety: after load() every const member may be called concurrently; mask() renders
// lazily and keeps a bounded cache under a mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

#include "logoscope/result.hpp"
#include "marks/exclusion.hpp"

namespace logoscope::marks {

enum class MarkKind { kIcon, kWordmark };

/// What a mark is.
struct MarkInfo {
  int id = 0;
  MarkKind kind = MarkKind::kIcon;
  std::string slug;  ///< icon: simple-icons slug (the SVG's file stem); wordmark: "wordmark-0042"
  std::string name;  ///< icon: its title ("Red Bull"); wordmark: its text
  std::optional<cv::Vec3b> brand_rgb;  ///< icon: simple-icons' brand colour (RGB), when known
  std::string font;                    ///< wordmark: the font file, or "hershey:N" (cv::HersheyFonts value N)
};

/// A mark left out, and why ("matches \"redbull\" (brand redbull)", "licence CC-BY-NC-4.0").
struct ExcludedMark {
  std::string slug;
  std::string name;
  std::string reason;
};

struct MarkLibraryOptions {
  /// A folder of .svg files (simple-icons' icons/); "" for no icons.
  std::string icons_dir;
  /// simple-icons' data file (titles, brand colours, aliases, licences); "" = the package's
  /// data/simple-icons.json beside icons_dir when it is there, else slugs serve as names.
  std::string icons_data;
  /// Icons whose data entry names a licence outside this list are left out. Icons without a
  /// licence entry are under simple-icons' own CC0.
  std::vector<std::string> icon_licences = {"CC0-1.0", "Unlicense"};
  /// Made-up words to add as wordmarks (0 for none).
  int wordmarks = 1000;
  /// Fonts for wordmarks: .ttf/.otf files or folders searched recursively; missing ones are
  /// skipped. Without any font, wordmarks use only Hershey fonts.
  std::vector<std::string> font_paths = {"/usr/share/fonts/truetype/dejavu",
                                         "/usr/share/fonts/truetype/liberation"};
  /// Also set wordmarks in OpenCV's Hershey fonts (about a quarter of them when TTFs exist).
  bool hershey_wordmarks = true;
  std::uint64_t wordmark_seed = 1;
  /// Marks to leave out by name (exclusion.hpp); generated words matching it are redrawn.
  ExclusionList exclude;
  /// Bound on the rendered-mask cache.
  std::size_t cache_bytes = std::size_t{64} << 20;
};

class MarkLibrary {
 public:
  /// Reads the icon folder (all SVG bytes, ~5 MB for simple-icons) and its data file and
  /// generates the wordmarks; nothing is rasterised yet.
  /// Errors: kNotFound (icons_dir or an explicit icons_data missing), kParse (icons_data is not
  /// simple-icons JSON), kIo, kInvalidArgument (no mark at all, or wordmarks < 0).
  static Result<MarkLibrary> load(const MarkLibraryOptions& options);

  MarkLibrary(MarkLibrary&&) noexcept;
  MarkLibrary& operator=(MarkLibrary&&) noexcept;
  ~MarkLibrary();

  [[nodiscard]] int size() const;
  [[nodiscard]] int icon_count() const;
  [[nodiscard]] int wordmark_count() const;
  /// Requires 0 <= id < size().
  [[nodiscard]] const MarkInfo& info(int id) const;
  [[nodiscard]] const std::vector<MarkInfo>& marks() const;
  /// The id of the mark with this slug, if present.
  [[nodiscard]] std::optional<int> find(std::string_view slug) const;
  /// Everything left out while loading, sorted by slug.
  [[nodiscard]] const std::vector<ExcludedMark>& excluded() const;

  /// Mark `id` as a coverage mask (CV_8UC1, 255 = covered, antialiased), cropped to its ink,
  /// whose longer side is exactly `long_side` px. A pure function of (options, id, long_side):
  /// marks are rendered at the next size of a √2 ladder (16 … 1024 px), cached, and resized.
  /// Empty when the mark cannot be rasterised (logged once per mark).
  /// Requires 0 <= id < size() and long_side >= 1.
  [[nodiscard]] cv::Mat mask(int id, int long_side) const;

 private:
  struct Impl;
  explicit MarkLibrary(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace logoscope::marks
