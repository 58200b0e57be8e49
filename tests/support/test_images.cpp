#include "support/test_images.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <stdexcept>

// jpeglib.h needs <cstdio> first.
#include <gif_lib.h>
#include <jpeglib.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace logoscope::testing {

namespace {

using Bytes = std::vector<std::uint8_t>;

void put_be16(Bytes& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void put_be32(Bytes& out, std::uint32_t v) {
  put_be16(out, v >> 16);
  put_be16(out, v & 0xFFFFU);
}
void put_le16(Bytes& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put_le24(Bytes& out, std::uint32_t v) {
  put_le16(out, v & 0xFFFFU);
  out.push_back(static_cast<std::uint8_t>(v >> 16));
}
void put_le32(Bytes& out, std::uint32_t v) {
  put_le16(out, v & 0xFFFFU);
  put_le16(out, v >> 16);
}
void put_text(Bytes& out, const std::string& text) {
  out.insert(out.end(), text.begin(), text.end());
}

// Big- or little-endian writer for TIFF structures.
struct TiffBytes {
  bool big_endian;
  Bytes bytes;
  void u16(std::uint32_t v) { big_endian ? put_be16(bytes, v) : put_le16(bytes, v); }
  void u32(std::uint32_t v) { big_endian ? put_be32(bytes, v) : put_le32(bytes, v); }
  // One 12-byte IFD entry; a SHORT value sits in the first two bytes of the value field.
  void entry(std::uint32_t tag, std::uint32_t type, std::uint32_t count, std::uint32_t value) {
    u16(tag);
    u16(type);
    u32(count);
    if (type == 3 && count == 1) {
      u16(value);
      u16(0);
    } else {
      u32(value);
    }
  }
};

std::uint32_t crc32(const Bytes& data, std::size_t begin) {
  static const std::array<std::uint32_t, 256> kTable = [] {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t n = 0; n < 256; ++n) {
      std::uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
      table[n] = c;
    }
    return table;
  }();
  std::uint32_t crc = 0xFFFFFFFFU;
  for (std::size_t i = begin; i < data.size(); ++i) crc = kTable[(crc ^ data[i]) & 0xFFU] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFU;
}

// A zlib stream of stored (uncompressed) deflate blocks.
Bytes zlib_stored(const Bytes& raw) {
  Bytes out = {0x78, 0x01};
  std::size_t pos = 0;
  do {
    const std::size_t n = std::min<std::size_t>(65535, raw.size() - pos);
    out.push_back(pos + n == raw.size() ? 1 : 0);
    put_le16(out, static_cast<std::uint32_t>(n));
    put_le16(out, static_cast<std::uint32_t>(~n & 0xFFFFU));
    out.insert(out.end(), raw.begin() + static_cast<std::ptrdiff_t>(pos),
               raw.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
  } while (pos < raw.size());
  std::uint32_t a = 1;
  std::uint32_t b = 0;
  for (const std::uint8_t byte : raw) {
    a = (a + byte) % 65521U;
    b = (b + a) % 65521U;
  }
  put_be32(out, b << 16 | a);
  return out;
}

// The TIFF structure of an EXIF block: IFD0 with the orientation, optionally IFD1 pointing at a
// JPEG thumbnail that follows.
Bytes exif_tiff(int orientation, bool big_endian, const Bytes& thumbnail) {
  TiffBytes tiff{big_endian, {}};
  put_text(tiff.bytes, big_endian ? "MM" : "II");
  tiff.u16(42);
  tiff.u32(8);
  tiff.u16(1);
  tiff.entry(274, 3, 1, static_cast<std::uint32_t>(orientation));
  tiff.u32(thumbnail.empty() ? 0 : 26);
  if (!thumbnail.empty()) {
    tiff.u16(2);
    tiff.entry(513, 4, 1, 56);
    tiff.entry(514, 4, 1, static_cast<std::uint32_t>(thumbnail.size()));
    tiff.u32(0);
    tiff.bytes.insert(tiff.bytes.end(), thumbnail.begin(), thumbnail.end());
  }
  return tiff.bytes;
}

class JpegWriter {
 public:
  JpegWriter() {
    cinfo_.err = jpeg_std_error(&errors_);
    jpeg_create_compress(&cinfo_);
    jpeg_mem_dest(&cinfo_, &buffer_, &size_);
  }
  JpegWriter(const JpegWriter&) = delete;
  JpegWriter& operator=(const JpegWriter&) = delete;
  ~JpegWriter() {
    jpeg_destroy_compress(&cinfo_);
    std::free(buffer_);
  }
  jpeg_compress_struct& cinfo() { return cinfo_; }
  void write_row(const std::uint8_t* row) {
    auto* samples = const_cast<JSAMPROW>(row);
    jpeg_write_scanlines(&cinfo_, &samples, 1);
  }
  Bytes finish() {
    jpeg_finish_compress(&cinfo_);
    return Bytes(buffer_, buffer_ + size_);
  }

 private:
  jpeg_compress_struct cinfo_{};
  jpeg_error_mgr errors_{};
  unsigned char* buffer_ = nullptr;
  unsigned long size_ = 0;
};

// Position of the first segment with `marker` in a JPEG (walking segment lengths), or npos.
std::size_t find_jpeg_segment(const Bytes& jpeg, std::uint8_t marker) {
  std::size_t pos = 2;
  while (pos + 4 <= jpeg.size() && jpeg[pos] == 0xFF) {
    if (jpeg[pos + 1] == marker) return pos;
    pos += 2 + (static_cast<std::size_t>(jpeg[pos + 2]) << 8 | jpeg[pos + 3]);
  }
  return std::string::npos;
}

// The standard pattern plus deterministic noise: large, incompressible scan data.
cv::Mat noisy_pattern(int w, int h) {
  cv::Mat rgb = make_pattern_rgb(w, h);
  cv::Mat noise(h, w, CV_16SC3);
  cv::RNG rng(20240601);
  rng.fill(noise, cv::RNG::UNIFORM, -30, 30);
  cv::Mat sum;
  cv::add(rgb, noise, sum, cv::noArray(), CV_8UC3);
  return sum;
}

Bytes cut(Bytes bytes, double fraction) {
  bytes.resize(static_cast<std::size_t>(static_cast<double>(bytes.size()) * fraction));
  return bytes;
}

std::string lower_extension(const std::string& name) {
  std::string ext = std::filesystem::path(name).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

cv::Mat rgb_to_bgr(const cv::Mat& rgb) {
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, rgb.channels() == 4 ? cv::COLOR_RGBA2BGRA : cv::COLOR_RGB2BGR);
  return bgr;
}

}  // namespace

// ------------------------------------------------------------------ the standard pattern

cv::Vec3b pattern_color(int x, int y, int w, int h) {
  const bool right = x >= w / 2;
  const bool bottom = y >= h / 2;
  if (!bottom) return right ? kPatternTopRight : kPatternTopLeft;
  return right ? kPatternBottomRight : kPatternBottomLeft;
}

cv::Mat make_pattern_rgb(int w, int h) {
  cv::Mat rgb(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) rgb.at<cv::Vec3b>(y, x) = pattern_color(x, y, w, h);
  }
  return rgb;
}

std::string pattern_mismatch(const cv::Mat& rgb, int tolerance) {
  if (rgb.type() != CV_8UC3) return "not a CV_8UC3 image (type " + std::to_string(rgb.type()) + ")";
  const int w = rgb.cols;
  const int h = rgb.rows;
  for (const int qy : {0, 1}) {
    for (const int qx : {0, 1}) {
      const int left = qx * (w / 2);
      const int top = qy * (h / 2);
      const int qw = qx == 0 ? w / 2 : w - w / 2;
      const int qh = qy == 0 ? h / 2 : h - h / 2;
      for (const int fraction : {1, 2, 3}) {
        const int x = left + qw * fraction / 4;
        const int y = top + qh * fraction / 4;
        const cv::Vec3b& got = rgb.at<cv::Vec3b>(y, x);
        const cv::Vec3b want = pattern_color(x, y, w, h);
        for (int c = 0; c < 3; ++c) {
          if (std::abs(got[c] - want[c]) > tolerance) {
            char text[160];
            std::snprintf(text, sizeof text, "at (%d,%d) of %dx%d: got (%d,%d,%d), expected (%d,%d,%d) +- %d",
                          x, y, w, h, got[0], got[1], got[2], want[0], want[1], want[2], tolerance);
            return text;
          }
        }
      }
    }
  }
  return "";
}

cv::Mat stored_for_orientation(const cv::Mat& displayed, int orientation) {
  if (orientation < 1 || orientation > 8) throw std::invalid_argument("orientation 1..8");
  const int dh = displayed.rows;
  const int dw = displayed.cols;
  const bool swapped = orientation >= 5;
  const int sh = swapped ? dw : dh;
  const int sw = swapped ? dh : dw;
  cv::Mat stored(sh, sw, displayed.type());
  const std::size_t pixel_bytes = displayed.elemSize();
  for (int r = 0; r < sh; ++r) {
    for (int c = 0; c < sw; ++c) {
      int y = r;
      int x = c;
      switch (orientation) {
        case 2:
          x = sw - 1 - c;
          break;  // row 0 top, column 0 right
        case 3:
          y = sh - 1 - r;
          x = sw - 1 - c;
          break;  // row 0 bottom, column 0 right
        case 4:
          y = sh - 1 - r;
          break;  // row 0 bottom, column 0 left
        case 5:
          y = c;
          x = r;
          break;  // row 0 left, column 0 top
        case 6:
          y = c;
          x = dw - 1 - r;
          break;  // row 0 right, column 0 top
        case 7:
          y = dh - 1 - c;
          x = dw - 1 - r;
          break;  // row 0 right, column 0 bottom
        case 8:
          y = dh - 1 - c;
          x = r;
          break;  // row 0 left, column 0 bottom
        default:
          break;
      }
      std::memcpy(stored.ptr(r) + c * pixel_bytes, displayed.ptr(y) + x * pixel_bytes, pixel_bytes);
    }
  }
  return stored;
}

// ------------------------------------------------------------------ encoders

std::vector<std::uint8_t> encode_jpeg(const cv::Mat& rgb, const JpegOptions& options) {
  if (rgb.type() != CV_8UC3) throw std::invalid_argument("encode_jpeg needs CV_8UC3");
  JpegWriter writer;
  auto& cinfo = writer.cinfo();
  cinfo.image_width = static_cast<JDIMENSION>(rgb.cols);
  cinfo.image_height = static_cast<JDIMENSION>(rgb.rows);
  cinfo.input_components = options.grayscale ? 1 : 3;
  cinfo.in_color_space = options.grayscale ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, options.quality, TRUE);
  if (options.progressive) jpeg_simple_progression(&cinfo);
  const bool exif = options.orientation > 0 || options.exif_thumbnail;
  if (exif) cinfo.write_JFIF_header = FALSE;  // EXIF files start with APP1
  jpeg_start_compress(&cinfo, TRUE);
  if (exif) {
    Bytes thumbnail;
    if (options.exif_thumbnail) {
      thumbnail = encode_jpeg(make_pattern_rgb(16, 16), JpegOptions{.quality = 80});
    }
    Bytes app1;
    put_text(app1, std::string("Exif\0\0", 6));
    const Bytes tiff =
        exif_tiff(options.orientation > 0 ? options.orientation : 1, options.big_endian_exif, thumbnail);
    app1.insert(app1.end(), tiff.begin(), tiff.end());
    jpeg_write_marker(&cinfo, JPEG_APP0 + 1, app1.data(), static_cast<unsigned>(app1.size()));
  }
  cv::Mat source = rgb;
  if (options.grayscale) cv::cvtColor(rgb, source, cv::COLOR_RGB2GRAY);
  for (int y = 0; y < source.rows; ++y) writer.write_row(source.ptr<std::uint8_t>(y));
  return writer.finish();
}

std::vector<std::uint8_t> encode_pattern_jpeg(int w, int h, int quality) {
  JpegWriter writer;
  auto& cinfo = writer.cinfo();
  cinfo.image_width = static_cast<JDIMENSION>(w);
  cinfo.image_height = static_cast<JDIMENSION>(h);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  cv::Mat top(1, w, CV_8UC3);
  cv::Mat bottom(1, w, CV_8UC3);
  for (int x = 0; x < w; ++x) {
    top.at<cv::Vec3b>(0, x) = pattern_color(x, 0, w, h);
    bottom.at<cv::Vec3b>(0, x) = pattern_color(x, h - 1, w, h);
  }
  for (int y = 0; y < h; ++y) writer.write_row((y < h / 2 ? top : bottom).ptr<std::uint8_t>(0));
  return writer.finish();
}

cv::Vec3b cmyk_to_rgb(const Cmyk& ink) {
  auto channel = [&](int i) {
    return static_cast<std::uint8_t>(((255 - ink[static_cast<std::size_t>(i)]) * (255 - ink[3]) + 127) / 255);
  };
  return {channel(0), channel(1), channel(2)};
}

std::vector<std::uint8_t> encode_cmyk_jpeg(int w, int h, const Cmyk& ink, bool adobe_inverted, bool ycck) {
  JpegWriter writer;
  auto& cinfo = writer.cinfo();
  cinfo.image_width = static_cast<JDIMENSION>(w);
  cinfo.image_height = static_cast<JDIMENSION>(h);
  cinfo.input_components = 4;
  cinfo.in_color_space = JCS_CMYK;
  jpeg_set_defaults(&cinfo);
  jpeg_set_colorspace(&cinfo, ycck ? JCS_YCCK : JCS_CMYK);
  const bool inverted = adobe_inverted || ycck;
  cinfo.write_Adobe_marker = inverted ? TRUE : FALSE;
  jpeg_set_quality(&cinfo, 95, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  Bytes row(static_cast<std::size_t>(w) * 4);
  for (std::size_t i = 0; i < row.size(); ++i) {
    const std::uint8_t value = ink[i % 4];
    row[i] = inverted ? static_cast<std::uint8_t>(255 - value) : value;
  }
  for (int y = 0; y < h; ++y) writer.write_row(row.data());
  return writer.finish();
}

std::vector<std::uint8_t> png_chunk(const std::string& type, const std::vector<std::uint8_t>& data) {
  Bytes out;
  put_be32(out, static_cast<std::uint32_t>(data.size()));
  const std::size_t crc_start = out.size();
  put_text(out, type);
  out.insert(out.end(), data.begin(), data.end());
  put_be32(out, crc32(out, crc_start));
  return out;
}

std::vector<std::uint8_t> png_header(std::uint32_t width, std::uint32_t height, int bit_depth,
                                     int colour_type) {
  Bytes out = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  Bytes ihdr;
  put_be32(ihdr, width);
  put_be32(ihdr, height);
  ihdr.push_back(static_cast<std::uint8_t>(bit_depth));
  ihdr.push_back(static_cast<std::uint8_t>(colour_type));
  ihdr.push_back(0);
  ihdr.push_back(0);
  ihdr.push_back(0);
  const Bytes chunk = png_chunk("IHDR", ihdr);
  out.insert(out.end(), chunk.begin(), chunk.end());
  return out;
}

std::vector<std::uint8_t> encode_png(const cv::Mat& image, PngKind kind, const PngOptions& options) {
  struct Layout {
    int colour_type;
    int depth;
    int mat_type;
  };
  Layout layout{};
  switch (kind) {
    case PngKind::kRgb8:
      layout = {2, 8, CV_8UC3};
      break;
    case PngKind::kRgba8:
      layout = {6, 8, CV_8UC4};
      break;
    case PngKind::kGray8:
      layout = {0, 8, CV_8UC1};
      break;
    case PngKind::kGrayAlpha8:
      layout = {4, 8, CV_8UC2};
      break;
    case PngKind::kRgb16:
      layout = {2, 16, CV_16UC3};
      break;
    case PngKind::kGray16:
      layout = {0, 16, CV_16UC1};
      break;
    case PngKind::kPalette8:
      layout = {3, 8, CV_8UC3};
      break;
  }
  if (image.type() != layout.mat_type) throw std::invalid_argument("encode_png: wrong Mat type");
  Bytes out = png_header(static_cast<std::uint32_t>(image.cols), static_cast<std::uint32_t>(image.rows),
                         layout.depth, layout.colour_type);
  auto add = [&](const std::string& type, const Bytes& data) {
    const Bytes chunk = png_chunk(type, data);
    out.insert(out.end(), chunk.begin(), chunk.end());
  };
  if (options.orientation > 0) add("eXIf", exif_tiff(options.orientation, false, {}));
  Bytes raw;
  if (kind == PngKind::kPalette8) {
    std::map<std::array<std::uint8_t, 3>, std::uint8_t> index;
    Bytes palette;
    for (int y = 0; y < image.rows; ++y) {
      raw.push_back(0);
      for (int x = 0; x < image.cols; ++x) {
        const cv::Vec3b& p = image.at<cv::Vec3b>(y, x);
        const std::array<std::uint8_t, 3> key = {p[0], p[1], p[2]};
        auto it = index.find(key);
        if (it == index.end()) {
          if (index.size() == 256) throw std::invalid_argument("encode_png: over 256 colours");
          it = index.emplace(key, static_cast<std::uint8_t>(index.size())).first;
          palette.insert(palette.end(), key.begin(), key.end());
        }
        raw.push_back(it->second);
      }
    }
    add("PLTE", palette);
    if (options.transparent_colour) {
      const cv::Vec3b t = *options.transparent_colour;
      const auto it = index.find({t[0], t[1], t[2]});
      if (it != index.end()) {
        Bytes alpha(static_cast<std::size_t>(it->second) + 1, 255);
        alpha.back() = 0;
        add("tRNS", alpha);
      }
    }
  } else {
    const std::size_t samples = static_cast<std::size_t>(image.cols) * image.channels();
    for (int y = 0; y < image.rows; ++y) {
      raw.push_back(0);
      if (layout.depth == 8) {
        const auto* row = image.ptr<std::uint8_t>(y);
        raw.insert(raw.end(), row, row + samples);
      } else {
        const auto* row = image.ptr<std::uint16_t>(y);
        for (std::size_t i = 0; i < samples; ++i) put_be16(raw, row[i]);
      }
    }
  }
  add("IDAT", zlib_stored(raw));
  add("IEND", {});
  return out;
}

std::vector<std::uint8_t> encode_tiff(const cv::Mat& image, const TiffOptions& options) {
  const int channels = image.channels();
  const int depth_bytes = image.depth() == CV_16U ? 2 : 1;
  if ((image.depth() != CV_8U && image.depth() != CV_16U) || channels == 2 || channels > 4) {
    throw std::invalid_argument("encode_tiff: unsupported Mat type");
  }
  TiffBytes tiff{options.big_endian, {}};
  put_text(tiff.bytes, options.big_endian ? "MM" : "II");
  tiff.u16(42);
  const auto data_size =
      static_cast<std::uint32_t>(image.total() * static_cast<std::size_t>(channels * depth_bytes));
  const std::uint32_t ifd_offset = 8 + data_size + (data_size & 1U);
  tiff.u32(ifd_offset);
  for (int y = 0; y < image.rows; ++y) {
    const std::size_t samples = static_cast<std::size_t>(image.cols) * channels;
    if (depth_bytes == 1) {
      const auto* row = image.ptr<std::uint8_t>(y);
      tiff.bytes.insert(tiff.bytes.end(), row, row + samples);
    } else {
      const auto* row = image.ptr<std::uint16_t>(y);
      for (std::size_t i = 0; i < samples; ++i) tiff.u16(row[i]);
    }
  }
  if ((data_size & 1U) != 0) tiff.bytes.push_back(0);
  const std::uint16_t entry_count =
      static_cast<std::uint16_t>(10 + (options.orientation > 0 ? 1 : 0) + (channels == 4 ? 1 : 0));
  // BitsPerSample has one value per sample: more than two do not fit in the entry.
  const std::uint32_t bits_offset = ifd_offset + 2 + 12U * entry_count + 4;
  const auto bits = static_cast<std::uint32_t>(8 * depth_bytes);
  tiff.u16(entry_count);
  tiff.entry(256, 4, 1, static_cast<std::uint32_t>(image.cols));
  tiff.entry(257, 4, 1, static_cast<std::uint32_t>(image.rows));
  if (channels == 1) {
    tiff.entry(258, 3, 1, bits);
  } else {
    tiff.entry(258, 3, static_cast<std::uint32_t>(channels), bits_offset);
  }
  tiff.entry(259, 3, 1, 1);
  tiff.entry(262, 3, 1, channels == 1 ? 1 : 2);
  tiff.entry(273, 4, 1, 8);
  if (options.orientation > 0) tiff.entry(274, 3, 1, static_cast<std::uint32_t>(options.orientation));
  tiff.entry(277, 3, 1, static_cast<std::uint32_t>(channels));
  tiff.entry(278, 4, 1, static_cast<std::uint32_t>(image.rows));
  tiff.entry(279, 4, 1, data_size);
  tiff.entry(284, 3, 1, 1);
  if (channels == 4) tiff.entry(338, 3, 1, 2);  // unassociated alpha
  tiff.u32(0);
  if (channels > 1) {
    for (int c = 0; c < channels; ++c) tiff.u16(bits);
  }
  return tiff.bytes;
}

std::vector<std::uint8_t> encode_webp(const cv::Mat& rgb, bool lossless, int orientation) {
  Bytes plain;
  cv::imencode(".webp", rgb_to_bgr(rgb), plain, {cv::IMWRITE_WEBP_QUALITY, lossless ? 101 : 90});
  if (orientation <= 0) return plain;
  Bytes out;
  put_text(out, "RIFF");
  put_le32(out, 0);  // patched below
  put_text(out, "WEBP");
  put_text(out, "VP8X");
  put_le32(out, 10);
  out.push_back(rgb.channels() == 4 ? 0x18 : 0x08);  // EXIF present, alpha present
  out.push_back(0);
  out.push_back(0);
  out.push_back(0);
  put_le24(out, static_cast<std::uint32_t>(rgb.cols - 1));
  put_le24(out, static_cast<std::uint32_t>(rgb.rows - 1));
  out.insert(out.end(), plain.begin() + 12, plain.end());  // the VP8/VP8L chunk
  const Bytes exif = exif_tiff(orientation, false, {});
  put_text(out, "EXIF");
  put_le32(out, static_cast<std::uint32_t>(exif.size()));
  out.insert(out.end(), exif.begin(), exif.end());
  if ((exif.size() & 1U) != 0) out.push_back(0);
  const auto riff_size = static_cast<std::uint32_t>(out.size() - 8);
  for (int i = 0; i < 4; ++i)
    out[4 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(riff_size >> (8 * i));
  return out;
}

std::vector<std::uint8_t> encode_bmp(const cv::Mat& image) {
  Bytes out;
  cv::imencode(".bmp", image.channels() == 3 ? rgb_to_bgr(image) : image, out);
  return out;
}

std::vector<std::uint8_t> encode_gif(const cv::Mat& rgb, const GifOptions& options) {
  if (rgb.type() != CV_8UC3) throw std::invalid_argument("encode_gif needs CV_8UC3");
  std::map<std::array<std::uint8_t, 3>, int> index;
  std::vector<GifColorType> colours;
  Bytes pixels;
  pixels.reserve(rgb.total());
  for (int y = 0; y < rgb.rows; ++y) {
    for (int x = 0; x < rgb.cols; ++x) {
      const cv::Vec3b& p = rgb.at<cv::Vec3b>(y, x);
      auto it = index.find({p[0], p[1], p[2]});
      if (it == index.end()) {
        if (index.size() == 256) throw std::invalid_argument("encode_gif: over 256 colours");
        it = index.emplace(std::array<std::uint8_t, 3>{p[0], p[1], p[2]}, static_cast<int>(index.size()))
                 .first;
        colours.push_back(GifColorType{p[0], p[1], p[2]});
      }
      pixels.push_back(static_cast<std::uint8_t>(it->second));
    }
  }
  int bits = 1;
  while ((1 << bits) < static_cast<int>(colours.size())) ++bits;
  colours.resize(static_cast<std::size_t>(1) << bits, GifColorType{0, 0, 0});
  ColorMapObject* map = GifMakeMapObject(static_cast<int>(colours.size()), colours.data());

  Bytes out;
  auto write = [](GifFileType* gif, const GifByteType* data, int n) {
    auto* sink = static_cast<Bytes*>(gif->UserData);
    sink->insert(sink->end(), data, data + n);
    return n;
  };
  int error = 0;
  GifFileType* gif = EGifOpen(&out, write, &error);
  EGifSetGifVersion(gif, true);
  EGifPutScreenDesc(gif, rgb.cols, rgb.rows, bits, 0, map);
  if (options.transparent_colour) {
    const cv::Vec3b t = *options.transparent_colour;
    const auto it = index.find({t[0], t[1], t[2]});
    GraphicsControlBlock control{DISPOSAL_UNSPECIFIED, false, 0,
                                 it == index.end() ? NO_TRANSPARENT_COLOR : it->second};
    GifByteType extension[4];
    EGifGCBToExtension(&control, extension);
    EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, 4, extension);
  }
  EGifPutImageDesc(gif, 0, 0, rgb.cols, rgb.rows, options.interlaced, nullptr);
  std::vector<int> order;
  if (options.interlaced) {
    for (const auto& [start, step] : {std::pair{0, 8}, std::pair{4, 8}, std::pair{2, 4}, std::pair{1, 2}}) {
      for (int y = start; y < rgb.rows; y += step) order.push_back(y);
    }
  } else {
    for (int y = 0; y < rgb.rows; ++y) order.push_back(y);
  }
  for (const int y : order) {
    EGifPutLine(gif, pixels.data() + static_cast<std::size_t>(y) * rgb.cols, rgb.cols);
  }
  EGifCloseFile(gif, &error);
  GifFreeMapObject(map);
  return out;
}

std::vector<std::uint8_t> encode_pnm(const cv::Mat& image, int maxval) {
  const bool colour = image.channels() == 3;
  Bytes out;
  put_text(out, (colour ? "P6\n" : "P5\n") + std::to_string(image.cols) + " " + std::to_string(image.rows) +
                    "\n" + std::to_string(maxval) + "\n");
  const std::size_t samples = static_cast<std::size_t>(image.cols) * image.channels();
  for (int y = 0; y < image.rows; ++y) {
    if (image.depth() == CV_8U) {
      const auto* row = image.ptr<std::uint8_t>(y);
      out.insert(out.end(), row, row + samples);
    } else {
      const auto* row = image.ptr<std::uint16_t>(y);
      for (std::size_t i = 0; i < samples; ++i) put_be16(out, row[i]);
    }
  }
  return out;
}

// ------------------------------------------------------------------ files

std::string write_file(const std::string& dir, const std::string& name,
                       const std::vector<std::uint8_t>& bytes) {
  std::string path = (std::filesystem::path(dir) / name).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
  return path;
}

std::vector<std::uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string write_rgb_image(const std::string& dir, const std::string& name, const cv::Mat& rgb) {
  const std::string ext = lower_extension(name);
  Bytes bytes;
  if (ext == ".jpg" || ext == ".jpeg") {
    bytes = encode_jpeg(rgb);
  } else if (ext == ".png") {
    bytes = encode_png(rgb, PngKind::kRgb8);
  } else if (ext == ".bmp") {
    bytes = encode_bmp(rgb);
  } else if (ext == ".webp") {
    bytes = encode_webp(rgb);
  } else if (ext == ".tif" || ext == ".tiff") {
    bytes = encode_tiff(rgb);
  } else if (ext == ".gif") {
    bytes = encode_gif(rgb);
  } else if (ext == ".ppm") {
    bytes = encode_pnm(rgb, 255);
  } else if (ext == ".pgm") {
    cv::Mat gray;
    cv::cvtColor(rgb, gray, cv::COLOR_RGB2GRAY);
    bytes = encode_pnm(gray, 255);
  } else {
    throw std::invalid_argument("write_rgb_image: unknown extension in " + name);
  }
  return write_file(dir, name, bytes);
}

std::string write_test_image(const std::string& dir, const std::string& name, int w, int h) {
  const std::string ext = lower_extension(name);
  if (ext == ".jpg" || ext == ".jpeg") return write_file(dir, name, encode_pattern_jpeg(w, h, 95));
  return write_rgb_image(dir, name, make_pattern_rgb(w, h));
}

// ------------------------------------------------------------------ the bad-input corpus

std::string write_truncated_jpeg(const std::string& dir) {
  return write_file(dir, "truncated.jpg", cut(encode_jpeg(noisy_pattern(256, 192)), 0.6));
}

std::string write_truncated_jpeg_with_thumbnail(const std::string& dir) {
  const Bytes jpeg = encode_jpeg(noisy_pattern(256, 192), JpegOptions{.exif_thumbnail = true});
  return write_file(dir, "truncated_thumb.jpg", cut(jpeg, 0.6));
}

std::string write_truncated_png(const std::string& dir) {
  return write_file(dir, "truncated.png", cut(encode_png(noisy_pattern(64, 48), PngKind::kRgb8), 0.6));
}

std::string write_truncated_gif(const std::string& dir) {
  // Sixteen colours in a pseudo-random layout, so that the LZW data is most of the file.
  cv::Mat rgb(48, 64, CV_8UC3);
  std::mt19937 random(7);
  for (int y = 0; y < rgb.rows; ++y) {
    for (int x = 0; x < rgb.cols; ++x) {
      const auto v = static_cast<std::uint8_t>(16 * (random() % 16));
      rgb.at<cv::Vec3b>(y, x) = {v, static_cast<std::uint8_t>(255 - v), 128};
    }
  }
  return write_file(dir, "truncated.gif", cut(encode_gif(rgb), 0.6));
}

std::string write_truncated_bmp(const std::string& dir) {
  return write_file(dir, "truncated.bmp", cut(encode_bmp(make_pattern_rgb(64, 48)), 0.6));
}

std::string write_truncated_webp(const std::string& dir) {
  return write_file(dir, "truncated.webp", cut(encode_webp(noisy_pattern(64, 48)), 0.6));
}

std::string write_truncated_tiff(const std::string& dir) {
  return write_file(dir, "truncated.tif", cut(encode_tiff(make_pattern_rgb(64, 48)), 0.6));
}

std::string write_empty_file(const std::string& dir) {
  return write_file(dir, "empty.jpg", {});
}

std::string write_text_named_jpg(const std::string& dir) {
  const std::string text = "This is a text file, not a JPEG.\nIt was renamed by mistake.\n";
  return write_file(dir, "text.jpg", Bytes(text.begin(), text.end()));
}

std::string write_garbage_bytes(const std::string& dir) {
  std::mt19937 random(1234);
  Bytes bytes(4096);
  for (auto& b : bytes) b = static_cast<std::uint8_t>(random());
  bytes[0] = 0x9C;  // no format's magic starts with it
  bytes[1] = 0x01;
  return write_file(dir, "garbage.jpg", bytes);
}

std::string write_header_only_jpeg(const std::string& dir) {
  Bytes jpeg = encode_pattern_jpeg(64, 48);
  jpeg.resize(find_jpeg_segment(jpeg, 0xDA));
  return write_file(dir, "header_only.jpg", jpeg);
}

std::string write_header_only_png(const std::string& dir) {
  return write_file(dir, "header_only.png", png_header(64, 48));
}

std::string write_bomb_png(const std::string& dir) {
  Bytes png = png_header(100000, 100000);
  for (const auto& chunk : {png_chunk("IDAT", zlib_stored(Bytes(64, 0))), png_chunk("IEND", {})}) {
    png.insert(png.end(), chunk.begin(), chunk.end());
  }
  return write_file(dir, "bomb.png", png);
}

namespace {
// A 64×48 JPEG whose frame header is rewritten: marker, height, width.
Bytes patched_jpeg(std::uint8_t sof_marker, std::uint32_t width, std::uint32_t height) {
  Bytes jpeg = encode_pattern_jpeg(64, 48);
  const std::size_t sof = find_jpeg_segment(jpeg, 0xC0);
  jpeg[sof + 1] = sof_marker;
  jpeg[sof + 5] = static_cast<std::uint8_t>(height >> 8);
  jpeg[sof + 6] = static_cast<std::uint8_t>(height);
  jpeg[sof + 7] = static_cast<std::uint8_t>(width >> 8);
  jpeg[sof + 8] = static_cast<std::uint8_t>(width);
  return jpeg;
}
}  // namespace

std::string write_bomb_jpeg(const std::string& dir) {
  return write_file(dir, "bomb.jpg", patched_jpeg(0xC0, 65000, 65000));
}

std::string write_zero_width_png(const std::string& dir) {
  Bytes png = png_header(0, 48);
  for (const auto& chunk : {png_chunk("IDAT", zlib_stored(Bytes(48, 0))), png_chunk("IEND", {})}) {
    png.insert(png.end(), chunk.begin(), chunk.end());
  }
  return write_file(dir, "zero_width.png", png);
}

std::string write_zero_width_jpeg(const std::string& dir) {
  return write_file(dir, "zero_width.jpg", patched_jpeg(0xC0, 0, 48));
}

std::string write_corrupt_png_data(const std::string& dir) {
  Bytes png = encode_png(make_pattern_rgb(64, 48), PngKind::kRgb8);
  png[png.size() / 2] ^= 0x5A;  // inside IDAT: the chunk's CRC no longer matches
  return write_file(dir, "bad_crc.png", png);
}

std::string write_many_scans_jpeg(const std::string& dir) {
  Bytes jpeg = encode_jpeg(make_pattern_rgb(64, 48), JpegOptions{.progressive = true});
  const std::size_t sos = find_jpeg_segment(jpeg, 0xDA);
  jpeg.resize(sos + 2 + (static_cast<std::size_t>(jpeg[sos + 2]) << 8 | jpeg[sos + 3]));
  for (int i = 0; i < 1200; ++i) {
    jpeg.insert(jpeg.end(), {0x00, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00});
  }
  jpeg.insert(jpeg.end(), {0xFF, 0xD9});
  return write_file(dir, "many_scans.jpg", jpeg);
}

std::string write_lossless_jpeg(const std::string& dir) {
  return write_file(dir, "lossless.jpg", patched_jpeg(0xC3, 64, 48));
}

std::string write_animated_webp_header(const std::string& dir) {
  Bytes webp;
  put_text(webp, "RIFF");
  put_le32(webp, 4 + 18 + 14);
  put_text(webp, "WEBPVP8X");
  put_le32(webp, 10);
  webp.insert(webp.end(), {0x02, 0, 0, 0});  // animation flag
  put_le24(webp, 63);
  put_le24(webp, 47);
  put_text(webp, "ANIM");
  put_le32(webp, 6);
  webp.insert(webp.end(), {255, 255, 255, 255, 0, 0});
  return write_file(dir, "animated.webp", webp);
}

std::string write_one_pixel_png(const std::string& dir) {
  return write_file(dir, "one_pixel.png",
                    encode_png(cv::Mat(1, 1, CV_8UC3, cv::Scalar(10, 20, 30)), PngKind::kRgb8));
}

std::string write_tall_png(const std::string& dir) {
  cv::Mat rgb(100000, 1, CV_8UC3);
  for (int y = 0; y < rgb.rows; ++y) {
    rgb.at<cv::Vec3b>(y, 0) = {static_cast<std::uint8_t>(y % 256), 0, static_cast<std::uint8_t>(y / 400)};
  }
  return write_file(dir, "tall.png", encode_png(rgb, PngKind::kRgb8));
}

std::string write_png_named_jpg(const std::string& dir) {
  return write_file(dir, "png_named.jpg", encode_png(make_pattern_rgb(64, 48), PngKind::kRgb8));
}

std::string write_gray16_png(const std::string& dir) {
  cv::Mat gray(48, 64, CV_16UC1);
  for (int y = 0; y < gray.rows; ++y) {
    for (int x = 0; x < gray.cols; ++x) gray.at<std::uint16_t>(y, x) = static_cast<std::uint16_t>(x * 1040);
  }
  return write_file(dir, "gray16.png", encode_png(gray, PngKind::kGray16));
}

std::string write_rgb16_png(const std::string& dir) {
  cv::Mat rgb16;
  make_pattern_rgb(64, 48).convertTo(rgb16, CV_16U, 257.0);
  return write_file(dir, "rgb16.png", encode_png(rgb16, PngKind::kRgb16));
}

std::string write_palette_png(const std::string& dir) {
  return write_file(dir, "palette.png", encode_png(make_pattern_rgb(64, 48), PngKind::kPalette8));
}

std::string write_gray_png(const std::string& dir) {
  cv::Mat gray;
  cv::cvtColor(make_pattern_rgb(64, 48), gray, cv::COLOR_RGB2GRAY);
  return write_file(dir, "gray.png", encode_png(gray, PngKind::kGray8));
}

std::string write_alpha_png(const std::string& dir) {
  cv::Mat rgba;
  cv::cvtColor(make_pattern_rgb(64, 48), rgba, cv::COLOR_RGB2RGBA);
  for (int y = 0; y < rgba.rows; ++y) {
    for (int x = 0; x < rgba.cols / 2; ++x) rgba.at<cv::Vec4b>(y, x)[3] = 0;  // left half clear
  }
  return write_file(dir, "alpha.png", encode_png(rgba, PngKind::kRgba8));
}

std::string write_cmyk_jpeg(const std::string& dir) {
  return write_file(dir, "cmyk.jpg", encode_cmyk_jpeg(64, 48, {0, 128, 255, 0}, true));
}

std::string write_exif_rotated_jpeg(const std::string& dir) {
  const cv::Mat stored = stored_for_orientation(make_pattern_rgb(64, 48), 6);
  return write_file(dir, "exif_rotated.jpg", encode_jpeg(stored, JpegOptions{.orientation = 6}));
}

std::string write_progressive_jpeg(const std::string& dir) {
  return write_file(dir, "progressive.jpg",
                    encode_jpeg(make_pattern_rgb(64, 48), JpegOptions{.progressive = true}));
}

std::string write_webp(const std::string& dir) {
  return write_test_image(dir, "image.webp", 64, 48);
}
std::string write_bmp(const std::string& dir) {
  return write_test_image(dir, "image.bmp", 64, 48);
}
std::string write_tiff(const std::string& dir) {
  return write_test_image(dir, "image.tif", 64, 48);
}
std::string write_gif(const std::string& dir) {
  return write_test_image(dir, "image.gif", 64, 48);
}

const std::vector<BadInput>& bad_input_corpus() {
  using E = ErrorCode;
  static const std::vector<BadInput> kCorpus = {
      {"truncated.jpg", write_truncated_jpeg, E::kTruncated,
       "truncated JPEG: no end-of-image marker after the scan data", 0, 0, true},
      {"truncated_thumb.jpg", write_truncated_jpeg_with_thumbnail, E::kTruncated,
       "truncated JPEG: no end-of-image marker after the scan data", 0, 0, true},
      {"truncated.png", write_truncated_png, E::kTruncated, "truncated PNG: no IEND chunk"},
      {"truncated.gif", write_truncated_gif, E::kTruncated,
       "truncated GIF: the data ends inside the first image", 0, 0, true},
      {"truncated.bmp", write_truncated_bmp, E::kTruncated, "truncated BMP: the pixel rows need"},
      {"truncated.webp", write_truncated_webp, E::kTruncated, "truncated WebP: the RIFF header promises"},
      {"truncated.tif", write_truncated_tiff, E::kTruncated, "truncated TIFF structure: IFD0 at offset"},
      {"empty.jpg", write_empty_file, E::kUnsupportedFormat, "an empty file (0 bytes)"},
      {"text.jpg", write_text_named_jpg, E::kUnsupportedFormat,
       "text (starts with \"This is a text file, not\")"},
      {"garbage.jpg", write_garbage_bytes, E::kUnsupportedFormat, "unrecognised data (first bytes 9c 01"},
      {"header_only.jpg", write_header_only_jpeg, E::kTruncated, "before the image data (no SOS marker)"},
      {"header_only.png", write_header_only_png, E::kTruncated, "before the image data (no IDAT chunk)"},
      {"bomb.png", write_bomb_png, E::kTooLarge,
       "PNG image is 100000x100000 = 10000000000 pixels, over the limit of 200000000 pixels"},
      {"bomb.jpg", write_bomb_jpeg, E::kTooLarge,
       "JPEG image is 65000x65000 = 4225000000 pixels, over the limit of 200000000 pixels"},
      {"zero_width.png", write_zero_width_png, E::kCorrupt, "IHDR says 0x48 pixels"},
      {"zero_width.jpg", write_zero_width_jpeg, E::kCorrupt, "the frame header says 0x48 pixels"},
      {"bad_crc.png", write_corrupt_png_data, E::kCorrupt,
       "corrupt PNG: OpenCV could not decode the pixel data"},
      {"many_scans.jpg", write_many_scans_jpeg, E::kCorrupt, "more than 1000 scans"},
      {"lossless.jpg", write_lossless_jpeg, E::kUnsupportedFormat, "lossless JPEG (SOF3) is not supported"},
      {"animated.webp", write_animated_webp_header, E::kUnsupportedFormat, "animated WebP is not supported"},
      {"one_pixel.png", write_one_pixel_png, std::nullopt, "", 1, 1},
      {"tall.png", write_tall_png, std::nullopt, "", 1, 100000},
      {"png_named.jpg", write_png_named_jpg, std::nullopt, "", 64, 48},
      {"gray16.png", write_gray16_png, std::nullopt, "", 64, 48},
      {"rgb16.png", write_rgb16_png, std::nullopt, "", 64, 48},
      {"palette.png", write_palette_png, std::nullopt, "", 64, 48},
      {"gray.png", write_gray_png, std::nullopt, "", 64, 48},
      {"alpha.png", write_alpha_png, std::nullopt, "", 64, 48},
      {"cmyk.jpg", write_cmyk_jpeg, std::nullopt, "", 64, 48},
      {"exif_rotated.jpg", write_exif_rotated_jpeg, std::nullopt, "", 64, 48},
      {"progressive.jpg", write_progressive_jpeg, std::nullopt, "", 64, 48},
      {"image.webp", write_webp, std::nullopt, "", 64, 48},
      {"image.bmp", write_bmp, std::nullopt, "", 64, 48},
      {"image.tif", write_tiff, std::nullopt, "", 64, 48},
      {"image.gif", write_gif, std::nullopt, "", 64, 48},
  };
  return kCorpus;
}

}  // namespace logoscope::testing
