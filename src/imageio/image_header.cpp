#include "imageio/image_header.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string_view>

namespace logoscope::imageio {

namespace {

using namespace std::string_view_literals;

// No real file has more metadata than this before its image data; the limit keeps a crafted
// file from making the header walk read gigabytes.
constexpr std::uint64_t kMaxHeaderBytes = 64ULL << 20;
// EXIF payloads are read for the orientation only, which lives in IFD0 near the start.
constexpr std::size_t kMaxExifBytes = 1 << 20;

Error make_error(ErrorCode code, const std::string& name, const std::string& text) {
  return Error{code, name + ": " + text};
}

std::uint32_t be16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at] << 8 | b[at + 1]);
}
std::uint32_t be32(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at]) << 24 | static_cast<std::uint32_t>(b[at + 1]) << 16 |
         static_cast<std::uint32_t>(b[at + 2]) << 8 | b[at + 3];
}
std::uint32_t le16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at] | b[at + 1] << 8);
}
std::uint32_t le24(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at] | b[at + 1] << 8 | b[at + 2] << 16);
}
std::uint32_t le32(std::span<const std::uint8_t> b, std::size_t at) {
  return le24(b, at) | static_cast<std::uint32_t>(b[at + 3]) << 24;
}

bool has_magic(std::span<const std::uint8_t> bytes, std::size_t at, std::string_view magic) {
  if (bytes.size() < at + magic.size()) return false;
  return std::equal(magic.begin(), magic.end(), bytes.begin() + static_cast<std::ptrdiff_t>(at),
                    [](char m, std::uint8_t b) { return static_cast<std::uint8_t>(m) == b; });
}

// A four-character code as printable text ("IHDR", "VP8 "), with other bytes as '?'.
std::string fourcc(std::span<const std::uint8_t> bytes, std::size_t at) {
  std::string code;
  for (std::size_t i = at; i < at + 4 && i < bytes.size(); ++i) {
    code += std::isprint(bytes[i]) != 0 ? static_cast<char>(bytes[i]) : '?';
  }
  return code;
}

std::string hex_byte(unsigned value) {
  std::array<char, 8> text{};
  std::snprintf(text.data(), text.size(), "%02x", value & 0xFFU);
  return text.data();
}

std::string dims(std::uint64_t width, std::uint64_t height) {
  return std::to_string(width) + "x" + std::to_string(height);
}

// Turns a short read into kIo when the source failed, else into the given error.
Error short_read(ByteSource& source, ErrorCode code, const std::string& name, const std::string& text) {
  if (!source.read_error().empty()) return make_error(ErrorCode::kIo, name, source.read_error());
  return make_error(code, name, text);
}

void add_exif_orientation(ImageHeader& header, std::span<const std::uint8_t> payload,
                          const std::string& name) {
  const ExifOrientation exif = read_exif_orientation(payload);
  header.info.orientation = exif.value;
  if (!exif.problem.empty()) {
    header.warnings.push_back(name + ": orientation ignored: " + exif.problem);
  }
}

// ---------------------------------------------------------------- JPEG

bool is_jpeg_sof(std::uint8_t marker) {
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

Result<ImageHeader> parse_jpeg(ByteSource& source, const std::string& name) {
  ImageHeader header;
  header.info.format = ImageFormat::kJpeg;
  const std::uint64_t size = source.size();
  auto cut_off = [&](std::uint64_t at) {
    return short_read(source, ErrorCode::kTruncated, name,
                      "truncated JPEG: the file ends at byte " + std::to_string(std::min(at, size)) +
                          " inside the header, before the image data (no SOS marker)");
  };
  std::uint64_t pos = 2;
  bool have_frame = false;
  bool have_exif = false;
  while (true) {
    if (pos > kMaxHeaderBytes) {
      return make_error(ErrorCode::kCorrupt, name, "corrupt JPEG: no image data (SOS) in the first 64 MiB");
    }
    auto marker_bytes = source.view(pos, 4);
    if (marker_bytes.size() < 2) return cut_off(pos);
    if (marker_bytes[0] != 0xFF) {
      // Like libjpeg (which warns about them when decoding), skip bytes up to the next 0xFF.
      bool found = false;
      while (!found && pos < size && pos <= kMaxHeaderBytes) {
        const auto chunk = source.view(pos, 4096);
        if (chunk.empty()) break;
        const auto* hit = static_cast<const std::uint8_t*>(std::memchr(chunk.data(), 0xFF, chunk.size()));
        if (hit != nullptr) {
          pos += static_cast<std::uint64_t>(hit - chunk.data());
          found = true;
        } else {
          pos += chunk.size();
        }
      }
      if (!found) return cut_off(pos);
      continue;
    }
    const std::uint8_t marker = marker_bytes[1];
    if (marker == 0xFF) {  // fill byte
      pos += 1;
      continue;
    }
    if (marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
      pos += 2;
      continue;
    }
    if (marker == 0xD8) {
      return make_error(ErrorCode::kCorrupt, name,
                        "corrupt JPEG: second start-of-image marker at byte " + std::to_string(pos));
    }
    if (marker == 0xD9) {
      return make_error(ErrorCode::kCorrupt, name,
                        "corrupt JPEG: end-of-image marker at byte " + std::to_string(pos) +
                            " before any image data (no SOS marker)");
    }
    if (marker_bytes.size() < 4) return cut_off(pos);
    const std::uint32_t length = be16(marker_bytes, 2);
    if (length < 2) {
      return make_error(ErrorCode::kCorrupt, name,
                        "corrupt JPEG: segment 0xff" + hex_byte(marker) + " at byte " + std::to_string(pos) +
                            " has length " + std::to_string(length));
    }
    const std::uint64_t payload_at = pos + 4;
    const std::size_t payload_size = length - 2;
    const std::uint64_t segment_end = pos + 2 + length;
    if (is_jpeg_sof(marker) && !have_frame) {
      const auto sof = source.view(payload_at, payload_size);
      if (sof.size() < payload_size) return cut_off(size);
      if (sof.size() < 6) {
        return make_error(
            ErrorCode::kCorrupt, name,
            "corrupt JPEG: frame header (SOF) of " + std::to_string(length) + " bytes is too short");
      }
      const int precision = sof[0];
      const std::uint32_t height = be16(sof, 1);
      const std::uint32_t width = be16(sof, 3);
      const int components = sof[5];
      const std::string sof_name = "SOF" + std::to_string(marker - 0xC0);
      if (marker == 0xC3 || marker == 0xC7 || marker == 0xCB || marker == 0xCF) {
        return make_error(ErrorCode::kUnsupportedFormat, name,
                          "lossless JPEG (" + sof_name + ") is not supported");
      }
      if (marker == 0xC5 || marker == 0xC6 || marker == 0xCD || marker == 0xCE) {
        return make_error(ErrorCode::kUnsupportedFormat, name,
                          "hierarchical JPEG (" + sof_name + ") is not supported");
      }
      if (precision != 8) {
        return make_error(precision == 12 ? ErrorCode::kUnsupportedFormat : ErrorCode::kCorrupt, name,
                          std::to_string(precision) + "-bit JPEG samples are not supported (only 8-bit)");
      }
      if (width == 0 || height == 0) {
        return make_error(ErrorCode::kCorrupt, name,
                          "corrupt JPEG: the frame header says " + dims(width, height) +
                              " pixels (width and height must be at least 1)");
      }
      if (components != 1 && components != 3 && components != 4) {
        return make_error(ErrorCode::kUnsupportedFormat, name,
                          "JPEG with " + std::to_string(components) +
                              " colour components is not supported (only 1, 3 or 4)");
      }
      if (sof.size() < 6 + 3 * static_cast<std::size_t>(components)) {
        return make_error(ErrorCode::kCorrupt, name,
                          "corrupt JPEG: frame header too short for its components");
      }
      header.info.stored_width = static_cast<int>(width);
      header.info.stored_height = static_cast<int>(height);
      header.info.bit_depth = precision;
      header.info.channels = components;
      have_frame = true;
    } else if (marker == 0xE1 && !have_exif && payload_size >= 6) {
      const auto payload = source.view(payload_at, payload_size);
      if (payload.size() < payload_size) return cut_off(size);
      if (has_magic(payload, 0, "Exif\0\0"sv)) {
        have_exif = true;
        add_exif_orientation(header, payload, name);
      }
    } else if (marker == 0xDA) {
      if (!have_frame) {
        return make_error(
            ErrorCode::kCorrupt, name,
            "corrupt JPEG: scan (SOS) at byte " + std::to_string(pos) + " before any frame header (SOF)");
      }
      if (segment_end > size) {
        return short_read(source, ErrorCode::kTruncated, name,
                          "truncated JPEG: the file ends inside the scan header (file is " +
                              std::to_string(size) + " bytes)");
      }
      header.jpeg_scan_offset = segment_end;
      return header;
    }
    pos = segment_end;
  }
}

// Scans the entropy-coded data for the end-of-image marker, skipping the segments that may sit
// between the scans of a progressive file.
Status check_jpeg_complete(const ImageHeader& header, std::span<const std::uint8_t> bytes,
                           const std::string& name) {
  const std::size_t size = bytes.size();
  auto truncated = [&]() -> Status {
    // A damaged scan can hide the marker from the walk; an EOI closing the file still counts.
    if (size >= header.jpeg_scan_offset + 2 && bytes[size - 2] == 0xFF && bytes[size - 1] == 0xD9) {
      return Ok{};
    }
    return make_error(ErrorCode::kTruncated, name,
                      "truncated JPEG: no end-of-image marker after the scan data (file is " +
                          std::to_string(size) + " bytes)");
  };
  std::size_t pos = static_cast<std::size_t>(header.jpeg_scan_offset);
  int scans = 1;
  while (pos < size) {
    const auto* hit = static_cast<const std::uint8_t*>(std::memchr(bytes.data() + pos, 0xFF, size - pos));
    if (hit == nullptr) return truncated();
    pos = static_cast<std::size_t>(hit - bytes.data());
    if (pos + 1 >= size) return truncated();
    const std::uint8_t marker = bytes[pos + 1];
    if (marker == 0xD9) return Ok{};
    if (marker == 0xFF) {
      pos += 1;
      continue;
    }
    const bool between_scans = marker == 0xDA || marker == 0xC4 || marker == 0xDB || marker == 0xDD ||
                               marker == 0xFE || marker == 0xDC || marker == 0xCC ||
                               (marker >= 0xE0 && marker <= 0xEF);
    if (!between_scans) {
      // Stuffed zero, restart marker, or damaged data: libjpeg copes, keep scanning.
      pos += 2;
      continue;
    }
    if (pos + 4 > size) return truncated();
    const std::uint32_t length = be16(bytes, pos + 2);
    if (marker == 0xDA && ++scans > kMaxJpegScans) {
      return make_error(ErrorCode::kCorrupt, name,
                        "corrupt JPEG: more than " + std::to_string(kMaxJpegScans) +
                            " scans (a progressive JPEG has about ten)");
    }
    pos += 2 + std::max<std::uint32_t>(length, 2);
  }
  return truncated();
}

// ---------------------------------------------------------------- PNG

Result<ImageHeader> parse_png(ByteSource& source, const std::string& name) {
  ImageHeader header;
  header.info.format = ImageFormat::kPng;
  const std::uint64_t size = source.size();
  const auto ihdr = source.view(0, 33);
  if (ihdr.size() < 33) {
    return short_read(
        source, ErrorCode::kTruncated, name,
        "truncated PNG: the header (IHDR) is cut off (file is " + std::to_string(size) + " bytes)");
  }
  if (be32(ihdr, 8) != 13 || !has_magic(ihdr, 12, "IHDR")) {
    return make_error(ErrorCode::kCorrupt, name,
                      "corrupt PNG: the first chunk is '" + fourcc(ihdr, 12) + "' of " +
                          std::to_string(be32(ihdr, 8)) + " bytes, not a 13-byte IHDR");
  }
  const std::uint32_t width = be32(ihdr, 16);
  const std::uint32_t height = be32(ihdr, 20);
  const int depth = ihdr[24];
  const int colour_type = ihdr[25];
  if (width == 0 || height == 0 || width > INT_MAX || height > INT_MAX) {
    return make_error(
        ErrorCode::kCorrupt, name,
        "corrupt PNG: IHDR says " + dims(width, height) + " pixels (each side must be 1..2147483647)");
  }
  bool depth_ok = false;
  switch (colour_type) {
    case 0:
      depth_ok = depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
      break;
    case 3:
      depth_ok = depth == 1 || depth == 2 || depth == 4 || depth == 8;
      break;
    case 2:
    case 4:
    case 6:
      depth_ok = depth == 8 || depth == 16;
      break;
    default:
      return make_error(ErrorCode::kCorrupt, name,
                        "corrupt PNG: unknown colour type " + std::to_string(colour_type));
  }
  if (!depth_ok) {
    return make_error(ErrorCode::kCorrupt, name,
                      "corrupt PNG: bit depth " + std::to_string(depth) + " is not allowed for colour type " +
                          std::to_string(colour_type));
  }
  if (ihdr[26] != 0 || ihdr[27] != 0 || ihdr[28] > 1) {
    return make_error(ErrorCode::kCorrupt, name,
                      "corrupt PNG: unknown compression, filter or interlace method in IHDR");
  }
  header.info.stored_width = static_cast<int>(width);
  header.info.stored_height = static_cast<int>(height);
  header.info.bit_depth = depth;
  static constexpr std::array<int, 7> kChannels = {1, 0, 3, 3, 2, 0, 4};
  header.info.channels = kChannels[static_cast<std::size_t>(colour_type)];

  std::uint64_t pos = 33;
  bool have_exif = false;
  while (true) {
    if (pos > kMaxHeaderBytes) {
      return make_error(ErrorCode::kCorrupt, name, "corrupt PNG: no image data (IDAT) in the first 64 MiB");
    }
    const auto chunk = source.view(pos, 8);
    if (chunk.size() < 8) {
      return short_read(source, ErrorCode::kTruncated, name,
                        "truncated PNG: the file ends at byte " + std::to_string(size) +
                            " before the image data (no IDAT chunk)");
    }
    const std::uint32_t length = be32(chunk, 0);
    if (length > 0x7FFFFFFFU) {
      return make_error(ErrorCode::kCorrupt, name,
                        "corrupt PNG: chunk '" + fourcc(chunk, 4) + "' at byte " + std::to_string(pos) +
                            " has length " + std::to_string(length));
    }
    if (has_magic(chunk, 4, "IDAT")) {
      header.png_idat_offset = pos;
      return header;
    }
    if (has_magic(chunk, 4, "IEND")) {
      return make_error(ErrorCode::kCorrupt, name,
                        "corrupt PNG: IEND at byte " + std::to_string(pos) + " before any image data (IDAT)");
    }
    if (has_magic(chunk, 4, "eXIf") && !have_exif) {
      const std::size_t wanted = std::min<std::size_t>(length, kMaxExifBytes);
      const auto payload = source.view(pos + 8, wanted);
      if (payload.size() < wanted) {
        return short_read(source, ErrorCode::kTruncated, name,
                          "truncated PNG: the file ends inside the eXIf chunk (file is " +
                              std::to_string(size) + " bytes)");
      }
      have_exif = true;
      add_exif_orientation(header, payload, name);
    } else if (has_magic(chunk, 4, "tRNS") && (colour_type == 0 || colour_type == 2 || colour_type == 3)) {
      header.info.channels = colour_type == 0 ? 2 : 4;
    }
    pos += 12 + static_cast<std::uint64_t>(length);
  }
}

Status check_png_complete(const ImageHeader& header, std::span<const std::uint8_t> bytes,
                          const std::string& name) {
  const std::uint64_t size = bytes.size();
  std::uint64_t pos = header.png_idat_offset;
  std::string last = "IHDR";
  while (pos + 8 <= size) {
    const std::uint64_t length = be32(bytes, static_cast<std::size_t>(pos));
    const std::string type = fourcc(bytes, static_cast<std::size_t>(pos) + 4);
    if (pos + 12 + length > size) {
      return make_error(ErrorCode::kTruncated, name,
                        "truncated PNG: no IEND chunk, the data ends inside chunk '" + type + "' (file is " +
                            std::to_string(size) + " bytes)");
    }
    if (type == "IEND") return Ok{};
    last = type;
    pos += 12 + length;
  }
  return make_error(ErrorCode::kTruncated, name,
                    "truncated PNG: no IEND chunk, the data ends after chunk '" + last + "' (file is " +
                        std::to_string(size) + " bytes)");
}

// ---------------------------------------------------------------- GIF

Result<ImageHeader> parse_gif(ByteSource& source, const std::string& name) {
  ImageHeader header;
  header.info.format = ImageFormat::kGif;
  const std::uint64_t size = source.size();
  auto cut_off = [&] {
    return short_read(
        source, ErrorCode::kTruncated, name,
        "truncated GIF: the file ends at byte " + std::to_string(size) + " before the first image");
  };
  const auto screen = source.view(0, 13);
  if (screen.size() < 13) return cut_off();
  std::uint32_t width = le16(screen, 6);
  std::uint32_t height = le16(screen, 8);
  const std::uint8_t flags = screen[10];
  std::uint64_t pos = 13;
  if ((flags & 0x80U) != 0) pos += 3U << ((flags & 7U) + 1);
  while (true) {
    if (pos > kMaxHeaderBytes) {
      return make_error(ErrorCode::kCorrupt, name, "corrupt GIF: no image in the first 64 MiB");
    }
    const auto block = source.view(pos, 10);
    if (block.empty()) return cut_off();
    if (block[0] == 0x21) {  // extension: label, then sub-blocks up to a zero length
      pos += 2;
      while (true) {
        const auto length = source.view(pos, 1);
        if (length.empty()) return cut_off();
        pos += 1 + length[0];
        if (length[0] == 0) break;
      }
    } else if (block[0] == 0x2C) {
      if (block.size() < 10) return cut_off();
      const std::uint32_t left = le16(block, 1);
      const std::uint32_t top = le16(block, 3);
      const std::uint32_t frame_width = le16(block, 5);
      const std::uint32_t frame_height = le16(block, 7);
      if (frame_width == 0 || frame_height == 0) {
        return make_error(ErrorCode::kCorrupt, name,
                          "corrupt GIF: the first image is " + dims(frame_width, frame_height) + " pixels");
      }
      if (width == 0 || height == 0) {
        width = left + frame_width;
        height = top + frame_height;
      }
      break;
    } else if (block[0] == 0x3B) {
      return make_error(ErrorCode::kCorrupt, name, "corrupt GIF: the trailer comes before any image");
    } else {
      return make_error(
          ErrorCode::kCorrupt, name,
          "corrupt GIF: unexpected block type 0x" + hex_byte(block[0]) + " at byte " + std::to_string(pos));
    }
  }
  header.info.stored_width = static_cast<int>(width);
  header.info.stored_height = static_cast<int>(height);
  header.info.bit_depth = 8;
  header.info.channels = 3;
  return header;
}

// ---------------------------------------------------------------- BMP

bool is_bmp_dib_size(std::uint32_t size) {
  return size == 12 || size == 16 || size == 40 || size == 52 || size == 56 || size == 64 || size == 108 ||
         size == 124;
}

Result<ImageHeader> parse_bmp(ByteSource& source, const std::string& name) {
  ImageHeader header;
  header.info.format = ImageFormat::kBmp;
  const std::uint64_t size = source.size();
  const auto b = source.view(0, 34);
  auto cut_off = [&] {
    return short_read(source, ErrorCode::kTruncated, name,
                      "truncated BMP: the header is cut off (file is " + std::to_string(size) + " bytes)");
  };
  if (b.size() < 18) return cut_off();
  const std::uint32_t pixel_offset = le32(b, 10);
  const std::uint32_t dib_size = le32(b, 14);
  if (!is_bmp_dib_size(dib_size)) {
    return make_error(ErrorCode::kCorrupt, name,
                      "corrupt BMP: unknown info header size " + std::to_string(dib_size));
  }
  std::int64_t width = 0;
  std::int64_t height = 0;
  std::uint32_t bits = 0;
  std::uint32_t compression = 0;
  if (dib_size == 12) {
    if (b.size() < 26) return cut_off();
    width = le16(b, 18);
    height = le16(b, 20);
    bits = le16(b, 24);
  } else {
    const std::size_t needed = dib_size >= 40 ? 34 : 30;
    if (b.size() < needed) return cut_off();
    width = static_cast<std::int32_t>(le32(b, 18));
    height = static_cast<std::int32_t>(le32(b, 22));
    bits = le16(b, 28);
    if (dib_size >= 40) compression = le32(b, 30);
  }
  if (width <= 0 || height == 0 || height == INT_MIN) {
    return make_error(
        ErrorCode::kCorrupt, name,
        "corrupt BMP: the header says width " + std::to_string(width) + ", height " + std::to_string(height));
  }
  if (bits != 1 && bits != 4 && bits != 8 && bits != 16 && bits != 24 && bits != 32) {
    return make_error(ErrorCode::kCorrupt, name, "corrupt BMP: " + std::to_string(bits) + " bits per pixel");
  }
  if (compression == 4 || compression == 5) {
    return make_error(
        ErrorCode::kUnsupportedFormat, name,
        std::string("BMP with embedded ") + (compression == 4 ? "JPEG" : "PNG") + " data is not supported");
  }
  if (compression > 6) {
    return make_error(ErrorCode::kCorrupt, name,
                      "corrupt BMP: unknown compression " + std::to_string(compression));
  }
  const std::uint64_t rows = static_cast<std::uint64_t>(height < 0 ? -height : height);
  header.info.stored_width = static_cast<int>(width);
  header.info.stored_height = static_cast<int>(rows);
  header.info.bit_depth = 8;
  header.info.channels = bits == 32 ? 4 : 3;
  if (compression == 0 || compression == 3 || compression == 6) {
    const std::uint64_t stride = (static_cast<std::uint64_t>(width) * bits + 31) / 32 * 4;
    header.expected_end = pixel_offset + stride * rows;
  }
  return header;
}

// ---------------------------------------------------------------- WebP

Result<ImageHeader> parse_webp(ByteSource& source, const std::string& name) {
  ImageHeader header;
  header.info.format = ImageFormat::kWebp;
  const std::uint64_t size = source.size();
  auto cut_off = [&] {
    return short_read(source, ErrorCode::kTruncated, name,
                      "truncated WebP: the header is cut off (file is " + std::to_string(size) + " bytes)");
  };
  const auto b = source.view(0, 30);
  if (b.size() < 20) return cut_off();
  const std::uint32_t riff_size = le32(b, 4);
  header.expected_end = 8 + static_cast<std::uint64_t>(riff_size);
  const std::string chunk = fourcc(b, 12);
  const std::uint32_t chunk_size = le32(b, 16);
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  header.info.bit_depth = 8;
  header.info.channels = 3;
  if (chunk == "VP8 ") {
    if (b.size() < 30) return cut_off();
    if ((b[20] & 1U) != 0 || b[23] != 0x9D || b[24] != 0x01 || b[25] != 0x2A) {
      return make_error(ErrorCode::kCorrupt, name,
                        "corrupt WebP: the VP8 data does not start with a key frame");
    }
    width = le16(b, 26) & 0x3FFFU;
    height = le16(b, 28) & 0x3FFFU;
  } else if (chunk == "VP8L") {
    if (b.size() < 25) return cut_off();
    if (b[20] != 0x2F) {
      return make_error(ErrorCode::kCorrupt, name, "corrupt WebP: bad VP8L signature");
    }
    const std::uint32_t bits = le32(b, 21);
    if ((bits >> 29) != 0) {
      return make_error(ErrorCode::kCorrupt, name, "corrupt WebP: unknown VP8L version");
    }
    width = (bits & 0x3FFFU) + 1;
    height = ((bits >> 14) & 0x3FFFU) + 1;
    if (((bits >> 28) & 1U) != 0) header.info.channels = 4;
  } else if (chunk == "VP8X") {
    if (b.size() < 30) return cut_off();
    const std::uint8_t flags = b[20];
    if ((flags & 0x02U) != 0) {
      return make_error(ErrorCode::kUnsupportedFormat, name, "animated WebP is not supported");
    }
    width = le24(b, 24) + 1;
    height = le24(b, 27) + 1;
    if ((flags & 0x10U) != 0) header.info.channels = 4;
    if ((flags & 0x08U) != 0) {
      // The EXIF chunk usually follows the image data: walk the chunk headers to it.
      std::uint64_t pos = 20 + static_cast<std::uint64_t>(chunk_size) + (chunk_size & 1U);
      while (pos + 8 <= std::min(size, header.expected_end)) {
        const auto next = source.view(pos, 8);
        if (next.size() < 8) break;
        const std::uint32_t next_size = le32(next, 4);
        if (has_magic(next, 0, "EXIF")) {
          const std::size_t wanted = std::min<std::size_t>(next_size, kMaxExifBytes);
          const auto payload = source.view(pos + 8, wanted);
          if (payload.size() == wanted) add_exif_orientation(header, payload, name);
          break;
        }
        pos += 8 + static_cast<std::uint64_t>(next_size) + (next_size & 1U);
      }
    }
  } else {
    return make_error(ErrorCode::kCorrupt, name, "corrupt WebP: unknown first chunk '" + chunk + "'");
  }
  if (width == 0 || height == 0) {
    return make_error(ErrorCode::kCorrupt, name,
                      "corrupt WebP: the header says " + dims(width, height) + " pixels");
  }
  header.info.stored_width = static_cast<int>(width);
  header.info.stored_height = static_cast<int>(height);
  return header;
}

// ---------------------------------------------------------------- TIFF

Result<ImageHeader> parse_tiff(ByteSource& source, const std::string& name, bool for_decode) {
  auto ifd = read_tiff_ifd0(source, 0, name, for_decode);
  if (!ifd) return ifd.error();
  ImageHeader header;
  header.info.format = ImageFormat::kTiff;
  if (ifd->width == 0 || ifd->height == 0 || ifd->width > INT_MAX || ifd->height > INT_MAX) {
    return make_error(ErrorCode::kCorrupt, name,
                      "corrupt TIFF: IFD0 says " + dims(ifd->width, ifd->height) +
                          " pixels (ImageWidth/ImageLength missing, 0 or too large)");
  }
  header.info.stored_width = static_cast<int>(ifd->width);
  header.info.stored_height = static_cast<int>(ifd->height);
  header.info.bit_depth = ifd->bits_per_sample;
  header.info.channels = ifd->samples_per_pixel;
  header.info.orientation = ifd->orientation;
  header.tiff_orientation_offset = ifd->orientation_offset;
  header.tiff_orientation_type = ifd->orientation_type;
  header.tiff_big_endian = ifd->big_endian;
  header.expected_end = ifd->data_end;
  if (!ifd->orientation_problem.empty()) {
    header.warnings.push_back(name + ": orientation ignored: " + ifd->orientation_problem);
  }
  return header;
}

// ---------------------------------------------------------------- PNM / PAM

// Reads the whitespace-separated header fields of a PNM file, skipping '#' comments.
class PnmTokenizer {
 public:
  explicit PnmTokenizer(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  // Next token, or empty at the end of the buffer.
  std::string_view next() {
    while (pos_ < bytes_.size()) {
      if (bytes_[pos_] == '#') {
        while (pos_ < bytes_.size() && bytes_[pos_] != '\n' && bytes_[pos_] != '\r') ++pos_;
      } else if (std::isspace(bytes_[pos_]) != 0) {
        ++pos_;
      } else {
        break;
      }
    }
    const std::size_t start = pos_;
    while (pos_ < bytes_.size() && std::isspace(bytes_[pos_]) == 0 && bytes_[pos_] != '#') ++pos_;
    return {reinterpret_cast<const char*>(bytes_.data()) + start, pos_ - start};
  }

  // Skips the rest of the current line (PAM TUPLTYPE values).
  void skip_line() {
    while (pos_ < bytes_.size() && bytes_[pos_] != '\n') ++pos_;
  }

  [[nodiscard]] std::size_t position() const { return pos_; }
  [[nodiscard]] bool at_end() const { return pos_ >= bytes_.size(); }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 2;
};

// A non-negative decimal number up to INT_MAX, or -1.
std::int64_t parse_count(std::string_view token) {
  if (token.empty() || token.size() > 10) return -1;
  std::int64_t value = 0;
  for (const char c : token) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value <= INT_MAX ? value : -1;
}

Result<ImageHeader> parse_pnm(ByteSource& source, const std::string& name) {
  ImageHeader header;
  header.info.format = ImageFormat::kPnm;
  const std::uint64_t size = source.size();
  constexpr std::size_t kMaxPnmHeader = std::size_t{64} << 10;
  const auto b = source.view(0, kMaxPnmHeader);
  const char kind = static_cast<char>(b[1]);
  PnmTokenizer tokens(b);
  auto incomplete = [&] {
    if (b.size() < kMaxPnmHeader) {
      return short_read(source, ErrorCode::kTruncated, name,
                        "truncated PNM: the header is cut off (file is " + std::to_string(size) + " bytes)");
    }
    return make_error(ErrorCode::kCorrupt, name, "corrupt PNM: header longer than 64 KiB");
  };
  auto bad_field = [&](std::string_view field, std::string_view token) {
    return make_error(ErrorCode::kCorrupt, name,
                      "corrupt PNM: bad " + std::string(field) + " '" + std::string(token.substr(0, 20)) +
                          "' in the header");
  };
  std::int64_t width = -1;
  std::int64_t height = -1;
  std::int64_t maxval = 1;
  std::int64_t depth = (kind == '3' || kind == '6') ? 3 : 1;
  if (kind == '7') {
    while (true) {
      const std::string_view key = tokens.next();
      if (key.empty()) return incomplete();
      if (key == "ENDHDR") break;
      if (key == "TUPLTYPE") {
        tokens.skip_line();
        continue;
      }
      const std::string_view value = tokens.next();
      if (value.empty()) return incomplete();
      const std::int64_t number = parse_count(value);
      if (number < 0) return bad_field(key, value);
      if (key == "WIDTH") {
        width = number;
      } else if (key == "HEIGHT") {
        height = number;
      } else if (key == "DEPTH") {
        depth = number;
      } else if (key == "MAXVAL") {
        maxval = number;
      } else {
        return make_error(ErrorCode::kCorrupt, name,
                          "corrupt PAM: unknown header field '" + std::string(key.substr(0, 20)) + "'");
      }
    }
    if (depth < 1 || depth > 4) {
      return make_error(ErrorCode::kUnsupportedFormat, name,
                        "PAM with depth " + std::to_string(depth) + " is not supported (1..4)");
    }
  } else {
    const bool has_maxval = kind != '1' && kind != '4';
    for (int field = 0; field < (has_maxval ? 3 : 2); ++field) {
      const std::string_view token = tokens.next();
      if (token.empty() || tokens.at_end()) return incomplete();
      const std::int64_t number = parse_count(token);
      static constexpr std::array<std::string_view, 3> kFields = {"width", "height", "maxval"};
      if (number < 0) return bad_field(kFields[static_cast<std::size_t>(field)], token);
      (field == 0 ? width : field == 1 ? height : maxval) = number;
    }
  }
  if (width < 0 || height < 0) {
    return make_error(ErrorCode::kCorrupt, name, "corrupt PAM: WIDTH or HEIGHT missing");
  }
  if (width == 0 || height == 0) {
    return make_error(ErrorCode::kCorrupt, name,
                      "corrupt PNM: the header says " +
                          dims(static_cast<std::uint64_t>(width), static_cast<std::uint64_t>(height)) +
                          " pixels");
  }
  if (maxval < 1 || maxval > 65535) {
    return make_error(ErrorCode::kCorrupt, name,
                      "corrupt PNM: maxval " + std::to_string(maxval) + " is not 1..65535");
  }
  // Exactly one whitespace byte separates the header from binary data.
  const std::uint64_t data_offset = tokens.position() + 1;
  header.info.stored_width = static_cast<int>(width);
  header.info.stored_height = static_cast<int>(height);
  header.info.channels = static_cast<int>(depth);
  header.info.bit_depth = (kind == '1' || kind == '4') ? 1 : maxval > 255 ? 16 : 8;
  header.pnm_maxval = static_cast<int>(maxval);
  header.pnm_kind = kind;
  const auto pixels = static_cast<std::uint64_t>(width) * static_cast<std::uint64_t>(height);
  if (kind == '4') {
    header.expected_end =
        data_offset + (static_cast<std::uint64_t>(width) + 7) / 8 * static_cast<std::uint64_t>(height);
  } else if (kind == '5' || kind == '6' || kind == '7') {
    header.expected_end = data_offset + pixels * static_cast<std::uint64_t>(depth) * (maxval > 255 ? 2 : 1);
  }
  return header;
}

const char* truncation_noun(ImageFormat format) {
  switch (format) {
    case ImageFormat::kBmp:
      return "BMP: the pixel rows need";
    case ImageFormat::kWebp:
      return "WebP: the RIFF header promises";
    case ImageFormat::kTiff:
      return "TIFF: the strips/tiles need";
    case ImageFormat::kPnm:
      return "PNM: the pixel data needs";
    default:
      return "image: the header promises";
  }
}

}  // namespace

ImageFormat sniff_format(std::span<const std::uint8_t> head) {
  if (head.size() >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF) {
    return ImageFormat::kJpeg;
  }
  if (has_magic(head, 0, "\x89PNG\r\n\x1a\n"sv)) return ImageFormat::kPng;
  if (has_magic(head, 0, "GIF87a"sv) || has_magic(head, 0, "GIF89a"sv)) return ImageFormat::kGif;
  if (has_magic(head, 0, "II*\0"sv) || has_magic(head, 0, "MM\0*"sv) || has_magic(head, 0, "II+\0"sv) ||
      has_magic(head, 0, "MM\0+"sv)) {
    return ImageFormat::kTiff;
  }
  if (has_magic(head, 0, "RIFF"sv) && has_magic(head, 8, "WEBP"sv)) return ImageFormat::kWebp;
  // "BM" alone would also match text; short files are still BMP so that they report truncation.
  if (has_magic(head, 0, "BM"sv) && (head.size() < 18 || is_bmp_dib_size(le32(head, 14)))) {
    return ImageFormat::kBmp;
  }
  if (head.size() >= 3 && head[0] == 'P' && head[1] >= '1' && head[1] <= '7' && std::isspace(head[2]) != 0) {
    return ImageFormat::kPnm;
  }
  return ImageFormat::kUnknown;
}

std::string describe_unknown_bytes(std::span<const std::uint8_t> head, std::uint64_t file_size) {
  if (file_size == 0) return "an empty file (0 bytes)";
  struct Known {
    std::size_t at;
    std::string_view magic;
    const char* what;
  };
  static constexpr std::array<Known, 12> kKnown = {{
      {0, "%PDF"sv, "a PDF document"},
      {0, "PK\x03\x04"sv, "a ZIP archive"},
      {0, "\x1f\x8b"sv, "a gzip archive"},
      {0, "8BPS"sv, "a Photoshop document"},
      {0, "\0\0\0\x0cjP  "sv, "a JPEG 2000 image, which logoscope does not read"},
      {0, "\xff\x0a"sv, "a JPEG XL image, which logoscope does not read"},
      {4, "ftypavif"sv, "an AVIF image, which logoscope does not read"},
      {4, "ftypheic"sv, "a HEIC image, which logoscope does not read"},
      {4, "ftypmif1"sv, "a HEIF image, which logoscope does not read"},
      {4, "ftyp"sv, "an ISO media file (MP4/MOV/HEIF)"},
      {0, "RIFF"sv, "a RIFF file that is not WebP"},
      {0, "\0\0\1\0"sv, "a Windows icon"},
  }};
  for (const Known& known : kKnown) {
    if (has_magic(head, known.at, known.magic)) return known.what;
  }
  const std::size_t sample = std::min<std::size_t>(head.size(), 512);
  bool text = sample > 0;
  for (std::size_t i = 0; i < sample && text; ++i) {
    const std::uint8_t c = head[i];
    text = c >= 0x20 || c == '\n' || c == '\r' || c == '\t';
  }
  if (text) {
    std::string start;
    for (std::size_t i = 0; i < sample && start.size() < 24; ++i) {
      const std::uint8_t c = head[i];
      start += (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : ' ';
    }
    return "text (starts with \"" + start + "\")";
  }
  std::string hex;
  for (std::size_t i = 0; i < std::min<std::size_t>(head.size(), 8); ++i) {
    hex += (i == 0 ? "" : " ") + hex_byte(head[i]);
  }
  return "unrecognised data (first bytes " + hex + ")";
}

Result<ImageHeader> read_image_header(ByteSource& source, const std::string& name, bool for_decode) {
  const auto head_view = source.view(0, 16);
  if (!source.read_error().empty()) return make_error(ErrorCode::kIo, name, source.read_error());
  const std::vector<std::uint8_t> head(head_view.begin(), head_view.end());
  Result<ImageHeader> header = Error{ErrorCode::kUnsupportedFormat, ""};
  switch (sniff_format(head)) {
    case ImageFormat::kJpeg:
      header = parse_jpeg(source, name);
      break;
    case ImageFormat::kPng:
      header = parse_png(source, name);
      break;
    case ImageFormat::kGif:
      header = parse_gif(source, name);
      break;
    case ImageFormat::kBmp:
      header = parse_bmp(source, name);
      break;
    case ImageFormat::kWebp:
      header = parse_webp(source, name);
      break;
    case ImageFormat::kTiff:
      header = parse_tiff(source, name, for_decode);
      break;
    case ImageFormat::kPnm:
      header = parse_pnm(source, name);
      break;
    case ImageFormat::kUnknown: {
      const auto sample = source.view(0, 512);
      return make_error(
          ErrorCode::kUnsupportedFormat, name,
          "not an image format logoscope reads: " + describe_unknown_bytes(sample, source.size()));
    }
  }
  if (!source.read_error().empty()) return make_error(ErrorCode::kIo, name, source.read_error());
  return header;
}

Status check_image_complete(const ImageHeader& header, std::span<const std::uint8_t> bytes,
                            const std::string& name) {
  switch (header.info.format) {
    case ImageFormat::kJpeg:
      return check_jpeg_complete(header, bytes, name);
    case ImageFormat::kPng:
      return check_png_complete(header, bytes, name);
    default:
      break;
  }
  if (header.expected_end > bytes.size()) {
    return make_error(ErrorCode::kTruncated, name,
                      std::string("truncated ") + truncation_noun(header.info.format) + " " +
                          std::to_string(header.expected_end) + " bytes, the file has " +
                          std::to_string(bytes.size()));
  }
  return Ok{};
}

}  // namespace logoscope::imageio
