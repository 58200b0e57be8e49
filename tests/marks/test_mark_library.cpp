// Brand marks: the exclusion rule, SVG rasterisation, the library (icons and wordmarks).
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "imageio/image_io.hpp"
#include "marks/exclusion.hpp"
#include "marks/mark_library.hpp"
#include "marks/marks_test_support.hpp"
#include "marks/svg_raster.hpp"
#include "marks/text_raster.hpp"
#include "support/temp_dir.hpp"

namespace logoscope::marks {
namespace {

using logoscope::testing::TempDir;

bool excluded_by_flickrlogos(const std::string& name) {
  const std::vector<std::string> names = {name};
  return flickrlogos27_exclusions().match(names).has_value();
}

TEST(MarkNames, NormalisesCaseAccentsAndPunctuation) {
  EXPECT_EQ(normalize_mark_name("Citroën"), "citroen");
  EXPECT_EQ(normalize_mark_name("McDonald's"), "mcdonalds");
  EXPECT_EQ(normalize_mark_name("Coca-Cola"), "cocacola");
  EXPECT_EQ(normalize_mark_name("Yahoo!"), "yahoo");
  EXPECT_EQ(normalize_mark_name("  Red Bull "), "redbull");
  EXPECT_EQ(normalize_mark_name("Škoda Æ 3×4"), "kodaae34");
  EXPECT_EQ(normalize_mark_name("日本"), "");
}

TEST(FlickrLogos27, ListsTheTwentySevenBrands) {
  std::set<std::string> brands;
  for (const auto& term : flickrlogos27_exclusions().terms()) brands.insert(term.brand);
  const std::set<std::string> expected = {
      "adidas",  "apple", "bmw",      "citroen", "cocacola",  "dhl",    "fedex",  "ferrari",  "ford",
      "google",  "hp",    "heineken", "intel",   "mcdonalds", "mini",   "nbc",    "nike",     "pepsi",
      "porsche", "puma",  "redbull",  "sprite",  "starbucks", "texaco", "unicef", "vodafone", "yahoo"};
  EXPECT_EQ(brands, expected);
}

TEST(FlickrLogos27, ExcludesBrandsAndTheirVariants) {
  for (const char* name :
       {"redbull", "Red Bull Racing", "cocacola", "Coca-Cola", "McDonald's", "mcdonalds", "nike", "adidas",
        "Google Chrome", "googlechrome", "Citroën", "Yahoo!", "Hewlett Packard Enterprise",
        "Scuderia Ferrari", "MINI", "Apple Pay", "PepsiCo"}) {
    EXPECT_TRUE(excluded_by_flickrlogos(name)) << name;
  }
  for (const char* name : {"github", "Spotify", "Mozilla Firefox", "Coca Leaf", "Red Hat", "Linux"}) {
    EXPECT_FALSE(excluded_by_flickrlogos(name)) << name;
  }
}

TEST(ExclusionList, ParsesBrandsTermsAndComments) {
  auto list = parse_exclusion_list("# comment\nAcme: acmecorp  ACME-Labs\n\n  Bolt # trailing\n", "test.txt");
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->terms().size(), 4U);
  EXPECT_EQ(list->terms()[1].brand, "acme");
  EXPECT_EQ(list->terms()[2].term, "acmelabs");
  EXPECT_EQ(list->terms()[3].term, "bolt");
  const std::vector<std::string> names = {"Thunderbolt"};
  ASSERT_TRUE(list->match(names).has_value());
  EXPECT_EQ(list->match(names)->brand, "bolt");
}

TEST(ExclusionList, RefusesTermsWithoutLettersOrDigits) {
  auto bad = parse_exclusion_list("acme\n!!!\n", "list.txt");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kParse);
  EXPECT_NE(bad.error().message.find("list.txt:2"), std::string::npos) << bad.error().message;
  auto bad_term = parse_exclusion_list("acme: ok ---\n", "list.txt");
  ASSERT_FALSE(bad_term);
  EXPECT_NE(bad_term.error().message.find("\"---\""), std::string::npos) << bad_term.error().message;
}

// tests/marks/data/frame.svg: a 16×12 frame (4..20 × 6..18 in a 24×24 view box) around an 8×4 hole.
TEST(SvgRaster, RasterisesTheCommittedFrameExactly) {
  auto bytes = imageio::read_file_bytes(std::string(LOGOSCOPE_SOURCE_DIR) + "/tests/marks/data/frame.svg");
  ASSERT_TRUE(bytes) << bytes.error().message;
  auto mask = rasterize_svg_mask(*bytes, 64, "frame.svg");
  ASSERT_TRUE(mask) << mask.error().message;
  ASSERT_EQ(mask->type(), CV_8UC1);
  EXPECT_EQ(mask->cols, 64);  // the ink's longer side; the view box's padding is cropped
  EXPECT_EQ(mask->rows, 48);
  EXPECT_EQ(mask->at<uchar>(2, 2), 255);   // frame
  EXPECT_EQ(mask->at<uchar>(24, 8), 255);  // frame, left bar
  EXPECT_EQ(mask->at<uchar>(24, 32), 0);   // hole (16..48 × 16..32)
  EXPECT_EQ(mask->at<uchar>(17, 17), 0);
  EXPECT_EQ(mask->at<uchar>(47, 63), 255);
  EXPECT_EQ(cv::countNonZero(*mask), 64 * 48 - 32 * 16);

  auto small = rasterize_svg_mask(*bytes, 10, "frame.svg");
  ASSERT_TRUE(small);
  EXPECT_EQ(std::max(small->cols, small->rows), 10);
}

TEST(SvgRaster, ReportsDocumentsItCannotUse) {
  const std::string garbage = "this is not <svg";
  auto bad = rasterize_svg_mask(
      std::span(reinterpret_cast<const std::uint8_t*>(garbage.data()), garbage.size()), 32, "bad.svg");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(bad.error().message.find("bad.svg"), std::string::npos);
  const std::string empty = R"(<svg viewBox="0 0 24 24" xmlns="http://www.w3.org/2000/svg"></svg>)";
  auto nothing = rasterize_svg_mask(
      std::span(reinterpret_cast<const std::uint8_t*>(empty.data()), empty.size()), 32, "empty.svg");
  ASSERT_FALSE(nothing);
  EXPECT_EQ(nothing.error().code, ErrorCode::kInvalidValue);
}

TEST(TextRaster, RendersTrueTypeAndHersheyText) {
  const cv::Mat hershey = render_hershey_text_mask(cv::FONT_HERSHEY_DUPLEX, "Zentrix", 1.5, 2);
  ASSERT_FALSE(hershey.empty());
  EXPECT_GT(hershey.cols, 3 * hershey.rows);
  const auto fonts =
      find_font_files({"/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation"});
  if (fonts.empty())
    GTEST_SKIP() << "no DejaVu or Liberation fonts installed (fonts-dejavu-core, fonts-liberation)";
  auto text = render_font_text_mask(fonts.front(), "Zentrix", 40, 0.0);
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_GT(text->cols, 2 * text->rows);
  EXPECT_GT(text->rows, 20);  // cap height of a 40 px font
  auto tracked = render_font_text_mask(fonts.front(), "Zentrix", 40, 0.2);
  ASSERT_TRUE(tracked);
  EXPECT_GT(tracked->cols, text->cols + 40);  // 6 gaps × 0.2 em × 40 px
  auto missing = render_font_text_mask("/nonexistent/font.ttf", "x", 20, 0);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

MarkLibraryOptions icon_options(const std::string& icons_dir) {
  MarkLibraryOptions options;
  options.icons_dir = icons_dir;
  options.wordmarks = 0;
  return options;
}

TEST(MarkLibrary, LoadsIconsWithTitlesAndColours) {
  TempDir dir;
  const std::string icons = logoscope::testing::write_test_icon_set(dir.path());
  auto library = MarkLibrary::load(icon_options(icons));
  ASSERT_TRUE(library) << library.error().message;
  // Everything but the CC-BY-NC icon.
  EXPECT_EQ(library->icon_count(), static_cast<int>(logoscope::testing::test_icon_slugs().size()) - 1);
  EXPECT_EQ(library->wordmark_count(), 0);
  ASSERT_EQ(library->excluded().size(), 1U);
  EXPECT_EQ(library->excluded()[0].slug, "copyleftco");
  EXPECT_EQ(library->excluded()[0].reason, "licence CC-BY-NC-4.0");
  const auto star = library->find("brightstar");
  ASSERT_TRUE(star.has_value());
  const MarkInfo& info = library->info(*star);
  EXPECT_EQ(info.name, "Bright Star");
  EXPECT_EQ(info.kind, MarkKind::kIcon);
  ASSERT_TRUE(info.brand_rgb.has_value());
  EXPECT_EQ(*info.brand_rgb, cv::Vec3b(0x1F, 0x6F, 0xEB));
  for (int id = 0; id < library->size(); ++id) EXPECT_EQ(library->info(id).id, id);
  EXPECT_TRUE(std::is_sorted(library->marks().begin(), library->marks().end(),
                             [](const MarkInfo& a, const MarkInfo& b) { return a.slug < b.slug; }));
}

TEST(MarkLibrary, MasksHaveTheRequestedLongSideAtEverySize) {
  TempDir dir;
  auto library = MarkLibrary::load(icon_options(logoscope::testing::write_test_icon_set(dir.path())));
  ASSERT_TRUE(library);
  for (int id = 0; id < library->size(); ++id) {
    for (const int side : {1, 7, 10, 33, 64, 181, 300, 1500}) {
      const cv::Mat mask = library->mask(id, side);
      ASSERT_FALSE(mask.empty()) << library->info(id).slug << " at " << side;
      EXPECT_EQ(std::max(mask.cols, mask.rows), side) << library->info(id).slug;
      EXPECT_EQ(mask.type(), CV_8UC1);
    }
  }
  // Cached or not, the same pixels.
  const cv::Mat first = library->mask(0, 50);
  const cv::Mat again = library->mask(0, 50);
  EXPECT_EQ(cv::norm(first, again, cv::NORM_INF), 0);
}

TEST(MarkLibrary, FlickrLogosExclusionRemovesBrandsVariantsAndAliases) {
  TempDir dir;
  MarkLibraryOptions options = icon_options(logoscope::testing::write_test_icon_set(dir.path()));
  options.exclude = flickrlogos27_exclusions();
  auto library = MarkLibrary::load(options);
  ASSERT_TRUE(library) << library.error().message;
  std::set<std::string> kept;
  for (const auto& mark : library->marks()) kept.insert(mark.slug);
  EXPECT_EQ(kept, (std::set<std::string>{"acmeblocks", "brightstar", "triangula", "wavetech"}));
  std::map<std::string, std::string> reasons;
  for (const auto& excluded : library->excluded()) reasons[excluded.slug] = excluded.reason;
  EXPECT_EQ(reasons["cocacola"], "matches \"cocacola\" (brand cocacola)");
  EXPECT_EQ(reasons["happyburger"], "matches \"mcdonalds\" (brand mcdonalds)");  // through its alias
  EXPECT_EQ(reasons["nike"], "matches \"nike\" (brand nike)");
  EXPECT_EQ(reasons["redbullracing"], "matches \"redbull\" (brand redbull)");
  EXPECT_EQ(reasons["copyleftco"], "licence CC-BY-NC-4.0");
}

TEST(MarkLibrary, WordmarksAreUniqueRenderableAndAvoidExcludedBrands) {
  MarkLibraryOptions options;
  options.wordmarks = 300;
  options.wordmark_seed = 3;
  options.exclude = flickrlogos27_exclusions();
  auto library = MarkLibrary::load(options);
  ASSERT_TRUE(library) << library.error().message;
  EXPECT_EQ(library->size(), 300);
  EXPECT_EQ(library->icon_count(), 0);
  std::set<std::string> texts;
  int hershey = 0;
  for (const auto& mark : library->marks()) {
    EXPECT_EQ(mark.kind, MarkKind::kWordmark);
    EXPECT_TRUE(texts.insert(normalize_mark_name(mark.name)).second) << mark.name;
    EXPECT_FALSE(excluded_by_flickrlogos(mark.name)) << mark.name;
    if (mark.font.rfind("hershey:", 0) == 0) ++hershey;
  }
  EXPECT_GT(hershey, 0);
  for (int id = 0; id < 40; ++id) {
    const cv::Mat mask = library->mask(id, 90);
    ASSERT_FALSE(mask.empty()) << library->info(id).name << " in " << library->info(id).font;
    EXPECT_EQ(std::max(mask.cols, mask.rows), 90);
  }
  // Same options, same words.
  auto again = MarkLibrary::load(options);
  ASSERT_TRUE(again);
  for (int id = 0; id < library->size(); ++id) EXPECT_EQ(again->info(id).name, library->info(id).name);
}

TEST(MarkLibrary, ReportsMissingFoldersAndEmptySets) {
  auto missing = MarkLibrary::load(icon_options("/nonexistent/icons"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("/nonexistent/icons"), std::string::npos);
  TempDir dir;
  auto empty = MarkLibrary::load(icon_options(dir.path()));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);
}

// With the real simple-icons package (scripts/fetch-marks.sh) named by LOGOSCOPE_SIMPLE_ICONS,
// lists what the FlickrLogos-27 rule leaves out, for a person to check; skipped otherwise.
TEST(MarkLibrary, ListsFlickrLogosExclusionsOfTheRealIconSet) {
  const char* icons = std::getenv("LOGOSCOPE_SIMPLE_ICONS");
  if (icons == nullptr) GTEST_SKIP() << "set LOGOSCOPE_SIMPLE_ICONS to simple-icons' icons/ folder";
  MarkLibraryOptions options = icon_options(icons);
  options.exclude = flickrlogos27_exclusions();
  auto library = MarkLibrary::load(options);
  ASSERT_TRUE(library) << library.error().message;
  int by_name = 0;
  for (const auto& excluded : library->excluded()) {
    if (excluded.reason.rfind("licence", 0) == 0) continue;
    ++by_name;
    std::printf("excluded %-32s %-40s %s\n", excluded.slug.c_str(), excluded.name.c_str(),
                excluded.reason.c_str());
  }
  std::printf("%d icons kept, %d excluded by name, %zu by licence\n", library->icon_count(), by_name,
              library->excluded().size() - static_cast<std::size_t>(by_name));
  for (const char* slug : {"redbull", "cocacola", "mcdonalds", "nike", "adidas", "google", "apple", "bmw"}) {
    EXPECT_FALSE(library->find(slug).has_value()) << slug;
  }
  EXPECT_GT(library->icon_count(), 2500);
}

}  // namespace
}  // namespace logoscope::marks
