#include "imageio/image_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <new>

// jpeglib.h needs <cstdio> first.
#include <jerror.h>
#include <jpeglib.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "imageio/exif.hpp"
#include "imageio/gif_decode.hpp"
#include "imageio/image_header.hpp"
#include "storage/storage.hpp"

namespace logoscope::imageio {

const char* image_format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::kUnknown:
      return "unknown";
    case ImageFormat::kJpeg:
      return "jpeg";
    case ImageFormat::kPng:
      return "png";
    case ImageFormat::kWebp:
      return "webp";
    case ImageFormat::kBmp:
      return "bmp";
    case ImageFormat::kTiff:
      return "tiff";
    case ImageFormat::kGif:
      return "gif";
    case ImageFormat::kPnm:
      return "pnm";
  }
  return "unknown";
}

int ImageInfo::width() const {
  return orientation >= 5 ? stored_height : stored_width;
}
int ImageInfo::height() const {
  return orientation >= 5 ? stored_width : stored_height;
}

namespace {

Error make_error(ErrorCode code, const std::string& name, const std::string& text) {
  return Error{code, name + ": " + text};
}

// The format's usual spelling in prose: "JPEG", "PNG", "WebP".
const char* display_format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg:
      return "JPEG";
    case ImageFormat::kPng:
      return "PNG";
    case ImageFormat::kWebp:
      return "WebP";
    case ImageFormat::kBmp:
      return "BMP";
    case ImageFormat::kTiff:
      return "TIFF";
    case ImageFormat::kGif:
      return "GIF";
    case ImageFormat::kPnm:
      return "PNM";
    case ImageFormat::kUnknown:
      break;
  }
  return "image";
}

// ---------------------------------------------------------------- files

// Reads pread-style through a window, so that probing touches only the header region.
class FileSource final : public ByteSource {
 public:
  static Result<std::unique_ptr<FileSource>> open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
      const int error = errno;
      if (error == ENOENT || error == ENOTDIR) {
        return make_error(ErrorCode::kNotFound, path, "no such file");
      }
      return make_error(ErrorCode::kIo, path, std::string("cannot open: ") + std::strerror(error));
    }
    std::unique_ptr<FileSource> source(new FileSource(fd, path));
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
      return make_error(ErrorCode::kIo, path, std::string("cannot stat: ") + std::strerror(errno));
    }
    if (S_ISDIR(info.st_mode)) return make_error(ErrorCode::kIo, path, "is a directory, not a file");
    if (!S_ISREG(info.st_mode)) return make_error(ErrorCode::kIo, path, "is not a regular file");
    source->size_ = static_cast<std::uint64_t>(info.st_size);
    return source;
  }

  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  ~FileSource() override { ::close(fd_); }

  [[nodiscard]] std::uint64_t size() const override { return size_; }

  std::span<const std::uint8_t> view(std::uint64_t offset, std::size_t length) override {
    if (offset >= size_ || !read_error_.empty()) return {};
    length = static_cast<std::size_t>(std::min<std::uint64_t>(length, size_ - offset));
    if (offset >= window_offset_ && offset + length <= window_offset_ + window_.size()) {
      return std::span<const std::uint8_t>(window_).subspan(static_cast<std::size_t>(offset - window_offset_),
                                                            length);
    }
    const auto wanted =
        static_cast<std::size_t>(std::min<std::uint64_t>(std::max(length, kWindowBytes), size_ - offset));
    window_.resize(wanted);
    window_offset_ = offset;
    window_.resize(read_at(offset, window_.data(), wanted));
    return std::span<const std::uint8_t>(window_).first(std::min(length, window_.size()));
  }

  // The whole file; the bytes already in the window (the header) are not read again.
  Result<std::vector<std::uint8_t>> read_all() {
    if (size_ > static_cast<std::uint64_t>(PTRDIFF_MAX)) {
      return make_error(ErrorCode::kTooLarge, path_, "file too large to read into memory");
    }
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size_));
    std::size_t have = 0;
    if (window_offset_ == 0 && !window_.empty()) {
      have = std::min(window_.size(), bytes.size());
      std::memcpy(bytes.data(), window_.data(), have);
    }
    have += read_at(have, bytes.data() + have, bytes.size() - have);
    if (!read_error_.empty()) return make_error(ErrorCode::kIo, path_, read_error_);
    bytes.resize(have);  // the file shrank while being read
    return bytes;
  }

 private:
  static constexpr std::size_t kWindowBytes = std::size_t{64} << 10;

  FileSource(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  std::size_t read_at(std::uint64_t offset, std::uint8_t* out, std::size_t length) {
    std::size_t done = 0;
    while (done < length) {
      const ssize_t n = ::pread(fd_, out + done, length - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        read_error_ = "read error at byte " + std::to_string(offset + done) + ": " + std::strerror(errno);
        break;
      }
      if (n == 0) break;
      done += static_cast<std::size_t>(n);
    }
    return done;
  }

  int fd_;
  std::string path_;
  std::uint64_t size_ = 0;
  std::vector<std::uint8_t> window_;
  std::uint64_t window_offset_ = 0;
};

// ---------------------------------------------------------------- JPEG through libjpeg

// libjpeg reports fatal errors through error_exit, which must not return: it longjmps back to
// run_jpeg. Everything that must survive the jump lives in JpegDecoder, outside that frame.
struct JpegErrorManager {
  jpeg_error_mgr pub;  // first member: libjpeg sees a jpeg_error_mgr*
  std::jmp_buf jump;
  std::array<char, JMSG_LENGTH_MAX> message;
  std::array<char, JMSG_LENGTH_MAX> first_warning;
  int warnings;
  bool hit_end_of_data;
};

[[noreturn]] void on_jpeg_error(j_common_ptr cinfo) {
  auto* manager = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, manager->message.data());
  std::longjmp(manager->jump, 1);
}

// Collects warnings instead of printing them to stderr.
void on_jpeg_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;
  auto* manager = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  if (cinfo->err->msg_code == JWRN_JPEG_EOF) manager->hit_end_of_data = true;
  if (manager->warnings++ == 0) (*cinfo->err->format_message)(cinfo, manager->first_warning.data());
}

struct JpegDecoder {
  jpeg_decompress_struct cinfo{};
  JpegErrorManager errors{};
  bool created = false;
  std::span<const std::uint8_t> input;
  cv::Mat rgb;
  cv::Mat cmyk_row;

  JpegDecoder() = default;
  JpegDecoder(const JpegDecoder&) = delete;
  JpegDecoder& operator=(const JpegDecoder&) = delete;
  ~JpegDecoder() {
    if (created) jpeg_destroy_decompress(&cinfo);
  }
};

// Adobe's convention (Photoshop, and most CMYK JPEGs in the wild): with an APP14 "Adobe" marker
// the CMYK samples are stored inverted (255 = no ink). Without it they are plain CMYK.
void cmyk_row_to_rgb(const std::uint8_t* cmyk, std::uint8_t* rgb, int width, bool inverted) {
  for (int x = 0; x < width; ++x, cmyk += 4, rgb += 3) {
    const int c = inverted ? cmyk[0] : 255 - cmyk[0];
    const int m = inverted ? cmyk[1] : 255 - cmyk[1];
    const int y = inverted ? cmyk[2] : 255 - cmyk[2];
    const int k = inverted ? cmyk[3] : 255 - cmyk[3];
    rgb[0] = static_cast<std::uint8_t>((c * k + 127) / 255);
    rgb[1] = static_cast<std::uint8_t>((m * k + 127) / 255);
    rgb[2] = static_cast<std::uint8_t>((y * k + 127) / 255);
  }
}

// Returns false after a fatal libjpeg error (message in decoder.errors.message). Only C calls
// and objects owned by `decoder` live between setjmp and a possible longjmp.
bool run_jpeg(JpegDecoder& decoder) {
  if (setjmp(decoder.errors.jump) != 0) return false;
  jpeg_create_decompress(&decoder.cinfo);
  decoder.created = true;
  jpeg_mem_src(&decoder.cinfo, decoder.input.data(), static_cast<unsigned long>(decoder.input.size()));
  jpeg_read_header(&decoder.cinfo, TRUE);
  const bool cmyk = decoder.cinfo.num_components == 4;
  // libjpeg-turbo converts grayscale and YCbCr straight to RGB, and YCCK to CMYK.
  decoder.cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_EXT_RGB;
  jpeg_start_decompress(&decoder.cinfo);
  const int width = static_cast<int>(decoder.cinfo.output_width);
  const int height = static_cast<int>(decoder.cinfo.output_height);
  decoder.rgb.create(height, width, CV_8UC3);
  if (cmyk) decoder.cmyk_row.create(1, width, CV_8UC4);
  const bool inverted = decoder.cinfo.saw_Adobe_marker != 0;
  constexpr int kMaxRows = 16;
  std::array<JSAMPROW, kMaxRows> rows{};
  while (decoder.cinfo.output_scanline < decoder.cinfo.output_height) {
    const int y = static_cast<int>(decoder.cinfo.output_scanline);
    JDIMENSION got = 0;
    if (cmyk) {
      rows[0] = decoder.cmyk_row.ptr<std::uint8_t>(0);
      got = jpeg_read_scanlines(&decoder.cinfo, rows.data(), 1);
      if (got == 1) cmyk_row_to_rgb(rows[0], decoder.rgb.ptr<std::uint8_t>(y), width, inverted);
    } else {
      const int count = std::min(kMaxRows, height - y);
      for (int i = 0; i < count; ++i)
        rows[static_cast<std::size_t>(i)] = decoder.rgb.ptr<std::uint8_t>(y + i);
      got = jpeg_read_scanlines(&decoder.cinfo, rows.data(), static_cast<JDIMENSION>(count));
    }
    if (got == 0) break;
  }
  jpeg_finish_decompress(&decoder.cinfo);
  return true;
}

Result<cv::Mat> decode_jpeg(std::span<const std::uint8_t> bytes, const std::string& name,
                            bool allow_truncated, bool truncation_reported,
                            std::vector<std::string>& warnings) {
  JpegDecoder decoder;
  decoder.input = bytes;
  decoder.cinfo.err = jpeg_std_error(&decoder.errors.pub);
  decoder.errors.pub.error_exit = on_jpeg_error;
  decoder.errors.pub.emit_message = on_jpeg_message;
  if (!run_jpeg(decoder)) {
    return make_error(ErrorCode::kCorrupt, name,
                      std::string("corrupt JPEG: ") + decoder.errors.message.data());
  }
  if (decoder.errors.hit_end_of_data && !truncation_reported) {
    const std::string text = "truncated JPEG: the data ends before the image is complete (file is " +
                             std::to_string(bytes.size()) + " bytes)";
    if (!allow_truncated) return make_error(ErrorCode::kTruncated, name, text);
    warnings.push_back(name + ": " + text + "; decoded anyway (allow_truncated)");
  } else if (decoder.errors.warnings > 0 && !decoder.errors.hit_end_of_data) {
    warnings.push_back(
        name + ": damaged JPEG data, decoded anyway (libjpeg: " + decoder.errors.first_warning.data() + "; " +
        std::to_string(decoder.errors.warnings) + " warning(s))");
  }
  return std::move(decoder.rgb);
}

// ---------------------------------------------------------------- everything else through OpenCV

// out = colour·alpha + white·(1 − alpha), rounded. Input: gray+alpha, BGRA, or RGBA when
// `rgb_order`; output RGB.
cv::Mat composite_over_white(const cv::Mat& with_alpha, bool rgb_order) {
  const int channels = with_alpha.channels();
  const int red = channels == 2 ? 0 : rgb_order ? 0 : 2;
  const int green = channels == 2 ? 0 : 1;
  const int blue = channels == 2 ? 0 : rgb_order ? 2 : 0;
  cv::Mat rgb(with_alpha.rows, with_alpha.cols, CV_8UC3);
  for (int y = 0; y < with_alpha.rows; ++y) {
    const auto* in = with_alpha.ptr<std::uint8_t>(y);
    auto* out = rgb.ptr<std::uint8_t>(y);
    for (int x = 0; x < with_alpha.cols; ++x, in += channels, out += 3) {
      const int alpha = in[channels - 1];
      const int white = 255 * (255 - alpha) + 127;
      out[0] = static_cast<std::uint8_t>((in[red] * alpha + white) / 255);
      out[1] = static_cast<std::uint8_t>((in[green] * alpha + white) / 255);
      out[2] = static_cast<std::uint8_t>((in[blue] * alpha + white) / 255);
    }
  }
  return rgb;
}

Result<cv::Mat> to_rgb8(const cv::Mat& decoded, const ImageHeader& header, const std::string& name) {
  cv::Mat eight;
  const int maxval = header.pnm_maxval;
  if (header.info.format == ImageFormat::kPnm && header.info.bit_depth > 1 && maxval != 255 &&
      maxval != 65535) {
    // OpenCV returns PNM samples unscaled: 0..maxval.
    decoded.convertTo(eight, CV_8U, 255.0 / maxval);
  } else {
    switch (decoded.depth()) {
      case CV_8U:
        eight = decoded;
        break;
      case CV_16U:
        decoded.convertTo(eight, CV_8U, 1.0 / 257.0);
        break;
      case CV_32F:
      case CV_64F:
        decoded.convertTo(eight, CV_8U, 255.0);
        break;
      default:
        return make_error(ErrorCode::kUnsupportedFormat, name,
                          "unsupported sample type (OpenCV depth " + std::to_string(decoded.depth()) + ")");
    }
  }
  // OpenCV 4.6's PAM (P7) decoder, unlike every other one, returns samples in file order (RGB).
  const bool rgb_order = header.info.format == ImageFormat::kPnm && header.pnm_kind == '7';
  cv::Mat rgb;
  switch (eight.channels()) {
    case 1:
      cv::cvtColor(eight, rgb, cv::COLOR_GRAY2RGB);
      break;
    case 2:
      rgb = composite_over_white(eight, rgb_order);
      break;
    case 3:
      if (rgb_order) {
        rgb = eight.isContinuous() ? eight : eight.clone();
      } else {
        cv::cvtColor(eight, rgb, cv::COLOR_BGR2RGB);
      }
      break;
    case 4: {
      // 32-bit BMPs often leave the fourth byte 0 without meaning transparency.
      cv::Mat alpha;
      cv::extractChannel(eight, alpha, 3);
      if (header.info.format == ImageFormat::kBmp && cv::countNonZero(alpha) == 0) {
        cv::cvtColor(eight, rgb, cv::COLOR_BGRA2RGB);
      } else {
        rgb = composite_over_white(eight, rgb_order);
      }
      break;
    }
    default:
      return make_error(ErrorCode::kUnsupportedFormat, name,
                        std::to_string(eight.channels()) + "-channel images are not supported");
  }
  return rgb;
}

Result<cv::Mat> decode_with_opencv(std::span<const std::uint8_t> bytes, const ImageHeader& header,
                                   const std::string& name, bool truncated) {
  std::span<const std::uint8_t> input = bytes;
  std::vector<std::uint8_t> patched;
  const std::size_t orientation_width = header.tiff_orientation_type == 4 ? 4 : 2;
  if (header.info.format == ImageFormat::kTiff && header.tiff_orientation_offset != 0 &&
      header.info.orientation != 1 && header.tiff_orientation_offset + orientation_width <= bytes.size()) {
    // OpenCV 4.6's TIFF decoder applies the Orientation tag itself, even with IMREAD_UNCHANGED
    // (unlike its other decoders). Resetting the tag to 1 in a private copy lets every format go
    // through the same orientation code.
    patched.assign(bytes.begin(), bytes.end());
    const auto at = static_cast<std::size_t>(header.tiff_orientation_offset);
    std::fill_n(patched.begin() + static_cast<std::ptrdiff_t>(at), orientation_width, std::uint8_t{0});
    patched[header.tiff_big_endian ? at + orientation_width - 1 : at] = 1;
    input = patched;
  }
  if (input.size() > static_cast<std::size_t>(INT_MAX)) {
    return make_error(ErrorCode::kTooLarge, name, "files over 2 GiB are not supported");
  }
  const cv::Mat buffer(1, static_cast<int>(input.size()), CV_8UC1, const_cast<std::uint8_t*>(input.data()));
  const cv::Mat decoded = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
  const std::string format = display_format_name(header.info.format);
  if (decoded.empty()) {
    if (truncated) {
      return make_error(ErrorCode::kTruncated, name,
                        "truncated " + format + ": OpenCV could not decode the partial data");
    }
    return make_error(ErrorCode::kCorrupt, name,
                      "corrupt " + format + ": OpenCV could not decode the pixel data");
  }
  return to_rgb8(decoded, header, name);
}

// ---------------------------------------------------------------- orientation

// EXIF orientation: how the stored rows map to the displayed picture (TIFF 6.0 / EXIF 2.3, tag
// 274). The result is the displayed picture.
cv::Mat apply_orientation(const cv::Mat& stored, int orientation) {
  cv::Mat shown;
  switch (orientation) {
    case 2:
      cv::flip(stored, shown, 1);
      break;
    case 3:
      cv::rotate(stored, shown, cv::ROTATE_180);
      break;
    case 4:
      cv::flip(stored, shown, 0);
      break;
    case 5:
      cv::transpose(stored, shown);
      break;
    case 6:
      cv::rotate(stored, shown, cv::ROTATE_90_CLOCKWISE);
      break;
    case 7: {
      cv::Mat transposed;
      cv::transpose(stored, transposed);
      cv::flip(transposed, shown, -1);
      break;
    }
    case 8:
      cv::rotate(stored, shown, cv::ROTATE_90_COUNTERCLOCKWISE);
      break;
    default:
      return stored;
  }
  return shown;
}

std::string pixel_limit_message(const ImageInfo& info, std::int64_t max_pixels) {
  return std::string(display_format_name(info.format)) + " image is " + std::to_string(info.stored_width) +
         "x" + std::to_string(info.stored_height) + " = " + std::to_string(info.pixel_count()) +
         " pixels, over the limit of " + std::to_string(max_pixels) + " pixels";
}

// Turns what OpenCV, the allocator or the standard library may throw into a Result error.
template <typename Function>
auto guarded(const std::string& name, Function&& function) -> decltype(function()) {
  try {
    return function();
  } catch (const cv::Exception& e) {
    // OpenCV refuses images over OPENCV_IO_MAX_IMAGE_PIXELS (read at load) by throwing.
    if (e.err.find("CV_IO_MAX_IMAGE") != std::string::npos) {
      return make_error(ErrorCode::kTooLarge, name,
                        "over OpenCV's own limit (OPENCV_IO_MAX_IMAGE_PIXELS/WIDTH): " + e.err);
    }
    return make_error(ErrorCode::kCorrupt, name, "OpenCV failed: " + e.err);
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::kTooLarge, name, "out of memory");
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kIo, name, std::string("unexpected failure: ") + e.what());
  } catch (...) {
    return make_error(ErrorCode::kIo, name, "unexpected failure");
  }
}

Result<DecodedImage> decode_bytes(std::span<const std::uint8_t> bytes, const std::string& name,
                                  const DecodeOptions& options) {
  MemorySource source(bytes);
  auto header = read_image_header(source, name, true);
  if (!header) return header.error();
  DecodedImage image;
  image.info = header->info;
  image.warnings = header->warnings;
  if (image.info.pixel_count() > options.max_pixels) {
    return make_error(ErrorCode::kTooLarge, name, pixel_limit_message(image.info, options.max_pixels));
  }
  bool truncated = false;
  if (auto complete = check_image_complete(*header, bytes, name); !complete) {
    if (complete.error().code != ErrorCode::kTruncated || !options.allow_truncated) {
      return complete.error();
    }
    truncated = true;
    image.warnings.push_back(complete.error().message + "; decoded anyway (allow_truncated)");
  }
  Result<cv::Mat> decoded = cv::Mat();
  switch (image.info.format) {
    case ImageFormat::kJpeg:
      decoded = decode_jpeg(bytes, name, options.allow_truncated, truncated, image.warnings);
      break;
    case ImageFormat::kGif:
      decoded =
          decode_gif_first_frame(bytes, name, options.max_pixels, options.allow_truncated, image.warnings);
      break;
    default:
      decoded = decode_with_opencv(bytes, *header, name, truncated);
      break;
  }
  if (!decoded) return decoded.error();
  cv::Mat rgb = std::move(decoded).value();
  image.info.stored_width = rgb.cols;
  image.info.stored_height = rgb.rows;
  if (options.apply_orientation) rgb = apply_orientation(rgb, image.info.orientation);
  image.rgb = rgb.isContinuous() ? rgb : rgb.clone();
  return image;
}

Status write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes, bool exclusive) {
  const int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | (exclusive ? O_EXCL : 0);
  const int fd = ::open(path.c_str(), flags, 0666);
  if (fd < 0) {
    if (errno == EEXIST) return make_error(ErrorCode::kIo, path, "already exists (not overwritten)");
    return make_error(ErrorCode::kIo, path, std::string("cannot create: ") + std::strerror(errno));
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      ::close(fd);
      ::unlink(path.c_str());
      return make_error(ErrorCode::kIo, path, std::string("write failed: ") + std::strerror(error));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(path.c_str());
    return make_error(ErrorCode::kIo, path, std::string("write failed: ") + std::strerror(error));
  }
  return Ok{};
}

}  // namespace

namespace {

// An object in remote storage (s3://), read whole through the storage layer and its cache.
Result<std::vector<std::uint8_t>> read_remote_bytes(const std::string& uri) {
  auto bytes = storage::read_file(uri);
  if (!bytes) return bytes.error();
  return std::vector<std::uint8_t>(bytes->begin(), bytes->end());
}

}  // namespace

Result<std::vector<std::uint8_t>> read_file_bytes(const std::string& path) {
  if (storage::is_remote(path)) return read_remote_bytes(path);
  return guarded(path, [&]() -> Result<std::vector<std::uint8_t>> {
    auto file = FileSource::open(path);
    if (!file) return file.error();
    return (*file)->read_all();
  });
}

ImageFormat sniff_image_format(std::span<const std::uint8_t> bytes) {
  return sniff_format(bytes);
}

Result<ImageInfo> probe_image_bytes(std::span<const std::uint8_t> bytes, const std::string& name) {
  return guarded(name, [&]() -> Result<ImageInfo> {
    MemorySource source(bytes);
    auto header = read_image_header(source, name, false);
    if (!header) return header.error();
    return header->info;
  });
}

Result<ImageInfo> probe_image_file(const std::string& path) {
  if (storage::is_remote(path)) {
    auto bytes = read_remote_bytes(path);
    if (!bytes) return bytes.error();
    return probe_image_bytes(*bytes, path);
  }
  return guarded(path, [&]() -> Result<ImageInfo> {
    auto file = FileSource::open(path);
    if (!file) return file.error();
    auto header = read_image_header(**file, path, false);
    if (!header) return header.error();
    return header->info;
  });
}

Result<DecodedImage> decode_image_bytes(std::span<const std::uint8_t> bytes, const std::string& name,
                                        const DecodeOptions& options) {
  return guarded(name, [&]() { return decode_bytes(bytes, name, options); });
}

Result<DecodedImage> decode_image_file(const std::string& path, const DecodeOptions& options) {
  if (storage::is_remote(path)) {
    auto bytes = read_remote_bytes(path);
    if (!bytes) return bytes.error();
    return decode_image_bytes(*bytes, path, options);
  }
  return guarded(path, [&]() -> Result<DecodedImage> {
    auto file = FileSource::open(path);
    if (!file) return file.error();
    // Refuse oversized images before reading the whole file.
    auto header = read_image_header(**file, path, false);
    if (!header) return header.error();
    if (header->info.pixel_count() > options.max_pixels) {
      return make_error(ErrorCode::kTooLarge, path, pixel_limit_message(header->info, options.max_pixels));
    }
    auto bytes = (*file)->read_all();
    if (!bytes) return bytes.error();
    return decode_bytes(*bytes, path, options);
  });
}

Status write_image_file(const cv::Mat& rgb, const std::string& path, int jpeg_quality, bool overwrite) {
  return guarded(path, [&]() -> Status {
    if (rgb.empty() || rgb.type() != CV_8UC3) {
      return make_error(ErrorCode::kInvalidArgument, path,
                        "write_image_file needs a non-empty CV_8UC3 RGB image (got type " +
                            std::to_string(rgb.type()) + ", " + std::to_string(rgb.cols) + "x" +
                            std::to_string(rgb.rows) + ")");
    }
    if (jpeg_quality < 0 || jpeg_quality > 100) {
      return make_error(ErrorCode::kInvalidArgument, path,
                        "JPEG quality " + std::to_string(jpeg_quality) + " is not 0..100");
    }
    namespace fs = std::filesystem;
    const fs::path target(path);
    std::string extension = target.extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (extension.empty()) {
      return make_error(ErrorCode::kInvalidArgument, path,
                        "no file extension to choose the image format from");
    }
    if (!cv::haveImageWriter(extension)) {
      return make_error(ErrorCode::kUnsupportedFormat, path, "OpenCV cannot write '" + extension + "' files");
    }
    const fs::path parent = target.parent_path();
    std::error_code error;
    if (!parent.empty() && !fs::is_directory(parent, error)) {
      return make_error(ErrorCode::kNotFound, path, "the folder '" + parent.string() + "' does not exist");
    }
    const bool exists = fs::exists(target, error);
    if (exists && !overwrite) {
      return make_error(ErrorCode::kIo, path, "already exists (not overwritten)");
    }
    std::vector<int> params;
    if (extension == ".jpg" || extension == ".jpeg" || extension == ".jpe") {
      params = {cv::IMWRITE_JPEG_QUALITY, jpeg_quality};
    } else if (extension == ".webp") {
      params = {cv::IMWRITE_WEBP_QUALITY, std::max(jpeg_quality, 1)};
    }
    cv::Mat bgr;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    std::vector<std::uint8_t> encoded;
    if (!cv::imencode(extension, bgr, encoded, params) || encoded.empty()) {
      return make_error(ErrorCode::kIo, path, "OpenCV could not encode the image as " + extension);
    }
    if (!overwrite) return write_bytes(path, encoded, true);
    // Write next to the target and rename over it, so that readers never see half a file.
    static std::atomic<unsigned> counter{0};
    const std::string temporary =
        path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
    if (auto written = write_bytes(temporary, encoded, true); !written) return written;
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
      const int rename_error = errno;
      ::unlink(temporary.c_str());
      return make_error(ErrorCode::kIo, path,
                        std::string("cannot replace the file: ") + std::strerror(rename_error));
    }
    return Ok{};
  });
}

}  // namespace logoscope::imageio
