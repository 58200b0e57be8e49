#include "logoscope/result.hpp"

namespace logoscope {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kIo: return "io";
    case ErrorCode::kUnsupportedFormat: return "unsupported_format";
    case ErrorCode::kCorrupt: return "corrupt";
    case ErrorCode::kTruncated: return "truncated";
    case ErrorCode::kTooLarge: return "too_large";
    case ErrorCode::kParse: return "parse";
    case ErrorCode::kInvalidValue: return "invalid_value";
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kAccessDenied: return "access_denied";
    case ErrorCode::kInternal: return "internal";
  }
  return "unknown";
}

}  // namespace logoscope
