// A brand's own logo files as reference marks (one-shot): SVG in colour, PNG alpha, a logo on a
// flat background keyed out, every unusable file refused with its name; scenes that place them.
#include <fstream>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "marks/mark_library.hpp"
#include "marks/mark_style.hpp"
#include "marks/reference_marks.hpp"
#include "marks/scene_stream.hpp"
#include "support/temp_dir.hpp"

namespace logoscope::marks {
namespace {

using logoscope::testing::TempDir;

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// A red disc beside a blue square: two colours, 100 × 50 user units.
constexpr const char* kTwoColourSvg =
    R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50">)"
    R"(<circle cx="25" cy="25" r="25" fill="#ff0000"/><rect x="60" y="5" width="40" height="40" fill="#0000ff"/></svg>)";
// simple-icons style: one path, no fill attribute (black).
constexpr const char* kSilhouetteSvg =
    R"(<svg role="img" viewBox="0 0 24 24" xmlns="http://www.w3.org/2000/svg"><path d="M2 2h20v10H2z"/></svg>)";

TEST(ReferenceSpec, ParsesLabelEqualsFileAndFileAlone) {
  auto labelled = parse_reference_spec("RedBull=logos/red bull.svg");
  ASSERT_TRUE(labelled) << labelled.error().message;
  EXPECT_EQ(labelled->label, "RedBull");
  EXPECT_EQ(labelled->path, "logos/red bull.svg");
  auto bare = parse_reference_spec("logos/monster-white.png");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->label, "monster-white");
  auto equals_in_name = parse_reference_spec("logos/a=b.png");
  ASSERT_TRUE(equals_in_name);
  EXPECT_EQ(equals_in_name->label, "a=b") << "text with a '/' before the '=' is a path, not a label";
  EXPECT_EQ(equals_in_name->path, "logos/a=b.png");
  EXPECT_FALSE(parse_reference_spec("Label="));
  EXPECT_FALSE(parse_reference_spec("=file.png"));
}

TEST(ReferenceMark, SvgIsRenderedInItsOwnColoursAtHighResolution) {
  TempDir dir;
  write_text(dir.file("two.svg"), kTwoColourSvg);
  auto mark = load_reference_mark({"Two", dir.file("two.svg")});
  ASSERT_TRUE(mark) << mark.error().message;
  EXPECT_EQ(mark->how, "svg");
  EXPECT_EQ(mark->rgba.type(), CV_8UC4);
  EXPECT_NEAR(std::max(mark->rgba.cols, mark->rgba.rows), kReferenceRenderSide, 3);
  EXPECT_NEAR(static_cast<double>(mark->rgba.cols) / mark->rgba.rows, 2.0, 0.03);
  EXPECT_FALSE(mark->single_colour);
  // The disc's centre is red and opaque, the square's is blue; between them is transparent.
  const int h = mark->rgba.rows;
  const auto disc = mark->rgba.at<cv::Vec4b>(h / 2, h / 2);
  const auto square = mark->rgba.at<cv::Vec4b>(h / 2, mark->rgba.cols - h / 2);
  const auto gap = mark->rgba.at<cv::Vec4b>(h / 2, static_cast<int>(mark->rgba.cols * 0.55));
  EXPECT_EQ(disc, cv::Vec4b(255, 0, 0, 255));
  EXPECT_EQ(square, cv::Vec4b(0, 0, 255, 255));
  EXPECT_EQ(gap[3], 0);

  write_text(dir.file("silhouette.svg"), kSilhouetteSvg);
  auto silhouette = load_reference_mark({"S", dir.file("silhouette.svg")});
  ASSERT_TRUE(silhouette) << silhouette.error().message;
  EXPECT_TRUE(silhouette->single_colour);
  EXPECT_EQ(silhouette->main_colour, cv::Vec3b(0, 0, 0));
  const cv::Mat small = silhouette->resized(40);
  EXPECT_EQ(std::max(small.cols, small.rows), 40);
  EXPECT_EQ(small.type(), CV_8UC4);
}

TEST(ReferenceMark, PngAlphaIsKeptAndCroppedToWhatIsVisible) {
  TempDir dir;
  cv::Mat bgra(200, 300, CV_8UC4, cv::Scalar(0, 0, 0, 0));
  cv::rectangle(bgra, {50, 40}, {149, 99}, cv::Scalar(0, 200, 0, 255), cv::FILLED);  // green, 100 × 60
  ASSERT_TRUE(cv::imwrite(dir.file("logo.png"), bgra));
  auto mark = load_reference_mark({"L", dir.file("logo.png")});
  ASSERT_TRUE(mark) << mark.error().message;
  EXPECT_EQ(mark->how, "png alpha");
  EXPECT_EQ(mark->rgba.size(), cv::Size(100, 60));
  EXPECT_EQ(mark->rgba.at<cv::Vec4b>(30, 50), cv::Vec4b(0, 200, 0, 255));
  EXPECT_TRUE(mark->single_colour);
}

TEST(ReferenceMark, FlatBackgroundIsKeyedOutAndABusyOneKept) {
  TempDir dir;
  cv::Mat bgr(120, 160, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::circle(bgr, {80, 60}, 30, cv::Scalar(0, 0, 220), cv::FILLED);
  ASSERT_TRUE(cv::imwrite(dir.file("on-white.png"), bgr));
  auto keyed = load_reference_mark({"K", dir.file("on-white.png")});
  ASSERT_TRUE(keyed) << keyed.error().message;
  EXPECT_NE(keyed->how.find("keyed out"), std::string::npos) << keyed->how;
  EXPECT_NEAR(keyed->rgba.cols, 61, 3);
  EXPECT_NEAR(keyed->rgba.rows, 61, 3);
  EXPECT_EQ(keyed->rgba.at<cv::Vec4b>(0, 0)[3], 0) << "the white corner of the disc's box is transparent";

  cv::Mat noise(120, 160, CV_8UC3);
  cv::randu(noise, cv::Scalar::all(0), cv::Scalar::all(255));
  ASSERT_TRUE(cv::imwrite(dir.file("sticker.jpg"), noise));
  auto opaque = load_reference_mark({"O", dir.file("sticker.jpg")});
  ASSERT_TRUE(opaque) << opaque.error().message;
  EXPECT_EQ(opaque->rgba.size(), cv::Size(160, 120));
  EXPECT_NE(opaque->how.find("busy border"), std::string::npos) << opaque->how;
}

TEST(ReferenceMark, UnusableFilesAreRefusedNamingTheFileAndTheReason) {
  TempDir dir;
  write_text(dir.file("empty.svg"), "");
  cv::Mat clear(64, 64, CV_8UC4, cv::Scalar(10, 20, 30, 0));
  ASSERT_TRUE(cv::imwrite(dir.file("clear.png"), clear));
  cv::Mat tiny(64, 64, CV_8UC4, cv::Scalar(0, 0, 0, 0));
  cv::rectangle(tiny, {10, 10}, {19, 15}, cv::Scalar(0, 0, 255, 255), cv::FILLED);
  ASSERT_TRUE(cv::imwrite(dir.file("tiny.png"), tiny));
  write_text(dir.file("notes.png"), "this is a note, not a picture\n");
  write_text(dir.file("broken.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"><path d=");
  write_text(dir.file("blank.svg"), R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"></svg>)");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty.svg", "empty file"},      {"clear.png", "fully transparent"}, {"tiny.png", "too small"},
      {"notes.png", "SVG or an image"}, {"broken.svg", "SVG"},              {"blank.svg", "draws nothing"},
      {"missing.png", "missing.png"}};
  for (const auto& [file, reason] : cases) {
    auto mark = load_reference_mark({"X", dir.file(file)});
    ASSERT_FALSE(mark) << file << " was accepted";
    EXPECT_NE(mark.error().message.find(dir.file(file)), std::string::npos) << mark.error().message;
    EXPECT_NE(mark.error().message.find(reason), std::string::npos) << file << ": " << mark.error().message;
  }
}

TEST(ReferenceScenes, ReferenceMarksGetIdsAfterTheLibraryAndAreDeterministic) {
  TempDir dir;
  write_text(dir.file("two.svg"), kTwoColourSvg);
  auto reference = load_reference_mark({"Two", dir.file("two.svg")});
  ASSERT_TRUE(reference);
  MarkLibraryOptions library_options;
  library_options.wordmarks = 20;
  auto library = MarkLibrary::load(library_options);
  ASSERT_TRUE(library) << library.error().message;
  SceneOptions options;
  options.width = options.height = 160;
  options.min_marks = 2;
  options.max_marks = 4;
  options.empty_prob = 0;
  auto stream = SceneStream::create(*library, options, {*reference});
  ASSERT_TRUE(stream) << stream.error().message;
  EXPECT_EQ(stream->reference_count(), 1);
  EXPECT_EQ(stream->mark_slug(library->size()), "Two");
  int references = 0;
  int words = 0;
  for (std::uint64_t i = 0; i < 40; ++i) {
    const SceneSample scene = stream->next(i);
    const SceneSample again = stream->next(i);
    ASSERT_EQ(cv::norm(scene.rgb, again.rgb, cv::NORM_INF), 0) << "scene " << i;
    ASSERT_EQ(scene.boxes.size(), again.boxes.size());
    for (const auto& box : scene.boxes) {
      ASSERT_LE(box.label, library->size());
      (box.label == library->size() ? references : words) += 1;
      EXPECT_GE(box.x0, 0);
      EXPECT_LE(box.x1, 160);
    }
  }
  EXPECT_GT(references, words) << "about 70 % of marks are the reference";
  EXPECT_GT(words, 0);
  // A bad reference is refused by create, not at the first scene.
  ReferenceMark empty;
  EXPECT_FALSE(SceneStream::create(*library, options, {empty}));
}

TEST(ReferenceScenes, ABadgeBehindAReferenceIsNotPartOfItsBox) {
  cv::Mat mask(40, 40, CV_8UC1, cv::Scalar(0));
  cv::rectangle(mask, {10, 10}, {29, 29}, cv::Scalar(255), cv::FILLED);
  AppearanceOptions badge;
  badge.emblem_prob = 1;
  badge.knockout_prob = 0;
  badge.outline_prob = 0;
  badge.shadow_prob = 0;
  badge.distress_prob = 0;
  badge.translucent_prob = 0;
  Rng any_logo_rng(3);
  const Layer any_logo = style_mark(any_logo_rng, mask, std::nullopt, badge);
  Rng reference_rng(3);
  const Layer reference = style_mark(reference_rng, mask, std::nullopt, badge, /*container_in_box=*/false);
  const cv::Rect painted = extent_at_least(reference.alpha, 0.25F);
  EXPECT_EQ(painted, extent_at_least(any_logo.alpha, 0.25F)) << "the same badge is painted";
  EXPECT_EQ(extent_at_least(any_logo.object, 0.25F), painted) << "a generic logo's box covers its container";
  const cv::Rect boxed = extent_at_least(reference.object, 0.25F);
  EXPECT_NEAR(boxed.width, 20, 1) << "a reference's box covers the mark only";
  EXPECT_NEAR(boxed.height, 20, 1);
  EXPECT_LT(boxed.area(), painted.area() / 2);
}

}  // namespace
}  // namespace logoscope::marks
