// Image headers and decoders (JPEG, PNG, GIF, TIFF, WebP, BMP, PNM; EXIF): probe, then decode
// under a small pixel cap, strictly or keeping what a truncated file holds.
#include <cstdint>
#include <span>

#include "imageio/image_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  (void)logoscope::imageio::probe_image_bytes(bytes, "fuzz");
  logoscope::imageio::DecodeOptions options;
  options.max_pixels = 1 << 22;  // 4 MP: larger claims are refused from the header, as they would be
  options.allow_truncated = size > 0 && (data[size - 1] & 1U) != 0U;
  (void)logoscope::imageio::decode_image_bytes(bytes, "fuzz", options);
  return 0;
}
