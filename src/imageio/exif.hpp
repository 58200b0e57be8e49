// imageio/exif.hpp — random access to the bytes of a file, and the TIFF structure (byte-order
// mark, IFDs) that TIFF files and EXIF blocks share: enough of it to find the image size, the
// sample layout, where the pixel data ends, and the orientation.
//
// Nothing here allocates more than the structure it reads (IFD entry counts are capped), and no
// function throws on bad input.
//
// Thread safety: a ByteSource is used by one thread at a time; the free functions are reentrant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "logoscope/result.hpp"

namespace logoscope::imageio {

/// Random read access to the bytes of one file, in memory or on disk.
class ByteSource {
 public:
  ByteSource() = default;
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;
  virtual ~ByteSource() = default;

  /// Total size of the data in bytes.
  [[nodiscard]] virtual std::uint64_t size() const = 0;

  /// Up to `length` bytes starting at `offset`. Fewer only at the end of the data or after a read
  /// error (read_error() then says why). The span stays valid until the next call on this source.
  virtual std::span<const std::uint8_t> view(std::uint64_t offset, std::size_t length) = 0;

  /// Empty, or the description of the first read error.
  [[nodiscard]] const std::string& read_error() const { return read_error_; }

 protected:
  std::string read_error_;
};

/// A ByteSource over bytes in memory. Requires: the bytes outlive the source.
class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  [[nodiscard]] std::uint64_t size() const override { return bytes_.size(); }
  std::span<const std::uint8_t> view(std::uint64_t offset, std::size_t length) override;

 private:
  std::span<const std::uint8_t> bytes_;
};

/// What the header and the first IFD (IFD0) of a TIFF structure say. Offsets are absolute
/// positions in the ByteSource.
struct TiffIfd0 {
  bool big_endian = false;               ///< "MM" byte order
  bool big_tiff = false;                 ///< BigTIFF (magic 43, 8-byte offsets)
  std::uint64_t width = 0;               ///< ImageWidth (256); 0 when absent
  std::uint64_t height = 0;              ///< ImageLength (257); 0 when absent
  int bits_per_sample = 1;               ///< first BitsPerSample (258) value; TIFF's default is 1
  int samples_per_pixel = 1;             ///< SamplesPerPixel (277)
  int photometric = -1;                  ///< PhotometricInterpretation (262); -1 when absent
  int orientation = 1;                   ///< Orientation (274), 1..8; 1 when absent or invalid
  std::uint64_t orientation_offset = 0;  ///< where the orientation value is stored; 0 when absent
  int orientation_type = 0;              ///< its TIFF field type (3 SHORT or 4 LONG); 0 when absent
  std::string orientation_problem;       ///< non-empty when the tag is present but unusable
  std::uint64_t data_end = 0;            ///< end of the last strip or tile (only when asked for)
};

/// Reads the TIFF header at `base` in `source` and its IFD0. TIFF offsets are relative to
/// `base` (0 for a TIFF file; the byte after "Exif\0\0" for an EXIF block). With
/// `want_data_end`, also reads the strip/tile offset and byte-count arrays to fill data_end
/// (which may read the whole IFD's arrays; use it only for data already in memory).
/// Errors (messages prefixed with `name`): kTruncated when the data ends inside the header or
/// IFD0, kCorrupt for a bad byte-order mark, magic number, IFD offset or entry count, kIo when
/// the source reports a read error.
Result<TiffIfd0> read_tiff_ifd0(ByteSource& source, std::uint64_t base, const std::string& name,
                                bool want_data_end);

/// The orientation found in an EXIF payload.
struct ExifOrientation {
  int value = 1;        ///< 1..8; 1 when absent or unusable
  std::string problem;  ///< non-empty when the block or the tag is damaged (value is then 1)
};

/// Reads the orientation from an EXIF payload: a TIFF structure, optionally preceded by
/// "Exif\0\0" (the body of a JPEG APP1 segment, a PNG eXIf chunk or a WebP EXIF chunk).
/// Never fails: damage is reported in `problem` and the orientation is then 1.
ExifOrientation read_exif_orientation(std::span<const std::uint8_t> exif);

}  // namespace logoscope::imageio
