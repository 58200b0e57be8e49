// imageio/image_header.hpp — format sniffing and header parsers for every format imageio reads
// (JPEG SOFn, PNG IHDR, GIF screen and first image descriptor, BMP, WebP VP8/VP8L/VP8X, TIFF
// IFD0, PNM/PAM), plus the checks that the file holds all the data its header promises.
//
// The parsers read through a ByteSource, so probing a file reads only its header region (JPEG:
// the segments up to the first scan; TIFF: the 8-byte header and IFD0 wherever it lies), and
// they never allocate in proportion to the claimed image size.
//
// Thread safety: all functions are reentrant.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "imageio/exif.hpp"
#include "imageio/image_io.hpp"
#include "logoscope/result.hpp"

namespace logoscope::imageio {

/// Everything the header says that decoding needs, beyond ImageInfo.
struct ImageHeader {
  ImageInfo info;
  std::vector<std::string> warnings;          ///< e.g. an EXIF block that could not be read
  std::uint64_t jpeg_scan_offset = 0;         ///< JPEG: first byte after the first SOS segment
  std::uint64_t png_idat_offset = 0;          ///< PNG: position of the first IDAT chunk
  std::uint64_t tiff_orientation_offset = 0;  ///< TIFF: position of the Orientation value; 0: none
  int tiff_orientation_type = 0;              ///< TIFF: its field type (3 SHORT, 4 LONG)
  bool tiff_big_endian = false;               ///< TIFF: "MM" byte order
  std::uint64_t expected_end = 0;             ///< file size the header implies; 0 when unknown
  int pnm_maxval = 0;                         ///< PNM/PAM: the maximum sample value
  char pnm_kind = 0;                          ///< PNM/PAM: the digit after 'P' ('1'..'7')
};

/// Identifies the format from magic bytes (the first 16 bytes suffice).
ImageFormat sniff_format(std::span<const std::uint8_t> head);

/// Describes bytes that are not an image logoscope reads, for messages: "an empty file (0
/// bytes)", "text (starts with \"hello\")", "a PDF document", "unrecognised data (first bytes
/// 3f 8a …)". `head` is the start of the file, `file_size` its full size.
std::string describe_unknown_bytes(std::span<const std::uint8_t> head, std::uint64_t file_size);

/// Parses the header of the file in `source`. With `for_decode`, also reads what only decoding
/// needs (TIFF strip/tile extents); use that only for a MemorySource.
/// Errors, each message starting with "`name`: ": kUnsupportedFormat (not an image format we
/// read, or an unsupported variant such as animated WebP, 12-bit or lossless JPEG), kTruncated
/// (the file ends inside the header or before the image data), kCorrupt (impossible values, e.g.
/// width 0), kIo (the source reported a read error).
Result<ImageHeader> read_image_header(ByteSource& source, const std::string& name, bool for_decode);

/// Largest number of scans accepted in a JPEG: a progressive file has about ten; thousands are a
/// known CPU-exhaustion attack on libjpeg.
inline constexpr int kMaxJpegScans = 1000;

/// Checks that `bytes` (the whole file, already parsed into `header`) holds all the data the
/// header promises: a JPEG end-of-image marker after the scan data, a PNG IEND chunk, a WebP
/// RIFF body, the BMP/PNM pixel rows, the TIFF strips. GIF is checked while decoding.
/// Errors: kTruncated with the reason and the file size; kCorrupt for a JPEG with more than
/// kMaxJpegScans scans.
Status check_image_complete(const ImageHeader& header, std::span<const std::uint8_t> bytes,
                            const std::string& name);

}  // namespace logoscope::imageio
