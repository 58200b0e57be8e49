#include "imageio/gif_decode.hpp"

#include <gif_lib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

namespace logoscope::imageio {

namespace {

struct Reader {
  std::span<const std::uint8_t> bytes;
  std::size_t pos = 0;
};

int read_bytes(GifFileType* gif, GifByteType* out, int count) {
  auto* reader = static_cast<Reader*>(gif->UserData);
  const std::size_t wanted = count > 0 ? static_cast<std::size_t>(count) : 0;
  const std::size_t n = std::min(wanted, reader->bytes.size() - reader->pos);
  std::memcpy(out, reader->bytes.data() + reader->pos, n);
  reader->pos += n;
  return static_cast<int>(n);
}

struct GifCloser {
  void operator()(GifFileType* gif) const {
    int error = 0;
    DGifCloseFile(gif, &error);
  }
};

Error gif_error(int code, const std::string& name, std::size_t file_size, const char* where) {
  if (code == D_GIF_ERR_READ_FAILED || code == D_GIF_ERR_EOF_TOO_SOON) {
    return Error{ErrorCode::kTruncated, name + ": truncated GIF: the data ends inside " + where +
                                            " (file is " + std::to_string(file_size) + " bytes)"};
  }
  const char* text = GifErrorString(code);
  return Error{ErrorCode::kCorrupt,
               name + ": corrupt GIF: " + (text != nullptr ? text : "error") + " in " + where};
}

}  // namespace

Result<cv::Mat> decode_gif_first_frame(std::span<const std::uint8_t> bytes, const std::string& name,
                                       std::int64_t max_pixels, bool allow_truncated,
                                       std::vector<std::string>& warnings) {
  Reader reader{bytes, 0};
  int open_error = 0;
  std::unique_ptr<GifFileType, GifCloser> gif(DGifOpen(&reader, read_bytes, &open_error));
  if (!gif) return gif_error(open_error, name, bytes.size(), "the header");

  int transparent = NO_TRANSPARENT_COLOR;
  while (true) {
    GifRecordType type = UNDEFINED_RECORD_TYPE;
    if (DGifGetRecordType(gif.get(), &type) == GIF_ERROR) {
      return gif_error(gif->Error, name, bytes.size(), "the blocks before the first image");
    }
    if (type == IMAGE_DESC_RECORD_TYPE) break;
    if (type == TERMINATE_RECORD_TYPE) {
      return Error{ErrorCode::kCorrupt, name + ": corrupt GIF: the trailer comes before any image"};
    }
    if (type != EXTENSION_RECORD_TYPE) continue;
    int code = 0;
    GifByteType* block = nullptr;
    if (DGifGetExtension(gif.get(), &code, &block) == GIF_ERROR) {
      return gif_error(gif->Error, name, bytes.size(), "an extension block");
    }
    // Only the graphics control block matters here: it names the transparent colour.
    if (code == GRAPHICS_EXT_FUNC_CODE && block != nullptr && block[0] >= 4) {
      GraphicsControlBlock control{};
      if (DGifExtensionToGCB(block[0], block + 1, &control) == GIF_OK) {
        transparent = control.TransparentColor;
      }
    }
    while (block != nullptr) {
      if (DGifGetExtensionNext(gif.get(), &block) == GIF_ERROR) {
        return gif_error(gif->Error, name, bytes.size(), "an extension block");
      }
    }
  }
  if (DGifGetImageDesc(gif.get()) == GIF_ERROR) {
    return gif_error(gif->Error, name, bytes.size(), "the first image descriptor");
  }
  const GifImageDesc frame = gif->Image;
  if (frame.Width <= 0 || frame.Height <= 0) {
    return Error{ErrorCode::kCorrupt, name + ": corrupt GIF: the first image is " +
                                          std::to_string(frame.Width) + "x" + std::to_string(frame.Height) +
                                          " pixels"};
  }
  if (static_cast<std::int64_t>(frame.Width) * frame.Height > max_pixels) {
    return Error{ErrorCode::kTooLarge, name + ": the first GIF frame is " + std::to_string(frame.Width) +
                                           "x" + std::to_string(frame.Height) +
                                           " pixels, over the limit of " + std::to_string(max_pixels) +
                                           " pixels"};
  }
  const ColorMapObject* colours = frame.ColorMap != nullptr ? frame.ColorMap : gif->SColorMap;
  if (colours == nullptr || colours->Colors == nullptr) {
    return Error{ErrorCode::kCorrupt, name + ": corrupt GIF: the first image has no colour table"};
  }
  int canvas_width = gif->SWidth;
  int canvas_height = gif->SHeight;
  if (canvas_width <= 0 || canvas_height <= 0) {
    canvas_width = frame.Left + frame.Width;
    canvas_height = frame.Top + frame.Height;
  }

  cv::Mat canvas(canvas_height, canvas_width, CV_8UC3, cv::Scalar::all(255));
  std::vector<GifPixelType> line(static_cast<std::size_t>(frame.Width));
  // Interlaced frames store rows in four passes: every 8th from 0, every 8th from 4, every 4th
  // from 2, every 2nd from 1.
  struct Pass {
    int start;
    int step;
  };
  static constexpr std::array<Pass, 4> kInterlaced = {{{0, 8}, {4, 8}, {2, 4}, {1, 2}}};
  static constexpr std::array<Pass, 1> kSequential = {{{0, 1}}};
  const std::span<const Pass> passes =
      frame.Interlace ? std::span<const Pass>(kInterlaced) : std::span<const Pass>(kSequential);
  int rows_done = 0;
  for (const Pass& pass : passes) {
    for (int row = pass.start; row < frame.Height; row += pass.step) {
      if (DGifGetLine(gif.get(), line.data(), frame.Width) == GIF_ERROR) {
        Error error = gif_error(gif->Error, name, bytes.size(), "the first image");
        if (!allow_truncated || error.code != ErrorCode::kTruncated) return error;
        warnings.push_back(error.message + "; decoded " + std::to_string(rows_done) + " of " +
                           std::to_string(frame.Height) + " rows, the rest is white");
        return canvas;
      }
      ++rows_done;
      const int y = frame.Top + row;
      if (y >= canvas_height) continue;
      auto* out = canvas.ptr<std::uint8_t>(y);
      const int last = std::min(frame.Width, canvas_width - frame.Left);
      for (int x = 0; x < last; ++x) {
        const int index = line[static_cast<std::size_t>(x)];
        if (index == transparent) continue;
        std::uint8_t* pixel = out + std::ptrdiff_t{3} * (frame.Left + x);
        if (index >= colours->ColorCount) {
          pixel[0] = pixel[1] = pixel[2] = 0;
          continue;
        }
        const GifColorType& colour = colours->Colors[index];
        pixel[0] = colour.Red;
        pixel[1] = colour.Green;
        pixel[2] = colour.Blue;
      }
    }
  }
  return canvas;
}

}  // namespace logoscope::imageio
