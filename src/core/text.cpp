#include "core/text.hpp"

#include <ctime>

namespace logoscope {

std::string count_of(std::size_t count, std::string_view singular, std::string_view plural) {
  std::string text = std::to_string(count) + " ";
  if (count == 1) {
    text += singular;
  } else if (plural.empty()) {
    text += singular;
    text += "s";
  } else {
    text += plural;
  }
  return text;
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string utc_time_text(std::time_t seconds, const char* strftime_format) {
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  const std::size_t length = std::strftime(text, sizeof text, strftime_format, &utc);
  return std::string(text, length);
}

}  // namespace logoscope
