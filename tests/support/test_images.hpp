// Generated test images and the bad-input corpus, shared by the test suites.
//
// Every image is made here, deterministically, by encoders that do not go through
// logoscope::imageio: libjpeg (JPEG, including CMYK/YCCK, progressive and EXIF), small writers
// in this file (PNG with stored deflate blocks, uncompressed TIFF, PNM, the WebP VP8X container),
// giflib (GIF) and OpenCV's encoders (BMP, WebP bitstreams). So a decoding bug cannot hide behind
// the same bug in the generator.
//
// Conventions: images passed in and out are RGB(A)-ordered cv::Mats; "displayed" means after
// the EXIF orientation is applied. Functions named write_* write into `dir` (which must exist)
// and return the full path; encode_* return the file's bytes.
//
// Thread safety: all functions are reentrant.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "logoscope/result.hpp"

namespace logoscope::testing {

// ------------------------------------------------------------------ the standard pattern

/// Quadrant colours of the standard pattern (RGB). Mid-range values, so that lossy codecs and
/// colour conversions stay well inside 0..255.
inline const cv::Vec3b kPatternTopLeft{220, 40, 40};       // red
inline const cv::Vec3b kPatternTopRight{40, 200, 60};      // green
inline const cv::Vec3b kPatternBottomLeft{40, 60, 220};    // blue
inline const cv::Vec3b kPatternBottomRight{240, 220, 40};  // yellow

/// Colour of the standard pattern at pixel (x, y) of a w×h image: four quadrants split at
/// (w/2, h/2). Requires 0 <= x < w, 0 <= y < h.
cv::Vec3b pattern_color(int x, int y, int w, int h);

/// The standard pattern as a w×h RGB image (CV_8UC3).
cv::Mat make_pattern_rgb(int w, int h);

/// "" when `rgb` is a CV_8UC3 image whose four quadrant centres (and the points a quarter of the
/// way into each quadrant) are within `tolerance` of the standard pattern of its size;
/// otherwise a description of the first mismatch, for EXPECT_EQ(…, "").
std::string pattern_mismatch(const cv::Mat& rgb, int tolerance);

/// The image to store so that it displays as `displayed` under EXIF `orientation` (1..8).
/// A per-pixel reference implementation of the EXIF 2.3 definitions ("row 0 is the visual
/// right-hand side, column 0 the visual top" for 6, …), independent of OpenCV's rotate/flip.
cv::Mat stored_for_orientation(const cv::Mat& displayed, int orientation);

// ------------------------------------------------------------------ encoders

struct JpegOptions {
  int quality = 95;
  bool progressive = false;
  bool grayscale = false;        ///< one-component JPEG of the image's luma
  int orientation = 0;           ///< EXIF orientation to record in APP1; 0 writes no EXIF
  bool big_endian_exif = false;  ///< "MM" byte order in the EXIF block
  bool exif_thumbnail = false;   ///< embed a 16×16 JPEG thumbnail (with its own SOI/EOI) in EXIF
};

/// JPEG of an RGB image (CV_8UC3) through libjpeg: 4:2:0 baseline or progressive.
std::vector<std::uint8_t> encode_jpeg(const cv::Mat& rgb, const JpegOptions& options = {});

/// JPEG of the w×h standard pattern, generated row by row (fast and small in memory even for
/// 12000×9000).
std::vector<std::uint8_t> encode_pattern_jpeg(int w, int h, int quality = 90);

/// Ink amounts (0 = no ink, 255 = full) of cyan, magenta, yellow, black.
using Cmyk = std::array<std::uint8_t, 4>;

/// The RGB colour a CMYK ink mix means: R = (255−C)(255−K)/255, and so on, rounded.
cv::Vec3b cmyk_to_rgb(const Cmyk& ink);

/// A w×h four-component JPEG filled with `ink`, written with jpeg_set_colorspace(JCS_CMYK)
/// (or JCS_YCCK with `ycck`). With `adobe_inverted` the samples are stored inverted
/// (255 − ink) and an Adobe APP14 marker is written, as Photoshop does; otherwise plain samples
/// and no Adobe marker. YCCK always uses the Adobe convention.
std::vector<std::uint8_t> encode_cmyk_jpeg(int w, int h, const Cmyk& ink, bool adobe_inverted,
                                           bool ycck = false);

/// PNG colour layouts the minimal PNG writer produces. The Mat passed to encode_png must be:
/// kRgb8 CV_8UC3 (RGB), kRgba8 CV_8UC4 (RGBA), kGray8 CV_8UC1, kGrayAlpha8 CV_8UC2,
/// kRgb16 CV_16UC3, kGray16 CV_16UC1, kPalette8 CV_8UC3 with at most 256 distinct colours.
enum class PngKind { kRgb8, kRgba8, kGray8, kGrayAlpha8, kRgb16, kGray16, kPalette8 };

struct PngOptions {
  int orientation = 0;  ///< write an eXIf chunk (before IDAT) with this orientation; 0: none
  /// kPalette8 only: this colour becomes fully transparent (a tRNS chunk).
  std::optional<cv::Vec3b> transparent_colour = std::nullopt;
};

/// PNG through a minimal writer (zlib stream of stored blocks, filter type 0).
std::vector<std::uint8_t> encode_png(const cv::Mat& image, PngKind kind, const PngOptions& options = {});

/// One PNG chunk: length, type, data, CRC-32.
std::vector<std::uint8_t> png_chunk(const std::string& type, const std::vector<std::uint8_t>& data);

/// The 8-byte signature plus an IHDR chunk with arbitrary (possibly invalid) values.
std::vector<std::uint8_t> png_header(std::uint32_t width, std::uint32_t height, int bit_depth = 8,
                                     int colour_type = 2);

struct TiffOptions {
  int orientation = 0;      ///< write the Orientation tag (274) with this value; 0: no tag
  bool big_endian = false;  ///< "MM" instead of "II"
};

/// Uncompressed single-strip TIFF, pixel data first and IFD0 after it (as libtiff lays files
/// out). `image`: CV_8UC1 (gray), CV_8UC3 (RGB), CV_8UC4 (RGBA, unassociated alpha),
/// CV_16UC1 or CV_16UC3.
std::vector<std::uint8_t> encode_tiff(const cv::Mat& image, const TiffOptions& options = {});

/// Lossless (default) or lossy WebP of an RGB (CV_8UC3) or RGBA (CV_8UC4) image through
/// OpenCV; with `orientation` > 0 the bitstream is wrapped in a VP8X container with an EXIF
/// chunk after the image data.
std::vector<std::uint8_t> encode_webp(const cv::Mat& rgb, bool lossless = true, int orientation = 0);

/// 24-bit BMP (CV_8UC3 RGB) or 8-bit palette BMP (CV_8UC1) through OpenCV.
std::vector<std::uint8_t> encode_bmp(const cv::Mat& image);

struct GifOptions {
  bool interlaced = false;
  std::optional<cv::Vec3b> transparent_colour = std::nullopt;  ///< this colour's index is marked transparent
};

/// Single-frame GIF89a through giflib. `rgb` (CV_8UC3) must have at most 256 distinct colours.
std::vector<std::uint8_t> encode_gif(const cv::Mat& rgb, const GifOptions& options = {});

/// Binary PNM: P5 for CV_8UC1/CV_16UC1, P6 for CV_8UC3/CV_16UC3 (RGB), samples written as given
/// (they must be <= maxval); 16-bit samples are big-endian as the format requires.
std::vector<std::uint8_t> encode_pnm(const cv::Mat& image, int maxval);

// ------------------------------------------------------------------ files

/// Writes `bytes` to dir/name and returns the path.
std::string write_file(const std::string& dir, const std::string& name,
                       const std::vector<std::uint8_t>& bytes);

/// Reads a whole file (empty when missing).
std::vector<std::uint8_t> read_file(const std::string& path);

/// Writes the w×h standard pattern to dir/name in the format its extension names: .jpg/.jpeg
/// (baseline, quality 95), .png, .bmp, .webp (lossless), .tif/.tiff, .gif, .ppm, .pgm (luma).
/// Every format but JPEG holds the pattern exactly. Returns the path.
std::string write_test_image(const std::string& dir, const std::string& name, int w, int h);

/// Writes an RGB image (CV_8UC3) like write_test_image does (.gif needs <= 256 colours).
std::string write_rgb_image(const std::string& dir, const std::string& name, const cv::Mat& rgb);

// ------------------------------------------------------------------ the bad-input corpus
//
// One function per entry: each writes its file into `dir` under the entry's file name and
// returns the path. docs/bad-input-corpus.md lists them with what logoscope returns.

std::string write_truncated_jpeg(const std::string& dir);                 // truncated.jpg
std::string write_truncated_jpeg_with_thumbnail(const std::string& dir);  // truncated_thumb.jpg
std::string write_truncated_png(const std::string& dir);                  // truncated.png
std::string write_truncated_gif(const std::string& dir);                  // truncated.gif
std::string write_truncated_bmp(const std::string& dir);                  // truncated.bmp
std::string write_truncated_webp(const std::string& dir);                 // truncated.webp
std::string write_truncated_tiff(const std::string& dir);                 // truncated.tif
std::string write_empty_file(const std::string& dir);                     // empty.jpg
std::string write_text_named_jpg(const std::string& dir);                 // text.jpg
std::string write_garbage_bytes(const std::string& dir);                  // garbage.jpg
std::string write_header_only_jpeg(const std::string& dir);               // header_only.jpg
std::string write_header_only_png(const std::string& dir);                // header_only.png
std::string write_bomb_png(const std::string& dir);                       // bomb.png
std::string write_bomb_jpeg(const std::string& dir);                      // bomb.jpg
std::string write_zero_width_png(const std::string& dir);                 // zero_width.png
std::string write_zero_width_jpeg(const std::string& dir);                // zero_width.jpg
std::string write_corrupt_png_data(const std::string& dir);               // bad_crc.png
std::string write_many_scans_jpeg(const std::string& dir);                // many_scans.jpg
std::string write_lossless_jpeg(const std::string& dir);                  // lossless.jpg
std::string write_animated_webp_header(const std::string& dir);           // animated.webp
std::string write_one_pixel_png(const std::string& dir);                  // one_pixel.png
std::string write_tall_png(const std::string& dir);                       // tall.png (1×100000)
std::string write_png_named_jpg(const std::string& dir);                  // png_named.jpg
std::string write_gray16_png(const std::string& dir);                     // gray16.png
std::string write_rgb16_png(const std::string& dir);                      // rgb16.png
std::string write_palette_png(const std::string& dir);                    // palette.png
std::string write_gray_png(const std::string& dir);                       // gray.png
std::string write_alpha_png(const std::string& dir);                      // alpha.png
std::string write_cmyk_jpeg(const std::string& dir);                      // cmyk.jpg
std::string write_exif_rotated_jpeg(const std::string& dir);              // exif_rotated.jpg
std::string write_progressive_jpeg(const std::string& dir);               // progressive.jpg
std::string write_webp(const std::string& dir);                           // image.webp
std::string write_bmp(const std::string& dir);                            // image.bmp
std::string write_tiff(const std::string& dir);                           // image.tif
std::string write_gif(const std::string& dir);                            // image.gif

/// One corpus entry and what decode_image_file returns for it with default options.
struct BadInput {
  std::string file_name;  ///< the name its writer uses
  std::string (*write)(const std::string& dir);
  std::optional<ErrorCode> error;  ///< nullopt: it decodes
  std::string message_part;        ///< a substring of the error message
  int width = 0;                   ///< displayed size when it decodes
  int height = 0;
  bool decodes_with_allow_truncated = false;  ///< an error that allow_truncated turns into a warning
};

/// Every corpus entry, in the order of docs/bad-input-corpus.md.
const std::vector<BadInput>& bad_input_corpus();

}  // namespace logoscope::testing
