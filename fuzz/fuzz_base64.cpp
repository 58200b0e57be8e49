// Base64 as the Rekognition request's Image.Bytes carries it.
#include <cstdint>
#include <string_view>

#include "core/base64.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)logoscope::base64_decode(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
