// server/base64.hpp — strict base64 (RFC 4648 §4) decoding of request bodies' image bytes.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "logoscope/result.hpp"

namespace logoscope::server {

/// Decodes standard base64 with '=' padding (a missing final padding is accepted, as Python and
/// AWS SDKs do). Errors (kParse) name the first offending character's offset: a character outside
/// the alphabet, padding in the middle, a length that cannot be base64.
Result<std::vector<std::uint8_t>> base64_decode(std::string_view text);

}  // namespace logoscope::server
