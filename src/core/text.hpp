#pragma once
// Small helpers for the words people read in summaries.

#include <cstddef>
#include <ctime>
#include <string>
#include <string_view>

namespace logoscope {

// "1 label", "2 labels", "0 labels"; `plural` when the word does not just take an "s"
// (count_of(2, "box", "boxes")).
std::string count_of(std::size_t count, std::string_view singular, std::string_view plural = {});

/// One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
std::string csv_field(std::string_view text);

/// `seconds` since the epoch as UTC text in `strftime_format` (default ISO 8601 with a Z:
/// "2026-12-07T08:30:00Z").
std::string utc_time_text(std::time_t seconds, const char* strftime_format = "%Y-%m-%dT%H:%M:%SZ");

}  // namespace logoscope
