// core/base64.hpp — base64 (RFC 4648 §4): strict decoding of request bodies' image bytes (server),
// encoding of images embedded in HTML reports.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "logoscope/result.hpp"

namespace logoscope {

/// Decodes standard base64 with '=' padding (a missing final padding is accepted, as Python and
/// AWS SDKs do). Errors (kParse) name the first offending character's offset: a character outside
/// the alphabet, padding in the middle, a length that cannot be base64.
Result<std::vector<std::uint8_t>> base64_decode(std::string_view text);

/// Standard base64 with '=' padding.
std::string base64_encode(std::span<const std::uint8_t> bytes);

}  // namespace logoscope
