#include "core/text.hpp"

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

}  // namespace logoscope
