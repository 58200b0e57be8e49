#include "storage/s3_uri.hpp"

#include <cctype>

#include <fmt/format.h>

namespace logoscope::storage {

namespace {

bool bucket_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

bool alnum_lower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

Result<S3Location> parse_s3_uri(const std::string& uri) {
  constexpr std::string_view kScheme = "s3://";
  if (uri.rfind(kScheme, 0) != 0) {
    return Error{ErrorCode::kInvalidArgument, fmt::format("{}: not an s3:// URI", uri)};
  }
  const std::string rest = uri.substr(kScheme.size());
  const auto slash = rest.find('/');
  S3Location location;
  location.bucket = rest.substr(0, slash);
  if (slash != std::string::npos) location.key = rest.substr(slash + 1);
  if (location.bucket.empty()) {
    return Error{ErrorCode::kInvalidArgument, fmt::format("{}: no bucket name after s3://", uri)};
  }
  const std::string& bucket = location.bucket;
  bool valid = bucket.size() >= 3 && bucket.size() <= 63 && alnum_lower(bucket.front()) && alnum_lower(bucket.back());
  for (const char c : bucket) valid = valid && bucket_char(c);
  if (!valid) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("{}: \"{}\" is not a valid bucket name (3-63 characters of a-z, 0-9, '.' and '-', "
                             "starting and ending with a letter or digit)",
                             uri, bucket)};
  }
  return location;
}

std::string to_s3_uri(const S3Location& location) { return "s3://" + location.bucket + "/" + location.key; }

std::string s3_uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3 / 2);
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

bool bucket_is_dns_safe(std::string_view bucket) {
  for (const char c : bucket) {
    if (c == '.' || (c >= 'A' && c <= 'Z')) return false;
  }
  return !bucket.empty();
}

}  // namespace logoscope::storage
