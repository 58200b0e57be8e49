// core/sha256.hpp — SHA-256 as lower-case hex (OpenSSL), for S3 payload hashes, SigV4 signatures,
// cache keys and model fingerprints.
//
// Thread safety: reentrant.
#pragma once

#include <string>
#include <string_view>

namespace logoscope {

/// Lower-case hex SHA-256 of `data` (64 characters).
std::string sha256_hex(std::string_view data);

}  // namespace logoscope
