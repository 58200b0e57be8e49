// server/sigv4.hpp — verify AWS Signature Version 4 on incoming requests (the Authorization header
// form: "AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, SignedHeaders=...,
// Signature=..."), and refuse the way AWS JSON-protocol services such as Rekognition do: the same
// exception names (__type), HTTP statuses and message wording, checked in the same order.
//
// The server side of what the AWS SDKs and CLI do when they sign: the canonical request is rebuilt
// from the request as received (method; the path as sent, normalised and encoded once more, as
// AWS does for every service but S3; the query re-encoded and sorted; the signed headers,
// lowercased, trimmed, inner whitespace collapsed, repeated headers joined with ','; the payload
// hash), the signing key is derived from the secret of the access key named in the credential
// scope, and the signatures are compared in constant time.
//
// A self-hosted server: any region and service in the credential scope are accepted (they enter
// the computation exactly as given). The request time (X-Amz-Date, else Date) must lie within
// max_skew of `now`. Session tokens (X-Amz-Security-Token) are not checked: keys are long-term.
//
// Usage:  auto refused = verify_sigv4(request, keys, std::chrono::system_clock::now());
//         if (refused) answer refused->http_status with {"__type": aws_type, "message": message}.
//
// Thread safety: every function is pure (no shared state); call from any number of threads.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/sha256.hpp"  // sha256_hex, which SigV4 users hash payloads with

namespace logoscope::server {

/// One access key the server accepts.
struct SigV4Key {
  std::string access_key_id;      ///< e.g. "AKIDEXAMPLE"; compared exactly (case-sensitive)
  std::string secret_access_key;  ///< the signing secret
};

/// An HTTP request as received, before any decoding.
struct SigV4Request {
  std::string method;  ///< "POST", as on the request line
  /// The request path as sent on the wire (still percent-encoded), without the query.
  std::string path;
  std::string query;  ///< the raw query string without '?', may be empty
  /// Every header in arrival order; names in any case, values as received (repeats allowed).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;  ///< the whole body (hashed unless x-amz-content-sha256 is UNSIGNED-PAYLOAD)
};

/// Why a request was refused, in the shape of an AWS JSON-1.1 error answer.
struct SigV4Rejection {
  int http_status = 400;  ///< HTTP status to answer with (400 for every SigV4 refusal)
  std::string aws_type;   ///< the exception name, e.g. "InvalidSignatureException"
  std::string message;    ///< AWS's wording
};

// The exception names verify_sigv4 answers with (all with HTTP 400).
inline constexpr std::string_view kMissingAuthenticationToken = "MissingAuthenticationTokenException";
inline constexpr std::string_view kIncompleteSignature = "IncompleteSignatureException";
inline constexpr std::string_view kInvalidSignature = "InvalidSignatureException";
inline constexpr std::string_view kUnrecognizedClient = "UnrecognizedClientException";

/// Verifies the Signature Version 4 Authorization header of `request` against `keys`.
/// nullopt: accepted. Otherwise the first failed check, in AWS's order:
/// - no Authorization header, or one not starting with "AWS4-" → MissingAuthenticationTokenException;
///   several Authorization headers → IncompleteSignatureException;
/// - a component that is not key=value; Credential, SignedHeaders or Signature missing; neither
///   X-Amz-Date nor Date; a date not in ISO-8601 basic form (X-Amz-Date) or RFC 1123 (Date)
///   → IncompleteSignatureException;
/// - the request time further than max_skew from `now` ("Signature expired: ..." /
///   "Signature not yet current: ...") → InvalidSignatureException;
/// - host not among SignedHeaders → InvalidSignatureException;
/// - an algorithm other than AWS4-HMAC-SHA256, a Credential without 5 '/'-separated elements
///   → IncompleteSignatureException;
/// - a scope whose date is not the request's, whose region or service is empty, whose terminator
///   is not aws4_request → InvalidSignatureException;
/// - an access key id not in `keys` → UnrecognizedClientException;
/// - a signed header the request lacks → IncompleteSignatureException;
/// - a signed x-amz-content-sha256 that is neither the body's SHA-256 nor UNSIGNED-PAYLOAD, or a
///   signature that does not match → InvalidSignatureException (the mismatch message carries the
///   canonical request and string to sign, as AWS's does).
/// `now` is the server clock (injected for tests); max_skew ≥ 0.
std::optional<SigV4Rejection> verify_sigv4(const SigV4Request& request, const std::vector<SigV4Key>& keys,
                                           std::chrono::system_clock::time_point now,
                                           std::chrono::seconds max_skew = std::chrono::minutes(5));

/// Raw 32-byte HMAC-SHA256 of `data` under `key` (not hex).
std::string hmac_sha256(std::string_view key, std::string_view data);

/// The canonical URI of a wire path, as AWS computes it for non-S3 services: empty → "/"; "." and
/// ".." segments resolved and repeated '/' collapsed (a trailing '/' kept); then every byte that
/// is not unreserved (A–Z a–z 0–9 - _ . ~) or '/' percent-encoded with uppercase hex — so a '%'
/// already in the path becomes "%25" (the path is encoded a second time).
std::string sigv4_canonical_uri(std::string_view wire_path);

/// The canonical query string of a raw query: '&'-separated parameters (empty ones dropped), each
/// split at its first '=' (none: empty value), names and values percent-decoded ('+' stays a
/// literal '+'; a malformed "%" escape stays literal) and re-encoded like sigv4_canonical_uri
/// (but '/' encoded too), sorted by encoded name then value, joined as "name=value&...".
std::string sigv4_canonical_query(std::string_view raw_query);

}  // namespace logoscope::server
