#include "server/aws_error.hpp"

#include <cctype>

#include <nlohmann/json.hpp>

namespace logoscope::server {

AwsError aws_error_for(const Error& error) {
  switch (error.code) {
    case ErrorCode::kUnsupportedFormat:
    case ErrorCode::kCorrupt:
    case ErrorCode::kTruncated:
    case ErrorCode::kParse:
      return {400, "InvalidImageFormatException", "Request has invalid image format: " + error.message};
    case ErrorCode::kTooLarge:
      return {400, "ImageTooLargeException", error.message};
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kInvalidValue:
      return {400, "InvalidParameterException", error.message};
    case ErrorCode::kNotFound:
      return {400, "ResourceNotFoundException", error.message};
    case ErrorCode::kAccessDenied:
      return {400, "AccessDeniedException", error.message};
    case ErrorCode::kIo:
    case ErrorCode::kInternal:
      break;
  }
  return {500, "InternalServerError", error.message};
}

std::string aws_error_body(const AwsError& error) {
  return nlohmann::json{{"__type", error.type}, {"Message", error.message}}.dump();
}

std::string rest_error_code(const std::string& aws_type) {
  std::string base = aws_type;
  for (const char* suffix : {"Exception", "Error"}) {
    const std::string tail = suffix;
    if (base.size() > tail.size() && base.compare(base.size() - tail.size(), tail.size(), tail) == 0) {
      base.resize(base.size() - tail.size());
      break;
    }
  }
  std::string code;
  for (std::size_t i = 0; i < base.size(); ++i) {
    const auto c = static_cast<unsigned char>(base[i]);
    if (std::isupper(c) != 0) {
      if (i > 0) code += '_';
      code += static_cast<char>(std::tolower(c));
    } else {
      code += static_cast<char>(c);
    }
  }
  return code;
}

}  // namespace logoscope::server
