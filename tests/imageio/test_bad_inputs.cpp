// The bad-input corpus (docs/bad-input-corpus.md) and robustness: cut-off and mutated files of
// every format must give a Result, never a crash, hang or abort.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "imageio/image_io.hpp"
#include "support/temp_dir.hpp"
#include "support/test_images.hpp"

namespace logoscope::imageio {
namespace {

namespace lt = logoscope::testing;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Bytes = std::vector<std::uint8_t>;

class BadInputCorpus : public ::testing::TestWithParam<lt::BadInput> {
 protected:
  lt::TempDir dir_;
};

TEST_P(BadInputCorpus, DecodeGivesTheDocumentedResult) {
  const lt::BadInput& entry = GetParam();
  const std::string path = entry.write(dir_.path());
  ASSERT_EQ(path, dir_.file(entry.file_name));
  const auto result = decode_image_file(path);
  if (!entry.error) {
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->rgb.type(), CV_8UC3);
    EXPECT_TRUE(result->rgb.isContinuous());
    EXPECT_EQ(result->rgb.cols, entry.width);
    EXPECT_EQ(result->rgb.rows, entry.height);
    EXPECT_EQ(result->info.width(), entry.width);
    EXPECT_EQ(result->info.height(), entry.height);
    EXPECT_TRUE(result->warnings.empty()) << result->warnings.front();
    return;
  }
  ASSERT_FALSE(result) << "decoded " << result->rgb.cols << "x" << result->rgb.rows;
  EXPECT_EQ(result.error().code, *entry.error)
      << error_code_name(result.error().code) << ": " << result.error().message;
  EXPECT_THAT(result.error().message, StartsWith(path + ": "));
  EXPECT_THAT(result.error().message, HasSubstr(entry.message_part));
}

TEST_P(BadInputCorpus, ProbeNeverCrashesAndAgreesOnHeaderErrors) {
  const lt::BadInput& entry = GetParam();
  const std::string path = entry.write(dir_.path());
  const auto probed = probe_image_file(path);
  const auto decoded = decode_image_file(path);
  if (probed) {
    EXPECT_GT(probed->width(), 0);
    EXPECT_GT(probed->height(), 0);
  } else {
    // Whatever the header already refuses, decoding refuses the same way.
    ASSERT_FALSE(decoded);
    EXPECT_EQ(probed.error().code, decoded.error().code);
    EXPECT_EQ(probed.error().message, decoded.error().message);
  }
}

std::string corpus_test_name(const ::testing::TestParamInfo<lt::BadInput>& info) {
  std::string name = info.param.file_name;
  for (char& c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadInputCorpus, ::testing::ValuesIn(lt::bad_input_corpus()),
                         corpus_test_name);

// The truncated entries again, with DecodeOptions::allow_truncated.
class TruncatedCorpus : public BadInputCorpus {};

std::vector<lt::BadInput> truncated_entries() {
  std::vector<lt::BadInput> entries;
  for (const auto& entry : lt::bad_input_corpus()) {
    if (entry.error == ErrorCode::kTruncated) entries.push_back(entry);
  }
  return entries;
}

TEST_P(TruncatedCorpus, AllowTruncatedDecodesOnlyWhatCanBeDecoded) {
  const lt::BadInput& entry = GetParam();
  const std::string path = entry.write(dir_.path());
  DecodeOptions options;
  options.allow_truncated = true;
  const auto result = decode_image_file(path, options);
  if (!entry.decodes_with_allow_truncated) {
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::kTruncated) << result.error().message;
    EXPECT_THAT(result.error().message, StartsWith(path + ": "));
    return;
  }
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->rgb.type(), CV_8UC3);
  ASSERT_FALSE(result->warnings.empty());
  EXPECT_THAT(result->warnings.front(), StartsWith(path + ": "));
  EXPECT_THAT(result->warnings.front(), HasSubstr(entry.message_part));
}

INSTANTIATE_TEST_SUITE_P(Corpus, TruncatedCorpus, ::testing::ValuesIn(truncated_entries()), corpus_test_name);

TEST(BadInputs, CorpusFileNamesAreUnique) {
  std::set<std::string> names;
  for (const auto& entry : lt::bad_input_corpus())
    EXPECT_TRUE(names.insert(entry.file_name).second) << entry.file_name;
}

TEST(BadInputs, BombHeadersAreRefusedWithoutDecoding) {
  lt::TempDir dir;
  for (const std::string& path : {lt::write_bomb_png(dir.path()), lt::write_bomb_jpeg(dir.path())}) {
    const auto start = std::chrono::steady_clock::now();
    const auto result = decode_image_file(path);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::kTooLarge);
    EXPECT_LT(elapsed, std::chrono::milliseconds(500)) << path;
    // Probing has no limit: it reports the claimed size.
    const auto probed = probe_image_file(path);
    ASSERT_TRUE(probed) << probed.error().message;
    EXPECT_GT(probed->pixel_count(), 4'000'000'000);
  }
  // Above logoscope's limit, OpenCV's own (OPENCV_IO_MAX_IMAGE_PIXELS, 2^30 by default) throws;
  // that exception becomes the same error code.
  DecodeOptions unlimited;
  unlimited.max_pixels = std::int64_t{1} << 40;
  const auto forced = decode_image_file(lt::write_bomb_png(dir.path()), unlimited);
  ASSERT_FALSE(forced);
  EXPECT_EQ(forced.error().code, ErrorCode::kTooLarge) << forced.error().message;
  EXPECT_THAT(forced.error().message, StartsWith(dir.file("bomb.png") + ": over OpenCV's own limit"));
}

TEST(BadInputs, EmptySpanAndDescriptions) {
  const auto empty = decode_image_bytes({}, "nothing");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kUnsupportedFormat);
  EXPECT_EQ(empty.error().message, "nothing: not an image format logoscope reads: an empty file (0 bytes)");
  const std::string pdf = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n";
  const auto document = probe_image_bytes(Bytes(pdf.begin(), pdf.end()), "scan.jpg");
  ASSERT_FALSE(document);
  EXPECT_EQ(document.error().message, "scan.jpg: not an image format logoscope reads: a PDF document");
}

TEST(BadInputs, DamagedExifIsIgnoredWithAWarning) {
  const cv::Mat pattern = lt::make_pattern_rgb(64, 48);
  Bytes jpeg = lt::encode_jpeg(pattern, {.orientation = 6});
  // The orientation value (SHORT 6) sits right after "Exif\0\0II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0".
  const Bytes marker = {0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x06};
  auto at = std::search(jpeg.begin(), jpeg.end(), marker.begin(), marker.end());
  ASSERT_NE(at, jpeg.end());
  at[8] = 9;  // not an orientation
  const auto result = decode_image_bytes(jpeg, "bad-exif.jpg");
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->info.orientation, 1);
  EXPECT_EQ(result->rgb.size(), cv::Size(64, 48));
  ASSERT_EQ(result->warnings.size(), 1U);
  EXPECT_EQ(result->warnings[0],
            "bad-exif.jpg: orientation ignored: EXIF block: orientation value 9 is not 1..8");

  at[8] = 6;
  at[5] = 0x10;  // count 4096: the value array now points outside the block
  const auto outside = decode_image_bytes(jpeg, "outside.jpg");
  ASSERT_TRUE(outside) << outside.error().message;
  EXPECT_EQ(outside->info.orientation, 1);
  ASSERT_EQ(outside->warnings.size(), 1U);
  EXPECT_THAT(outside->warnings[0], HasSubstr("orientation ignored"));
}

TEST(BadInputs, DamagedJpegDataIsAWarningOrAnError) {
  const Bytes clean = lt::encode_jpeg(lt::make_pattern_rgb(256, 192));
  // Stray bytes between two header segments: libjpeg skips them and says so.
  Bytes stray = clean;
  const std::size_t second_segment = 4 + (static_cast<std::size_t>(stray[4]) << 8 | stray[5]);
  stray.insert(stray.begin() + static_cast<std::ptrdiff_t>(second_segment), {0x00, 0x11, 0x22});
  const auto skipped = decode_image_bytes(stray, "stray.jpg");
  ASSERT_TRUE(skipped) << skipped.error().message;
  EXPECT_EQ(lt::pattern_mismatch(skipped->rgb, 12), "");
  ASSERT_EQ(skipped->warnings.size(), 1U);
  EXPECT_EQ(skipped->warnings[0],
            "stray.jpg: damaged JPEG data, decoded anyway (libjpeg: Corrupt JPEG data: 3 "
            "extraneous bytes before marker 0xdb; 1 warning(s))");

  // A frame header in the middle of the scan is fatal for libjpeg; the EOI is still there.
  Bytes sof = clean;
  for (std::size_t i = sof.size() / 2; i < sof.size() / 2 + 16; ++i) sof[i] = 0xFF;
  sof[sof.size() / 2 + 16] = 0xC7;
  const auto fatal = decode_image_bytes(sof, "damaged.jpg");
  ASSERT_FALSE(fatal);
  EXPECT_EQ(fatal.error().code, ErrorCode::kCorrupt);
  EXPECT_EQ(fatal.error().message, "damaged.jpg: corrupt JPEG: Unsupported JPEG process: SOF type 0xc7");
}

// Silences stderr while alive: libpng and OpenCV print a line for every damaged file.
class StderrSilencer {
 public:
  StderrSilencer() : saved_(::dup(STDERR_FILENO)) {
    std::fflush(stderr);
    if (std::FILE* null = std::fopen("/dev/null", "w"); null != nullptr) {
      ::dup2(::fileno(null), STDERR_FILENO);
      std::fclose(null);
    }
  }
  StderrSilencer(const StderrSilencer&) = delete;
  StderrSilencer& operator=(const StderrSilencer&) = delete;
  ~StderrSilencer() {
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
  }

 private:
  int saved_;
};

// One small valid file of every format and layout the cut/mutation tests start from.
std::vector<std::pair<std::string, Bytes>> seed_files() {
  const cv::Mat pattern = lt::make_pattern_rgb(24, 16);
  cv::Mat rgba;
  cv::cvtColor(pattern, rgba, cv::COLOR_RGB2RGBA);
  cv::Mat gray16;
  cv::cvtColor(pattern, gray16, cv::COLOR_RGB2GRAY);
  gray16.convertTo(gray16, CV_16U, 257.0);
  return {
      {"baseline.jpg", lt::encode_jpeg(pattern, {.orientation = 6, .exif_thumbnail = true})},
      {"progressive.jpg", lt::encode_jpeg(pattern, {.progressive = true})},
      {"cmyk.jpg", lt::encode_cmyk_jpeg(24, 16, {10, 20, 30, 40}, true)},
      {"rgba.png", lt::encode_png(rgba, lt::PngKind::kRgba8, {.orientation = 3})},
      {"gray16.png", lt::encode_png(gray16, lt::PngKind::kGray16)},
      {"palette.png", lt::encode_png(pattern, lt::PngKind::kPalette8)},
      {"image.gif", lt::encode_gif(pattern, {.interlaced = true})},
      {"image.bmp", lt::encode_bmp(pattern)},
      {"lossless.webp", lt::encode_webp(pattern, true, 6)},
      {"lossy.webp", lt::encode_webp(pattern, false)},
      {"image.tif", lt::encode_tiff(pattern, {.orientation = 5, .big_endian = true})},
      {"image.ppm", lt::encode_pnm(pattern, 255)},
  };
}

void expect_clean_result(const Result<DecodedImage>& result, const std::string& name) {
  if (result) {
    EXPECT_EQ(result->rgb.type(), CV_8UC3) << name;
    EXPECT_TRUE(result->rgb.isContinuous()) << name;
    EXPECT_FALSE(result->rgb.empty()) << name;
    return;
  }
  EXPECT_THAT(result.error().message, StartsWith(name + ": "));
  const ErrorCode code = result.error().code;
  EXPECT_TRUE(code == ErrorCode::kTruncated || code == ErrorCode::kCorrupt ||
              code == ErrorCode::kUnsupportedFormat || code == ErrorCode::kTooLarge)
      << error_code_name(code) << ": " << result.error().message;
}

TEST(BadInputs, EveryPrefixOfEveryFormatIsHandled) {
  for (const auto& [name, bytes] : seed_files()) {
    std::size_t refused = 0;
    for (std::size_t length = 0; length < bytes.size(); length += (length < 300 ? 1 : 17)) {
      const Bytes prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(length));
      const auto result = decode_image_bytes(prefix, name);
      expect_clean_result(result, name);
      if (!result) ++refused;
      // Without allow_truncated nothing cut before the end may pass silently.
      // GIF is the exception: only its first frame is needed, not the trailer.
      if (result) {
        EXPECT_TRUE(name.ends_with(".gif"))
            << name << " cut to " << length << " of " << bytes.size() << " bytes decoded";
      }
    }
    EXPECT_GT(refused, 0U) << name;
    const auto whole = decode_image_bytes(bytes, name);
    EXPECT_TRUE(whole) << whole.error().message;
  }
}

TEST(BadInputs, PrefixesWithAllowTruncatedAreHandled) {
  DecodeOptions options;
  options.allow_truncated = true;
  for (const auto& [name, bytes] : seed_files()) {
    if (!name.ends_with(".jpg") && !name.ends_with(".gif")) continue;  // OpenCV formats print noise
    for (std::size_t length = 0; length < bytes.size(); length += 7) {
      const Bytes prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(length));
      expect_clean_result(decode_image_bytes(prefix, name, options), name);
    }
  }
}

TEST(BadInputs, MutatedFilesAreHandled) {
  const StderrSilencer quiet;
  std::mt19937 random(99);
  for (const auto& [name, bytes] : seed_files()) {
    for (int round = 0; round < 60; ++round) {
      Bytes mutated = bytes;
      const int flips = 1 + static_cast<int>(random() % 4);
      for (int i = 0; i < flips; ++i) {
        mutated[random() % mutated.size()] = static_cast<std::uint8_t>(random());
      }
      DecodeOptions options;
      options.allow_truncated = (round % 2) == 1;
      expect_clean_result(decode_image_bytes(mutated, name, options), name);
      const auto probed = probe_image_bytes(mutated, name);
      if (!probed) {
        EXPECT_THAT(probed.error().message, StartsWith(name + ": "));
      }
    }
  }
}

}  // namespace
}  // namespace logoscope::imageio
