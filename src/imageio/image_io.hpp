// imageio/image_io.hpp — read any common image file into one representation, safely.
//
// Every decoded image is an 8-bit, 3-channel, RGB-ordered, continuous cv::Mat (CV_8UC3) with the
// EXIF orientation already applied, whatever the source: JPEG (baseline, progressive, CMYK), PNG
// (8/16-bit, palette, alpha, grayscale), WebP, BMP, TIFF, GIF (first frame), PNM.
//   * 16-bit samples are scaled to 8 bits; grayscale is replicated to RGB; alpha is composited
//     over white.
//   * The pixel count is checked from the file header BEFORE any pixel buffer is allocated
//     (DecodeOptions::max_pixels), so decompression bombs are refused cheaply.
//   * Truncated files are detected from their structure (OpenCV alone would return garbage for
//     a JPEG) and refused with ErrorCode::kTruncated unless allow_truncated is set, in which case
//     a JPEG or GIF is decoded and a warning is added to DecodedImage::warnings.
//   * JPEG is decoded with libjpeg-turbo directly (CMYK/YCCK with Adobe's inversion handled),
//     GIF with giflib, the rest with OpenCV (IMREAD_UNCHANGED, so that orientation is applied
//     exactly once, here; see docs/bad-input-corpus.md for what each bad input returns).
//   * Nothing here ever writes to the input file. No function throws on bad input; every failure
//     is a Result error whose message names the file and the reason.
//
// Thread safety: all functions are reentrant and may be called concurrently.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "logoscope/result.hpp"

namespace logoscope::imageio {

enum class ImageFormat { kUnknown, kJpeg, kPng, kWebp, kBmp, kTiff, kGif, kPnm };

/// Lower-case name ("jpeg", "png", …).
const char* image_format_name(ImageFormat format);

/// What the file header says, read without decoding pixels.
struct ImageInfo {
  ImageFormat format = ImageFormat::kUnknown;
  int stored_width = 0;  ///< pixels as stored in the file
  int stored_height = 0;
  int orientation = 1;  ///< EXIF orientation 1..8 (1 = as stored)
  int bit_depth = 8;    ///< bits per sample as stored
  int channels = 3;     ///< samples per pixel as stored (1 gray, 3 colour, 4 alpha or CMYK)

  /// Size as displayed, after orientation (5..8 swap width and height).
  [[nodiscard]] int width() const;
  [[nodiscard]] int height() const;
  [[nodiscard]] std::int64_t pixel_count() const {
    return static_cast<std::int64_t>(stored_width) * stored_height;
  }
};

/// Default pixel cap: 200 megapixels (a 12000×9000 photo is 108 MP).
inline constexpr std::int64_t kDefaultMaxPixels = 200'000'000;

struct DecodeOptions {
  std::int64_t max_pixels = kDefaultMaxPixels;  ///< refuse larger images (kTooLarge)
  /// Decode truncated files with a warning instead of refusing them (kTruncated). Works for
  /// JPEG and GIF, whose decoders keep what was read; PNG, WebP, BMP, TIFF and PNM data that ends
  /// early cannot be decoded by OpenCV and stays kTruncated.
  bool allow_truncated = false;
  bool apply_orientation = true;  ///< apply EXIF orientation
};

struct DecodedImage {
  cv::Mat rgb;  ///< CV_8UC3, RGB order, continuous, oriented
  /// What the header says. `orientation` is the file's even when apply_orientation is false
  /// (rgb is then as stored, stored_width × stored_height).
  ImageInfo info;
  /// Problems that did not stop decoding, each naming the file: a truncated file decoded with
  /// allow_truncated, damaged JPEG data libjpeg skipped, an unreadable EXIF orientation.
  std::vector<std::string> warnings;
};

/// Reads a whole file. Errors: kNotFound, kIo. `path` is named in every message.
Result<std::vector<std::uint8_t>> read_file_bytes(const std::string& path);

/// Identifies the format from magic bytes (never from the extension).
ImageFormat sniff_image_format(std::span<const std::uint8_t> bytes);

/// Reads the header of an in-memory file. `name` is used in messages.
/// Errors: kUnsupportedFormat (not an image we read, message says what the bytes look like),
/// kTruncated (header cut off), kCorrupt (impossible header values, e.g. zero width).
Result<ImageInfo> probe_image_bytes(std::span<const std::uint8_t> bytes, const std::string& name);

/// Reads only as much of the file as the header needs (JPEG: the segments up to the first scan;
/// TIFF: the 8-byte header and IFD0). Errors: those of probe_image_bytes, plus kNotFound / kIo.
Result<ImageInfo> probe_image_file(const std::string& path);

/// Decodes an in-memory file. `name` is used in messages.
/// Errors: those of probe_image_bytes; kTooLarge (over max_pixels, or OpenCV's own
/// OPENCV_IO_MAX_IMAGE_PIXELS limit, or out of memory); kTruncated (see allow_truncated);
/// kCorrupt (the decoder rejects the data, message says why).
Result<DecodedImage> decode_image_bytes(std::span<const std::uint8_t> bytes, const std::string& name,
                                        const DecodeOptions& options = {});

/// Reads and decodes a file. The pixel cap is checked from the header before the whole file is
/// read. Errors: those of read_file_bytes and decode_image_bytes.
Result<DecodedImage> decode_image_file(const std::string& path, const DecodeOptions& options = {});

/// Writes an RGB (CV_8UC3) image; the format follows the extension (.jpg, .png, .webp, …;
/// `jpeg_quality` also sets WebP quality). With `overwrite`, an existing file is replaced
/// atomically (written beside it, then renamed); without, an existing file is never touched.
/// Errors: kInvalidArgument (not CV_8UC3, empty, no extension, quality outside 0..100),
/// kUnsupportedFormat (OpenCV has no encoder for the extension, e.g. .gif), kNotFound (the
/// parent folder does not exist), kIo (exists and !overwrite, encoding or writing failed).
Status write_image_file(const cv::Mat& rgb, const std::string& path, int jpeg_quality = 92,
                        bool overwrite = true);

}  // namespace logoscope::imageio
