// Decoding every supported format and layout into RGB, EXIF orientation, limits, probing,
// reading and writing files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/hash.hpp"
#include "imageio/image_io.hpp"
#include "support/temp_dir.hpp"
#include "support/test_images.hpp"

namespace logoscope::imageio {
namespace {

namespace lt = logoscope::testing;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Bytes = std::vector<std::uint8_t>;

// Decodes and checks the invariants every decoded image must satisfy.
DecodedImage decode_ok(const Bytes& bytes, const DecodeOptions& options = {}) {
  auto result = decode_image_bytes(bytes, "test-image", options);
  EXPECT_TRUE(result) << result.error().message;
  if (!result) return {};
  DecodedImage image = std::move(result).value();
  EXPECT_EQ(image.rgb.type(), CV_8UC3);
  EXPECT_TRUE(image.rgb.isContinuous());
  return image;
}

int max_difference(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return 1000;
  return static_cast<int>(cv::norm(a, b, cv::NORM_INF));
}

cv::Vec3b over_white(cv::Vec3b colour, int alpha) {
  cv::Vec3b out;
  for (int c = 0; c < 3; ++c)
    out[c] = static_cast<std::uint8_t>((colour[c] * alpha + 255 * (255 - alpha) + 127) / 255);
  return out;
}

void expect_near(cv::Vec3b got, cv::Vec3b want, int tolerance) {
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(got[c], want[c], tolerance) << "channel " << c << ": got " << got << ", want " << want;
  }
}

const cv::Mat kPattern = lt::make_pattern_rgb(64, 48);

// ------------------------------------------------------------------ JPEG

TEST(DecodeJpeg, BaselineIsRgbWithThePattern) {
  const DecodedImage image = decode_ok(lt::encode_jpeg(kPattern));
  EXPECT_EQ(image.rgb.cols, 64);
  EXPECT_EQ(image.rgb.rows, 48);
  EXPECT_EQ(lt::pattern_mismatch(image.rgb, 12), "");
  EXPECT_EQ(image.info.format, ImageFormat::kJpeg);
  EXPECT_EQ(image.info.channels, 3);
  EXPECT_EQ(image.info.bit_depth, 8);
  EXPECT_EQ(image.info.orientation, 1);
  EXPECT_TRUE(image.warnings.empty());
}

TEST(DecodeJpeg, Progressive) {
  const DecodedImage image = decode_ok(lt::encode_jpeg(kPattern, {.progressive = true}));
  EXPECT_EQ(image.rgb.size(), cv::Size(64, 48));
  EXPECT_EQ(lt::pattern_mismatch(image.rgb, 12), "");
  EXPECT_TRUE(image.warnings.empty());
}

TEST(DecodeJpeg, GrayscaleBecomesEqualRgb) {
  const DecodedImage image = decode_ok(lt::encode_jpeg(kPattern, {.grayscale = true}));
  EXPECT_EQ(image.info.channels, 1);
  std::vector<cv::Mat> planes;
  cv::split(image.rgb, planes);
  EXPECT_EQ(max_difference(planes[0], planes[1]), 0);
  EXPECT_EQ(max_difference(planes[0], planes[2]), 0);
  // BT.601 luma of the top-left red: 0.299·220 + 0.587·40 + 0.114·40 = 93.9
  EXPECT_NEAR(image.rgb.at<cv::Vec3b>(12, 16)[0], 94, 4);
}

TEST(DecodeJpeg, OnePixel) {
  const DecodedImage image = decode_ok(lt::encode_jpeg(cv::Mat(1, 1, CV_8UC3, cv::Scalar(200, 100, 50))));
  ASSERT_EQ(image.rgb.size(), cv::Size(1, 1));
  expect_near(image.rgb.at<cv::Vec3b>(0, 0), {200, 100, 50}, 6);
}

struct CmykCase {
  lt::Cmyk ink;
  bool adobe_inverted;
  bool ycck;
};

class DecodeCmykJpeg : public ::testing::TestWithParam<CmykCase> {};

TEST_P(DecodeCmykJpeg, ComesOutInTheIntendedColour) {
  const CmykCase& c = GetParam();
  const DecodedImage image = decode_ok(lt::encode_cmyk_jpeg(32, 16, c.ink, c.adobe_inverted, c.ycck));
  EXPECT_EQ(image.info.channels, 4);
  ASSERT_EQ(image.rgb.size(), cv::Size(32, 16));
  expect_near(image.rgb.at<cv::Vec3b>(8, 16), lt::cmyk_to_rgb(c.ink), c.ycck ? 6 : 3);
}

INSTANTIATE_TEST_SUITE_P(
    Inks, DecodeCmykJpeg,
    ::testing::Values(CmykCase{{0, 128, 255, 0}, true, false},    // orange, Adobe (Photoshop)
                      CmykCase{{0, 128, 255, 0}, false, false},   // orange, plain CMYK
                      CmykCase{{40, 200, 30, 100}, true, false},  // dark magenta with black
                      CmykCase{{40, 200, 30, 100}, false, false},
                      CmykCase{{255, 0, 0, 0}, true, false},   // pure cyan
                      CmykCase{{0, 0, 0, 255}, true, false},   // pure black
                      CmykCase{{0, 128, 255, 0}, true, true},  // YCCK
                      CmykCase{{40, 200, 30, 100}, true, true}));

class JpegOrientation : public ::testing::TestWithParam<int> {};

TEST_P(JpegOrientation, IsAppliedOnce) {
  const int orientation = GetParam();
  const cv::Mat stored = lt::stored_for_orientation(kPattern, orientation);
  const Bytes jpeg = lt::encode_jpeg(stored, {.orientation = orientation});
  const DecodedImage image = decode_ok(jpeg);
  EXPECT_EQ(image.rgb.size(), cv::Size(64, 48));
  EXPECT_EQ(lt::pattern_mismatch(image.rgb, 12), "");
  EXPECT_EQ(image.info.orientation, orientation);
  EXPECT_EQ(image.info.stored_width, stored.cols);
  EXPECT_EQ(image.info.stored_height, stored.rows);
  EXPECT_EQ(image.info.width(), 64);
  EXPECT_EQ(image.info.height(), 48);

  const auto probed = probe_image_bytes(jpeg, "test-image");
  ASSERT_TRUE(probed) << probed.error().message;
  EXPECT_EQ(probed->orientation, orientation);
  EXPECT_EQ(probed->width(), 64);
  EXPECT_EQ(probed->height(), 48);
}

INSTANTIATE_TEST_SUITE_P(AllEight, JpegOrientation, ::testing::Range(1, 9));

TEST(DecodeJpeg, BigEndianExifWithThumbnail) {
  const cv::Mat stored = lt::stored_for_orientation(kPattern, 3);
  const DecodedImage image =
      decode_ok(lt::encode_jpeg(stored, {.orientation = 3, .big_endian_exif = true, .exif_thumbnail = true}));
  EXPECT_EQ(image.info.orientation, 3);
  EXPECT_EQ(lt::pattern_mismatch(image.rgb, 12), "");
}

TEST(DecodeJpeg, OrientationCanBeLeftAlone) {
  const cv::Mat stored = lt::stored_for_orientation(kPattern, 6);
  DecodeOptions options;
  options.apply_orientation = false;
  const DecodedImage image = decode_ok(lt::encode_jpeg(stored, {.orientation = 6}), options);
  EXPECT_EQ(image.rgb.size(), cv::Size(48, 64));
  EXPECT_EQ(image.info.orientation, 6);  // still reported
  // Stored row 0 is the displayed right-hand side, so the stored top-left is displayed top-right.
  expect_near(image.rgb.at<cv::Vec3b>(5, 5), lt::kPatternTopRight, 12);
}

TEST(DecodeJpeg, TwelveThousandByNineThousand) {
  const auto start = std::chrono::steady_clock::now();
  const Bytes jpeg = lt::encode_pattern_jpeg(12000, 9000, 75);
  const auto encoded = std::chrono::steady_clock::now();
  const DecodedImage image = decode_ok(jpeg);
  const auto decoded = std::chrono::steady_clock::now();
  EXPECT_EQ(image.rgb.size(), cv::Size(12000, 9000));
  EXPECT_EQ(lt::pattern_mismatch(image.rgb, 12), "");
  const auto ms = [](auto a, auto b) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
  };
  std::printf("12000x9000 JPEG (%zu bytes): encode %lld ms, decode %lld ms\n", jpeg.size(),
              static_cast<long long>(ms(start, encoded)), static_cast<long long>(ms(encoded, decoded)));
}

// ------------------------------------------------------------------ PNG

TEST(DecodePng, Rgb8IsExact) {
  const DecodedImage image = decode_ok(lt::encode_png(kPattern, lt::PngKind::kRgb8));
  EXPECT_EQ(max_difference(image.rgb, kPattern), 0);
  EXPECT_EQ(image.info.format, ImageFormat::kPng);
  EXPECT_EQ(image.info.channels, 3);
}

TEST(DecodePng, AlphaIsCompositedOverWhite) {
  cv::Mat rgba;
  cv::cvtColor(kPattern, rgba, cv::COLOR_RGB2RGBA);
  const std::array<int, 4> alphas = {0, 64, 200, 255};  // per quadrant
  for (int y = 0; y < 48; ++y) {
    for (int x = 0; x < 64; ++x)
      rgba.at<cv::Vec4b>(y, x)[3] = static_cast<std::uint8_t>(alphas[(y >= 24) * 2 + (x >= 32)]);
  }
  const DecodedImage image = decode_ok(lt::encode_png(rgba, lt::PngKind::kRgba8));
  EXPECT_EQ(image.info.channels, 4);
  EXPECT_EQ(image.rgb.at<cv::Vec3b>(10, 10), cv::Vec3b(255, 255, 255));
  EXPECT_EQ(image.rgb.at<cv::Vec3b>(10, 40), over_white(lt::kPatternTopRight, 64));
  EXPECT_EQ(image.rgb.at<cv::Vec3b>(40, 10), over_white(lt::kPatternBottomLeft, 200));
  EXPECT_EQ(image.rgb.at<cv::Vec3b>(40, 40), lt::kPatternBottomRight);
}

TEST(DecodePng, GrayIsReplicated) {
  cv::Mat gray;
  cv::cvtColor(kPattern, gray, cv::COLOR_RGB2GRAY);
  const DecodedImage image = decode_ok(lt::encode_png(gray, lt::PngKind::kGray8));
  cv::Mat expected;
  cv::cvtColor(gray, expected, cv::COLOR_GRAY2RGB);
  EXPECT_EQ(max_difference(image.rgb, expected), 0);
  EXPECT_EQ(image.info.channels, 1);
}

TEST(DecodePng, GrayAlphaIsCompositedOverWhite) {
  cv::Mat gray_alpha(2, 2, CV_8UC2);
  gray_alpha.at<cv::Vec2b>(0, 0) = {100, 128};
  gray_alpha.at<cv::Vec2b>(0, 1) = {100, 255};
  gray_alpha.at<cv::Vec2b>(1, 0) = {0, 0};
  gray_alpha.at<cv::Vec2b>(1, 1) = {0, 1};
  const DecodedImage image = decode_ok(lt::encode_png(gray_alpha, lt::PngKind::kGrayAlpha8));
  EXPECT_EQ(image.info.channels, 2);
  EXPECT_EQ(image.rgb.at<cv::Vec3b>(0, 0), over_white({100, 100, 100}, 128));
  EXPECT_EQ(image.rgb.at<cv::Vec3b>(0, 1), cv::Vec3b(100, 100, 100));
  EXPECT_EQ(image.rgb.at<cv::Vec3b>(1, 0), cv::Vec3b(255, 255, 255));
  EXPECT_EQ(image.rgb.at<cv::Vec3b>(1, 1), cv::Vec3b(254, 254, 254));
}

// 16-bit samples become round(v / 257).
const std::vector<std::pair<std::uint16_t, std::uint8_t>> kSixteenBit = {
    {0, 0}, {1000, 4}, {32896, 128}, {33024, 128}, {33025, 129}, {65279, 254}, {65535, 255}};

TEST(DecodePng, Rgb16IsScaledWithRounding) {
  cv::Mat rgb16(1, static_cast<int>(kSixteenBit.size()), CV_16UC3);
  for (std::size_t i = 0; i < kSixteenBit.size(); ++i) {
    const std::uint16_t v = kSixteenBit[i].first;
    rgb16.at<cv::Vec3w>(0, static_cast<int>(i)) = {v, static_cast<std::uint16_t>(65535 - v), v};
  }
  const DecodedImage image = decode_ok(lt::encode_png(rgb16, lt::PngKind::kRgb16));
  EXPECT_EQ(image.info.bit_depth, 16);
  for (std::size_t i = 0; i < kSixteenBit.size(); ++i) {
    const cv::Vec3b got = image.rgb.at<cv::Vec3b>(0, static_cast<int>(i));
    EXPECT_EQ(got[0], kSixteenBit[i].second) << kSixteenBit[i].first;
    EXPECT_EQ(got[1], 255 - kSixteenBit[i].second) << kSixteenBit[i].first;
    EXPECT_EQ(got[2], kSixteenBit[i].second) << kSixteenBit[i].first;
  }
}

TEST(DecodePng, Gray16IsScaledWithRounding) {
  cv::Mat gray16(1, static_cast<int>(kSixteenBit.size()), CV_16UC1);
  for (std::size_t i = 0; i < kSixteenBit.size(); ++i) {
    gray16.at<std::uint16_t>(0, static_cast<int>(i)) = kSixteenBit[i].first;
  }
  const DecodedImage image = decode_ok(lt::encode_png(gray16, lt::PngKind::kGray16));
  for (std::size_t i = 0; i < kSixteenBit.size(); ++i) {
    const std::uint8_t v = kSixteenBit[i].second;
    EXPECT_EQ(image.rgb.at<cv::Vec3b>(0, static_cast<int>(i)), cv::Vec3b(v, v, v));
  }
}

TEST(DecodePng, PaletteIsExact) {
  const DecodedImage image = decode_ok(lt::encode_png(kPattern, lt::PngKind::kPalette8));
  EXPECT_EQ(max_difference(image.rgb, kPattern), 0);
}

TEST(DecodePng, PaletteTransparencyBecomesWhite) {
  const DecodedImage image = decode_ok(
      lt::encode_png(kPattern, lt::PngKind::kPalette8, {.transparent_colour = lt::kPatternTopRight}));
  EXPECT_EQ(image.rgb.at<cv::Vec3b>(10, 40), cv::Vec3b(255, 255, 255));
  EXPECT_EQ(image.rgb.at<cv::Vec3b>(10, 10), lt::kPatternTopLeft);
}

TEST(DecodePng, ExifChunkOrientation) {
  for (const int orientation : {3, 6, 8}) {
    const cv::Mat stored = lt::stored_for_orientation(kPattern, orientation);
    const DecodedImage image =
        decode_ok(lt::encode_png(stored, lt::PngKind::kRgb8, {.orientation = orientation}));
    EXPECT_EQ(image.info.orientation, orientation);
    EXPECT_EQ(max_difference(image.rgb, kPattern), 0) << "orientation " << orientation;
  }
}

// ------------------------------------------------------------------ WebP, BMP, TIFF, GIF, PNM

TEST(DecodeWebp, LosslessIsExact) {
  const DecodedImage image = decode_ok(lt::encode_webp(kPattern));
  EXPECT_EQ(image.info.format, ImageFormat::kWebp);
  EXPECT_EQ(max_difference(image.rgb, kPattern), 0);
}

TEST(DecodeWebp, AlphaIsCompositedOverWhite) {
  cv::Mat rgba;
  cv::cvtColor(kPattern, rgba, cv::COLOR_RGB2RGBA);
  rgba(cv::Rect(0, 0, 32, 48)).setTo(cv::Scalar(0, 0, 0, 0));
  const DecodedImage image = decode_ok(lt::encode_webp(rgba));
  EXPECT_EQ(image.rgb.at<cv::Vec3b>(10, 10), cv::Vec3b(255, 255, 255));
  EXPECT_EQ(image.rgb.at<cv::Vec3b>(10, 40), lt::kPatternTopRight);
  EXPECT_EQ(image.rgb.at<cv::Vec3b>(40, 40), lt::kPatternBottomRight);
}

TEST(DecodeWebp, Lossy) {
  const DecodedImage image = decode_ok(lt::encode_webp(kPattern, false));
  EXPECT_EQ(lt::pattern_mismatch(image.rgb, 12), "");
}

TEST(DecodeWebp, ExifChunkOrientation) {
  for (const int orientation : {3, 6}) {
    const cv::Mat stored = lt::stored_for_orientation(kPattern, orientation);
    const DecodedImage image = decode_ok(lt::encode_webp(stored, true, orientation));
    EXPECT_EQ(image.info.orientation, orientation);
    EXPECT_EQ(max_difference(image.rgb, kPattern), 0) << "orientation " << orientation;
  }
}

TEST(DecodeBmp, TwentyFourBitIsExact) {
  const DecodedImage image = decode_ok(lt::encode_bmp(kPattern));
  EXPECT_EQ(image.info.format, ImageFormat::kBmp);
  EXPECT_EQ(max_difference(image.rgb, kPattern), 0);
}

TEST(DecodeBmp, EightBitGray) {
  cv::Mat gray;
  cv::cvtColor(kPattern, gray, cv::COLOR_RGB2GRAY);
  const DecodedImage image = decode_ok(lt::encode_bmp(gray));
  cv::Mat expected;
  cv::cvtColor(gray, expected, cv::COLOR_GRAY2RGB);
  EXPECT_EQ(max_difference(image.rgb, expected), 0);
}

TEST(DecodeTiff, Rgb8IsExact) {
  const DecodedImage image = decode_ok(lt::encode_tiff(kPattern));
  EXPECT_EQ(image.info.format, ImageFormat::kTiff);
  EXPECT_EQ(max_difference(image.rgb, kPattern), 0);
}

TEST(DecodeTiff, BigEndian16BitGrayAndAlpha) {
  cv::Mat rgb16;
  kPattern.convertTo(rgb16, CV_16U, 257.0);
  EXPECT_EQ(max_difference(decode_ok(lt::encode_tiff(rgb16, {.big_endian = true})).rgb, kPattern), 0);

  cv::Mat gray;
  cv::cvtColor(kPattern, gray, cv::COLOR_RGB2GRAY);
  cv::Mat gray_rgb;
  cv::cvtColor(gray, gray_rgb, cv::COLOR_GRAY2RGB);
  EXPECT_EQ(max_difference(decode_ok(lt::encode_tiff(gray)).rgb, gray_rgb), 0);

  cv::Mat rgba;
  cv::cvtColor(kPattern, rgba, cv::COLOR_RGB2RGBA);
  rgba.setTo(cv::Scalar(0, 0, 0, 0), [&] {
    cv::Mat mask = cv::Mat::zeros(48, 64, CV_8U);
    mask(cv::Rect(0, 0, 32, 24)).setTo(255);
    return mask;
  }());
  const DecodedImage with_alpha = decode_ok(lt::encode_tiff(rgba));
  EXPECT_EQ(with_alpha.rgb.at<cv::Vec3b>(10, 10), cv::Vec3b(255, 255, 255));
  EXPECT_EQ(with_alpha.rgb.at<cv::Vec3b>(40, 40), lt::kPatternBottomRight);
}

class TiffOrientation : public ::testing::TestWithParam<int> {};

// OpenCV 4.6 rotates TIFFs itself even with IMREAD_UNCHANGED; the result must still be rotated
// exactly once, for both byte orders.
TEST_P(TiffOrientation, IsAppliedOnce) {
  const int orientation = GetParam();
  const cv::Mat stored = lt::stored_for_orientation(kPattern, orientation);
  for (const bool big_endian : {false, true}) {
    const DecodedImage image =
        decode_ok(lt::encode_tiff(stored, {.orientation = orientation, .big_endian = big_endian}));
    EXPECT_EQ(image.info.orientation, orientation);
    EXPECT_EQ(max_difference(image.rgb, kPattern), 0)
        << "orientation " << orientation << (big_endian ? " MM" : " II");
  }
}

INSTANTIATE_TEST_SUITE_P(AllEight, TiffOrientation, ::testing::Range(1, 9));

TEST(DecodeGif, FirstFrameIsExact) {
  const DecodedImage image = decode_ok(lt::encode_gif(kPattern));
  EXPECT_EQ(image.info.format, ImageFormat::kGif);
  EXPECT_EQ(max_difference(image.rgb, kPattern), 0);
}

TEST(DecodeGif, InterlacedIsExact) {
  EXPECT_EQ(max_difference(decode_ok(lt::encode_gif(kPattern, {.interlaced = true})).rgb, kPattern), 0);
}

TEST(DecodeGif, TransparencyBecomesWhite) {
  const DecodedImage image =
      decode_ok(lt::encode_gif(kPattern, {.transparent_colour = lt::kPatternBottomLeft}));
  EXPECT_EQ(image.rgb.at<cv::Vec3b>(40, 10), cv::Vec3b(255, 255, 255));
  EXPECT_EQ(image.rgb.at<cv::Vec3b>(40, 40), lt::kPatternBottomRight);
}

TEST(DecodePnm, ColourAndGrayAreExact) {
  EXPECT_EQ(max_difference(decode_ok(lt::encode_pnm(kPattern, 255)).rgb, kPattern), 0);
  cv::Mat gray;
  cv::cvtColor(kPattern, gray, cv::COLOR_RGB2GRAY);
  cv::Mat gray_rgb;
  cv::cvtColor(gray, gray_rgb, cv::COLOR_GRAY2RGB);
  const DecodedImage image = decode_ok(lt::encode_pnm(gray, 255));
  EXPECT_EQ(image.info.format, ImageFormat::kPnm);
  EXPECT_EQ(max_difference(image.rgb, gray_rgb), 0);
}

TEST(DecodePnm, SamplesAreScaledFromMaxval) {
  // OpenCV returns PNM samples as stored; logoscope scales them to 0..255.
  cv::Mat eight(1, 3, CV_8UC1);
  eight.at<std::uint8_t>(0, 0) = 40;   // 40·255/100 = 102
  eight.at<std::uint8_t>(0, 1) = 33;   // 84.15
  eight.at<std::uint8_t>(0, 2) = 100;  // 255
  const DecodedImage small = decode_ok(lt::encode_pnm(eight, 100));
  EXPECT_EQ(small.rgb.at<cv::Vec3b>(0, 0)[0], 102);
  EXPECT_EQ(small.rgb.at<cv::Vec3b>(0, 1)[0], 84);
  EXPECT_EQ(small.rgb.at<cv::Vec3b>(0, 2)[0], 255);

  cv::Mat sixteen(1, 3, CV_16UC1);
  sixteen.at<std::uint16_t>(0, 0) = 400;   // 400·255/1000 = 102
  sixteen.at<std::uint16_t>(0, 1) = 333;   // 84.9
  sixteen.at<std::uint16_t>(0, 2) = 1000;  // 255
  const DecodedImage large = decode_ok(lt::encode_pnm(sixteen, 1000));
  EXPECT_EQ(large.info.bit_depth, 16);
  EXPECT_EQ(large.rgb.at<cv::Vec3b>(0, 0)[0], 102);
  EXPECT_EQ(large.rgb.at<cv::Vec3b>(0, 1)[0], 85);
  EXPECT_EQ(large.rgb.at<cv::Vec3b>(0, 2)[0], 255);

  cv::Mat full(1, 1, CV_16UC3, cv::Scalar(65535, 32896, 0));
  EXPECT_EQ(decode_ok(lt::encode_pnm(full, 65535)).rgb.at<cv::Vec3b>(0, 0), cv::Vec3b(255, 128, 0));
}

TEST(DecodePnm, BitmapOneIsBlack) {
  const std::string pbm = std::string("P4\n8 1\n") + static_cast<char>(0xA0);
  const DecodedImage image = decode_ok(Bytes(pbm.begin(), pbm.end()));
  ASSERT_EQ(image.rgb.size(), cv::Size(8, 1));
  EXPECT_EQ(image.rgb.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 0));
  EXPECT_EQ(image.rgb.at<cv::Vec3b>(0, 1), cv::Vec3b(255, 255, 255));
  EXPECT_EQ(image.rgb.at<cv::Vec3b>(0, 2), cv::Vec3b(0, 0, 0));
  EXPECT_EQ(image.rgb.at<cv::Vec3b>(0, 7), cv::Vec3b(255, 255, 255));
}

// OpenCV 4.6 returns PAM samples in file (RGB) order; the result must still be RGB.
TEST(DecodePnm, PamColourAlphaAndGray) {
  std::string rgb = "P7\nWIDTH 1\nHEIGHT 1\nDEPTH 3\nMAXVAL 255\nTUPLTYPE RGB\nENDHDR\n";
  rgb += std::string("\xdc\x28\x28", 3);
  EXPECT_EQ(decode_ok(Bytes(rgb.begin(), rgb.end())).rgb.at<cv::Vec3b>(0, 0), lt::kPatternTopLeft);

  std::string rgba = "P7\nWIDTH 2\nHEIGHT 1\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n";
  rgba += std::string("\xdc\x28\x28\xff\x28\xc8\x3c\x00", 8);
  const DecodedImage colour = decode_ok(Bytes(rgba.begin(), rgba.end()));
  EXPECT_EQ(colour.info.channels, 4);
  EXPECT_EQ(colour.rgb.at<cv::Vec3b>(0, 0), lt::kPatternTopLeft);
  EXPECT_EQ(colour.rgb.at<cv::Vec3b>(0, 1), cv::Vec3b(255, 255, 255));

  std::string gray = "P7\n# comment\nWIDTH 2\nHEIGHT 1\nDEPTH 1\nMAXVAL 255\nTUPLTYPE GRAYSCALE\nENDHDR\n";
  gray += std::string("\x10\xf0", 2);
  const DecodedImage plain = decode_ok(Bytes(gray.begin(), gray.end()));
  EXPECT_EQ(plain.rgb.at<cv::Vec3b>(0, 0), cv::Vec3b(16, 16, 16));
  EXPECT_EQ(plain.rgb.at<cv::Vec3b>(0, 1), cv::Vec3b(240, 240, 240));

  std::string gray_alpha = "P7\nWIDTH 1\nHEIGHT 1\nDEPTH 2\nMAXVAL 255\nTUPLTYPE GRAYSCALE_ALPHA\nENDHDR\n";
  gray_alpha += std::string("\x64\x80", 2);
  EXPECT_EQ(decode_ok(Bytes(gray_alpha.begin(), gray_alpha.end())).rgb.at<cv::Vec3b>(0, 0),
            over_white({100, 100, 100}, 128));
}

// ------------------------------------------------------------------ format detection

TEST(SniffFormat, UsesMagicBytesOnly) {
  EXPECT_EQ(sniff_image_format(lt::encode_jpeg(kPattern)), ImageFormat::kJpeg);
  EXPECT_EQ(sniff_image_format(lt::encode_png(kPattern, lt::PngKind::kRgb8)), ImageFormat::kPng);
  EXPECT_EQ(sniff_image_format(lt::encode_webp(kPattern)), ImageFormat::kWebp);
  EXPECT_EQ(sniff_image_format(lt::encode_bmp(kPattern)), ImageFormat::kBmp);
  EXPECT_EQ(sniff_image_format(lt::encode_tiff(kPattern)), ImageFormat::kTiff);
  EXPECT_EQ(sniff_image_format(lt::encode_tiff(kPattern, {.big_endian = true})), ImageFormat::kTiff);
  EXPECT_EQ(sniff_image_format(lt::encode_gif(kPattern)), ImageFormat::kGif);
  EXPECT_EQ(sniff_image_format(lt::encode_pnm(kPattern, 255)), ImageFormat::kPnm);
  const std::string text = "BMW drivers, PNG fans\n";
  EXPECT_EQ(sniff_image_format(Bytes(text.begin(), text.end())), ImageFormat::kUnknown);
  EXPECT_EQ(sniff_image_format(Bytes{}), ImageFormat::kUnknown);
  EXPECT_STREQ(image_format_name(ImageFormat::kJpeg), "jpeg");
  EXPECT_STREQ(image_format_name(ImageFormat::kWebp), "webp");
  EXPECT_STREQ(image_format_name(ImageFormat::kUnknown), "unknown");
}

// ------------------------------------------------------------------ limits and truncation

TEST(DecodeLimits, PixelCapFromTheHeader) {
  const Bytes png = lt::encode_png(kPattern, lt::PngKind::kRgb8);
  DecodeOptions options;
  options.max_pixels = std::int64_t{64} * 48 - 1;
  const auto refused = decode_image_bytes(png, "cap.png", options);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(refused.error().message,
            "cap.png: PNG image is 64x48 = 3072 pixels, over the limit of 3071 pixels");
  options.max_pixels = std::int64_t{64} * 48;
  EXPECT_TRUE(decode_image_bytes(png, "cap.png", options));
}

TEST(DecodeLimits, TruncatedJpegCanBeAllowed) {
  Bytes jpeg = lt::encode_jpeg(lt::make_pattern_rgb(256, 192));
  jpeg.resize(jpeg.size() * 6 / 10);
  const auto refused = decode_image_bytes(jpeg, "photo.jpg");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kTruncated);
  EXPECT_EQ(refused.error().message,
            "photo.jpg: truncated JPEG: no end-of-image marker after the scan data (file is " +
                std::to_string(jpeg.size()) + " bytes)");

  DecodeOptions options;
  options.allow_truncated = true;
  const DecodedImage image = decode_ok(jpeg, options);
  EXPECT_EQ(image.rgb.size(), cv::Size(256, 192));
  ASSERT_FALSE(image.warnings.empty());
  EXPECT_THAT(image.warnings[0], HasSubstr("truncated JPEG: no end-of-image marker"));
  EXPECT_THAT(image.warnings[0], HasSubstr("decoded anyway"));
  expect_near(image.rgb.at<cv::Vec3b>(10, 10), lt::kPatternTopLeft, 12);  // above the cut
}

// ------------------------------------------------------------------ files

class ImageFiles : public ::testing::Test {
 protected:
  lt::TempDir dir_;
};

TEST_F(ImageFiles, DecodeAndProbeEveryFormat) {
  for (const char* name : {"a.jpg", "a.png", "a.webp", "a.bmp", "a.tif", "a.gif", "a.ppm", "a.pgm"}) {
    const std::string path = lt::write_test_image(dir_.path(), name, 64, 48);
    const auto probed = probe_image_file(path);
    ASSERT_TRUE(probed) << probed.error().message;
    EXPECT_EQ(probed->width(), 64) << name;
    EXPECT_EQ(probed->height(), 48) << name;
    const auto decoded = decode_image_file(path);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(decoded->info.format, probed->format) << name;
    EXPECT_EQ(decoded->rgb.size(), cv::Size(64, 48)) << name;
    if (std::string(name) != "a.pgm") {
      EXPECT_EQ(lt::pattern_mismatch(decoded->rgb, 12), "") << name;
    }
  }
}

TEST_F(ImageFiles, ProbeReportsOrientationAndStopsAtTheHeader) {
  // The scan data of this file is cut off: probing must not need it.
  Bytes jpeg = lt::encode_jpeg(lt::stored_for_orientation(kPattern, 6), {.orientation = 6});
  jpeg.resize(jpeg.size() - 200);
  const auto probed = probe_image_file(lt::write_file(dir_.path(), "cut.jpg", jpeg));
  ASSERT_TRUE(probed) << probed.error().message;
  EXPECT_EQ(probed->format, ImageFormat::kJpeg);
  EXPECT_EQ(probed->stored_width, 48);
  EXPECT_EQ(probed->stored_height, 64);
  EXPECT_EQ(probed->orientation, 6);
  EXPECT_EQ(probed->width(), 64);
  EXPECT_EQ(probed->height(), 48);

  // libtiff-style layout: IFD0 after the pixel data.
  const auto tiff = probe_image_file(lt::write_file(
      dir_.path(), "o8.tif", lt::encode_tiff(lt::stored_for_orientation(kPattern, 8), {.orientation = 8})));
  ASSERT_TRUE(tiff) << tiff.error().message;
  EXPECT_EQ(tiff->orientation, 8);
  EXPECT_EQ(tiff->width(), 64);
}

TEST_F(ImageFiles, InputFilesAreNeverModified) {
  std::vector<std::string> paths = {
      lt::write_file(dir_.path(), "o6.tif",
                     lt::encode_tiff(lt::stored_for_orientation(kPattern, 6), {.orientation = 6})),
      lt::write_file(dir_.path(), "o6.jpg",
                     lt::encode_jpeg(lt::stored_for_orientation(kPattern, 6), {.orientation = 6})),
      lt::write_truncated_jpeg(dir_.path()),
  };
  for (const std::string& path : paths) {
    const std::uint64_t before = fnv1a64(lt::read_file(path));
    const auto modified = std::filesystem::last_write_time(path);
    DecodeOptions options;
    options.allow_truncated = true;
    EXPECT_TRUE(decode_image_file(path, options)) << path;
    EXPECT_TRUE(probe_image_file(path)) << path;
    EXPECT_EQ(fnv1a64(lt::read_file(path)), before) << path;
    EXPECT_EQ(std::filesystem::last_write_time(path), modified) << path;
  }
}

TEST_F(ImageFiles, ReadFileBytes) {
  const std::string path = lt::write_file(dir_.path(), "bytes.bin", {1, 2, 3});
  const auto bytes = read_file_bytes(path);
  ASSERT_TRUE(bytes) << bytes.error().message;
  EXPECT_EQ(*bytes, (Bytes{1, 2, 3}));

  const auto missing = read_file_bytes(dir_.file("missing.jpg"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message, dir_.file("missing.jpg") + ": no such file");

  const auto folder = read_file_bytes(dir_.path());
  ASSERT_FALSE(folder);
  EXPECT_EQ(folder.error().code, ErrorCode::kIo);
  EXPECT_THAT(folder.error().message, StartsWith(dir_.path() + ": "));
  EXPECT_THAT(folder.error().message, HasSubstr("is a directory"));

  const auto decoded = decode_image_file(dir_.file("missing.png"));
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(probe_image_file(dir_.file("missing.png")));
}

TEST_F(ImageFiles, WriteKeepsRgbOrderAndRoundTrips) {
  const std::string path = dir_.file("out.png");
  ASSERT_TRUE(write_image_file(kPattern, path));
  // On disk the file is a normal image: OpenCV reads it back as BGR.
  const cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
  ASSERT_FALSE(bgr.empty());
  EXPECT_EQ(bgr.at<cv::Vec3b>(0, 0),
            cv::Vec3b(lt::kPatternTopLeft[2], lt::kPatternTopLeft[1], lt::kPatternTopLeft[0]));
  const auto decoded = decode_image_file(path);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(max_difference(decoded->rgb, kPattern), 0);

  const std::string jpeg_path = dir_.file("out.JPG");
  ASSERT_TRUE(write_image_file(kPattern, jpeg_path, 90));
  const auto jpeg = decode_image_file(jpeg_path);
  ASSERT_TRUE(jpeg) << jpeg.error().message;
  EXPECT_EQ(lt::pattern_mismatch(jpeg->rgb, 12), "");

  // Only the two images: no temporary files left behind.
  EXPECT_EQ(
      std::distance(std::filesystem::directory_iterator(dir_.path()), std::filesystem::directory_iterator()),
      2);
}

TEST_F(ImageFiles, WriteRefusesBadRequests) {
  const cv::Mat gray(4, 4, CV_8UC1, cv::Scalar(0));
  const auto wrong_type = write_image_file(gray, dir_.file("gray.png"));
  ASSERT_FALSE(wrong_type);
  EXPECT_EQ(wrong_type.error().code, ErrorCode::kInvalidArgument);

  const auto no_folder = write_image_file(kPattern, dir_.file("missing/out.png"));
  ASSERT_FALSE(no_folder);
  EXPECT_EQ(no_folder.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(no_folder.error().message, HasSubstr("does not exist"));

  const auto gif = write_image_file(kPattern, dir_.file("out.gif"));
  ASSERT_FALSE(gif);
  EXPECT_EQ(gif.error().code, ErrorCode::kUnsupportedFormat);

  EXPECT_EQ(write_image_file(kPattern, dir_.file("noextension")).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(write_image_file(kPattern, dir_.file("q.jpg"), 101).error().code, ErrorCode::kInvalidArgument);

  const std::string existing = lt::write_file(dir_.path(), "keep.png", {1, 2, 3});
  const auto kept = write_image_file(kPattern, existing, 92, false);
  ASSERT_FALSE(kept);
  EXPECT_EQ(kept.error().code, ErrorCode::kIo);
  EXPECT_THAT(kept.error().message, HasSubstr("already exists"));
  EXPECT_EQ(lt::read_file(existing), (Bytes{1, 2, 3}));
  ASSERT_TRUE(write_image_file(kPattern, existing, 92, true));
  EXPECT_TRUE(decode_image_file(existing));
}

TEST(DecodeConcurrency, ThreadsGetIdenticalResults) {
  const Bytes jpeg = lt::encode_jpeg(lt::make_pattern_rgb(320, 240));
  const Bytes gif = lt::encode_gif(lt::make_pattern_rgb(320, 240));
  const cv::Mat reference = decode_ok(jpeg).rgb;
  std::vector<std::future<bool>> runs;
  runs.reserve(8);
  for (int t = 0; t < 8; ++t) {
    runs.push_back(std::async(std::launch::async, [&] {
      bool same = true;
      for (int i = 0; i < 10; ++i) {
        const auto a = decode_image_bytes(jpeg, "a.jpg");
        const auto b = decode_image_bytes(gif, "b.gif");
        same = same && a && b && max_difference(a->rgb, reference) == 0;
      }
      return same;
    }));
  }
  for (auto& run : runs) EXPECT_TRUE(run.get());
}

}  // namespace
}  // namespace logoscope::imageio
