// detect's predictions as evaluate reads them: JSON Lines or the CSV, recognised by the header.
#include <cstdint>
#include <string>

#include "eval/predictions.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  logoscope::Problems problems;
  (void)logoscope::eval::parse_predictions(text, "fuzz.jsonl", problems);
  return 0;
}
