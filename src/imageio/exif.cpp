#include "imageio/exif.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <vector>

namespace logoscope::imageio {

std::span<const std::uint8_t> MemorySource::view(std::uint64_t offset, std::size_t length) {
  if (offset >= bytes_.size()) return {};
  const std::uint64_t available = bytes_.size() - offset;
  return bytes_.subspan(static_cast<std::size_t>(offset),
                        static_cast<std::size_t>(std::min<std::uint64_t>(length, available)));
}

namespace {

// An IFD can hold at most a few hundred meaningful tags; this bounds the work on a crafted count.
constexpr std::uint64_t kMaxIfdEntries = 4096;

constexpr std::uint16_t kTagImageWidth = 256;
constexpr std::uint16_t kTagImageLength = 257;
constexpr std::uint16_t kTagBitsPerSample = 258;
constexpr std::uint16_t kTagPhotometric = 262;
constexpr std::uint16_t kTagStripOffsets = 273;
constexpr std::uint16_t kTagOrientation = 274;
constexpr std::uint16_t kTagSamplesPerPixel = 277;
constexpr std::uint16_t kTagStripByteCounts = 279;
constexpr std::uint16_t kTagTileOffsets = 324;
constexpr std::uint16_t kTagTileByteCounts = 325;

constexpr int kTypeShort = 3;
constexpr int kTypeLong = 4;

Error make_error(ErrorCode code, const std::string& name, const std::string& text) {
  return Error{code, name + ": " + text};
}

// Size in bytes of one value of a TIFF field type; 0 for unknown types (which TIFF readers skip).
std::uint64_t type_size(int type) {
  switch (type) {
    case 1:
    case 2:
    case 6:
    case 7:
      return 1;  // BYTE ASCII SBYTE UNDEFINED
    case 3:
    case 8:
      return 2;  // SHORT SSHORT
    case 4:
    case 9:
    case 11:
    case 13:
      return 4;  // LONG SLONG FLOAT IFD
    case 5:
    case 10:
    case 12:
    case 16:
    case 17:
    case 18:
      return 8;  // RATIONAL… LONG8 IFD8
    default:
      return 0;
  }
}

bool is_unsigned_integer_type(int type) {
  return type == 1 || type == 3 || type == 4 || type == 13 || type == 16 || type == 18;
}

struct IfdEntry {
  std::uint16_t tag = 0;
  int type = 0;
  std::uint64_t count = 0;
  std::uint64_t value_field = 0;  // absolute position of the value/offset field
};

class TiffReader {
 public:
  TiffReader(ByteSource& source, std::uint64_t base, bool big_endian, bool big_tiff)
      : source_(source), base_(base), big_endian_(big_endian), big_tiff_(big_tiff) {}

  [[nodiscard]] std::uint64_t get(std::span<const std::uint8_t> bytes, std::size_t at,
                                  std::size_t width) const {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < width; ++i) {
      const std::uint64_t byte = bytes[at + i];
      value |= big_endian_ ? byte << (8 * (width - 1 - i)) : byte << (8 * i);
    }
    return value;
  }

  // Absolute position of value `index` of the entry, or nullopt when it lies outside the data.
  [[nodiscard]] std::optional<std::uint64_t> value_position(const IfdEntry& entry, std::uint64_t index) {
    const std::uint64_t size = type_size(entry.type);
    if (size == 0 || index >= entry.count) return std::nullopt;
    if (entry.count > source_.size() / size) return std::nullopt;
    const std::uint64_t total = entry.count * size;
    const std::uint64_t inline_capacity = big_tiff_ ? 8 : 4;
    std::uint64_t start = entry.value_field;
    if (total > inline_capacity) {
      const auto field = source_.view(entry.value_field, inline_capacity);
      if (field.size() < inline_capacity) return std::nullopt;
      start = base_ + get(field, 0, inline_capacity);
    }
    if (start > source_.size() || total > source_.size() - start) return std::nullopt;
    return start + index * size;
  }

  [[nodiscard]] std::optional<std::uint64_t> unsigned_value(const IfdEntry& entry, std::uint64_t index) {
    if (!is_unsigned_integer_type(entry.type)) return std::nullopt;
    const auto position = value_position(entry, index);
    if (!position) return std::nullopt;
    const auto size = static_cast<std::size_t>(type_size(entry.type));
    const auto bytes = source_.view(*position, size);
    if (bytes.size() < size) return std::nullopt;
    return get(bytes, 0, size);
  }

 private:
  ByteSource& source_;
  std::uint64_t base_;
  bool big_endian_;
  bool big_tiff_;
};

// End of the data described by an offsets/byte-counts pair of arrays, or nullopt when unreadable.
std::optional<std::uint64_t> data_end_of(TiffReader& reader, const IfdEntry& offsets, const IfdEntry& counts,
                                         std::uint64_t base) {
  if (offsets.count != counts.count || offsets.count == 0) return std::nullopt;
  std::uint64_t end = 0;
  for (std::uint64_t i = 0; i < offsets.count; ++i) {
    const auto offset = reader.unsigned_value(offsets, i);
    const auto count = reader.unsigned_value(counts, i);
    if (!offset || !count) return std::nullopt;
    end = std::max(end, base + *offset + *count);
  }
  return end;
}

}  // namespace

Result<TiffIfd0> read_tiff_ifd0(ByteSource& source, std::uint64_t base, const std::string& name,
                                bool want_data_end) {
  auto io_or = [&](ErrorCode code, const std::string& text) {
    if (!source.read_error().empty()) return make_error(ErrorCode::kIo, name, source.read_error());
    return make_error(code, name, text);
  };
  const std::uint64_t available = source.size() > base ? source.size() - base : 0;
  auto header = source.view(base, 16);
  if (header.size() < 8) {
    return io_or(ErrorCode::kTruncated, "truncated TIFF structure: the header needs 8 bytes, only " +
                                            std::to_string(available) + " present");
  }
  TiffIfd0 ifd;
  if (header[0] == 'I' && header[1] == 'I') {
    ifd.big_endian = false;
  } else if (header[0] == 'M' && header[1] == 'M') {
    ifd.big_endian = true;
  } else {
    return make_error(ErrorCode::kCorrupt, name, "bad TIFF byte-order mark (expected II or MM)");
  }
  TiffReader probe(source, base, ifd.big_endian, false);
  const auto magic = probe.get(header, 2, 2);
  std::uint64_t ifd_offset = 0;
  if (magic == 42) {
    ifd_offset = probe.get(header, 4, 4);
  } else if (magic == 43) {
    if (header.size() < 16) {
      return io_or(ErrorCode::kTruncated,
                   "truncated BigTIFF header (" + std::to_string(available) + " bytes)");
    }
    if (probe.get(header, 4, 2) != 8 || probe.get(header, 6, 2) != 0) {
      return make_error(ErrorCode::kCorrupt, name, "bad BigTIFF offset size");
    }
    ifd.big_tiff = true;
    ifd_offset = probe.get(header, 8, 8);
  } else {
    return make_error(ErrorCode::kCorrupt, name,
                      "bad TIFF magic number " + std::to_string(magic) + " (expected 42)");
  }
  if (ifd_offset < 8) {
    return make_error(ErrorCode::kCorrupt, name, "bad TIFF IFD0 offset " + std::to_string(ifd_offset));
  }
  if (ifd_offset >= available) {
    return io_or(ErrorCode::kTruncated, "truncated TIFF structure: IFD0 at offset " +
                                            std::to_string(ifd_offset) + " is past the end (" +
                                            std::to_string(available) + " bytes)");
  }
  TiffReader reader(source, base, ifd.big_endian, ifd.big_tiff);
  const std::size_t count_size = ifd.big_tiff ? 8 : 2;
  const std::size_t entry_size = ifd.big_tiff ? 20 : 12;
  const std::uint64_t ifd_position = base + ifd_offset;
  const auto count_bytes = source.view(ifd_position, count_size);
  if (count_bytes.size() < count_size) {
    return io_or(ErrorCode::kTruncated, "truncated TIFF structure: IFD0 entry count cut off");
  }
  const std::uint64_t entry_count = reader.get(count_bytes, 0, count_size);
  if (entry_count == 0 || entry_count > kMaxIfdEntries) {
    return make_error(ErrorCode::kCorrupt, name,
                      "implausible TIFF IFD0 entry count " + std::to_string(entry_count));
  }
  const auto table_size = static_cast<std::size_t>(entry_count * entry_size);
  const auto table_view = source.view(ifd_position + count_size, table_size);
  if (table_view.size() < table_size) {
    return io_or(ErrorCode::kTruncated, "truncated TIFF structure: IFD0 has " + std::to_string(entry_count) +
                                            " entries but the data ends inside them");
  }
  // Copied because reading values out of line may move a file source's window.
  const std::vector<std::uint8_t> table(table_view.begin(), table_view.end());
  std::vector<IfdEntry> entries;
  entries.reserve(static_cast<std::size_t>(entry_count));
  for (std::size_t i = 0; i < entry_count; ++i) {
    const std::size_t at = i * entry_size;
    IfdEntry entry;
    entry.tag = static_cast<std::uint16_t>(reader.get(table, at, 2));
    entry.type = static_cast<int>(reader.get(table, at + 2, 2));
    entry.count = reader.get(table, at + 4, ifd.big_tiff ? 8 : 4);
    entry.value_field = ifd_position + count_size + at + (ifd.big_tiff ? 12 : 8);
    entries.push_back(entry);
  }

  const IfdEntry* strip_offsets = nullptr;
  const IfdEntry* strip_counts = nullptr;
  const IfdEntry* tile_offsets = nullptr;
  const IfdEntry* tile_counts = nullptr;
  for (const IfdEntry& entry : entries) {
    switch (entry.tag) {
      case kTagImageWidth:
        ifd.width = reader.unsigned_value(entry, 0).value_or(0);
        break;
      case kTagImageLength:
        ifd.height = reader.unsigned_value(entry, 0).value_or(0);
        break;
      case kTagBitsPerSample:
        ifd.bits_per_sample = static_cast<int>(reader.unsigned_value(entry, 0).value_or(0));
        break;
      case kTagSamplesPerPixel:
        ifd.samples_per_pixel = static_cast<int>(reader.unsigned_value(entry, 0).value_or(0));
        break;
      case kTagPhotometric:
        ifd.photometric = static_cast<int>(reader.unsigned_value(entry, 0).value_or(0xFFFF));
        break;
      case kTagOrientation: {
        if (entry.type != kTypeShort && entry.type != kTypeLong) {
          ifd.orientation_problem =
              "orientation tag has field type " + std::to_string(entry.type) + ", not SHORT";
          break;
        }
        const auto value = reader.unsigned_value(entry, 0);
        if (!value) {
          ifd.orientation_problem = "orientation value lies outside the data";
        } else if (*value < 1 || *value > 8) {
          ifd.orientation_problem = "orientation value " + std::to_string(*value) + " is not 1..8";
        } else {
          ifd.orientation = static_cast<int>(*value);
          ifd.orientation_offset = *reader.value_position(entry, 0);
          ifd.orientation_type = entry.type;
        }
        break;
      }
      case kTagStripOffsets:
        strip_offsets = &entry;
        break;
      case kTagStripByteCounts:
        strip_counts = &entry;
        break;
      case kTagTileOffsets:
        tile_offsets = &entry;
        break;
      case kTagTileByteCounts:
        tile_counts = &entry;
        break;
      default:
        break;
    }
  }
  if (want_data_end) {
    std::optional<std::uint64_t> end;
    if (tile_offsets != nullptr && tile_counts != nullptr) {
      end = data_end_of(reader, *tile_offsets, *tile_counts, base);
    } else if (strip_offsets != nullptr && strip_counts != nullptr) {
      end = data_end_of(reader, *strip_offsets, *strip_counts, base);
    }
    ifd.data_end = end.value_or(0);
  }
  if (!source.read_error().empty()) return make_error(ErrorCode::kIo, name, source.read_error());
  return ifd;
}

ExifOrientation read_exif_orientation(std::span<const std::uint8_t> exif) {
  static constexpr std::array<std::uint8_t, 4> kExifPrefix = {'E', 'x', 'i', 'f'};
  if (exif.size() >= 6 && std::equal(kExifPrefix.begin(), kExifPrefix.end(), exif.begin())) {
    exif = exif.subspan(6);
  }
  MemorySource source(exif);
  auto ifd = read_tiff_ifd0(source, 0, "EXIF block", false);
  if (!ifd) return ExifOrientation{1, ifd.error().message};
  if (!ifd->orientation_problem.empty()) {
    return ExifOrientation{1, "EXIF block: " + ifd->orientation_problem};
  }
  return ExifOrientation{ifd->orientation, ""};
}

}  // namespace logoscope::imageio
