// A DetectCustomLabels request body as `serve` reads it: nlohmann-json without exceptions, then
// the fields checked and Image.Bytes decoded (server/detect_request.hpp).
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/detect_request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto request =
      nlohmann::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), nullptr, false);
  if (request.is_discarded()) return 0;
  (void)logoscope::server::read_detect_custom_labels(request);
  return 0;
}
