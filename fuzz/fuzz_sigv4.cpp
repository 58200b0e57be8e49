// serve's Signature Version 4 check on a request as received. The input is the request:
// METHOD\nPATH\nQUERY\n then "Name: value" header lines up to an empty line, then the body.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/sigv4.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  logoscope::server::SigV4Request request;
  std::size_t at = 0;
  auto next_line = [&]() -> std::string_view {
    const std::size_t end = text.find('\n', at);
    const std::string_view line = text.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    at = end == std::string_view::npos ? text.size() : end + 1;
    return line;
  };
  request.method = next_line();
  request.path = next_line();
  request.query = next_line();
  while (at < text.size()) {
    const std::string_view line = next_line();
    if (line.empty()) break;
    const std::size_t colon = line.find(':');
    request.headers.emplace_back(std::string(line.substr(0, colon)),
                                 colon == std::string_view::npos ? std::string() : std::string(line.substr(colon + 1)));
  }
  request.body = text.substr(at);
  const std::vector<logoscope::server::SigV4Key> keys = {{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}};
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1440938160));  // 2015-08-30T12:36:00Z
  (void)logoscope::server::verify_sigv4(request, keys, now);
  return 0;
}
