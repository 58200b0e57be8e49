// storage/s3_uri.hpp — s3://bucket/key references: parsing, joining, and S3's URI encoding.
//
// Pure string functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "logoscope/result.hpp"

namespace logoscope::storage {

/// One object (or, with a key ending in '/', a prefix) in a bucket.
struct S3Location {
  std::string bucket;
  std::string key;  ///< may be empty (the bucket's root) or end in '/' (a prefix)
};

/// Splits "s3://bucket/key". Errors (kInvalidArgument, naming the URI): not s3://, no bucket, a
/// bucket name S3 does not allow (3–63 characters of a-z 0-9 . -, starting and ending with a
/// letter or digit).
Result<S3Location> parse_s3_uri(const std::string& uri);

/// "s3://bucket/key".
std::string to_s3_uri(const S3Location& location);

/// S3's percent-encoding for canonical requests and URLs: A-Z a-z 0-9 - _ . ~ stay, every other
/// byte becomes %XX (upper-case hex); '/' stays when `keep_slash` (object keys in paths).
std::string s3_uri_encode(std::string_view text, bool keep_slash);

/// True when the bucket name can be a DNS label of a virtual-hosted URL (no dots, lower case).
bool bucket_is_dns_safe(std::string_view bucket);

}  // namespace logoscope::storage
