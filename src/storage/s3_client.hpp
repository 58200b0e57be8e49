// storage/s3_client.hpp — an S3 client on libcurl: SigV4 signing (curl's own), retries with
// backoff and jitter, streaming uploads in parts, and errors that name the bucket and key.
//
// Works with AWS and with S3-compatible servers (Ceph RGW, MinIO, s3rver, …) in path-style or
// virtual-hosted addressing (storage/s3_config.hpp).
//
// Credentials: static ones, or temporary ones fetched when the first request needs them and
// refreshed before they expire (storage/s3_config.hpp), so a long-lived client keeps working.
//
// Thread safety: every method may be called from many threads at once; each thread reuses its
// own curl handle (and so its connections).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "logoscope/result.hpp"
#include "storage/s3_config.hpp"
#include "storage/s3_uri.hpp"

namespace logoscope::storage {

class CredentialCache;

struct S3ObjectInfo {
  std::string key;
  std::uint64_t size = 0;
  std::string etag;  ///< as the server sends it, quotes removed
};

/// Requests and retries made, for tests and benchmarks (all clients of the process).
struct S3Counters {
  std::uint64_t requests = 0;
  std::uint64_t retries = 0;
  std::uint64_t bytes_down = 0;
  std::uint64_t bytes_up = 0;
};
S3Counters s3_counters();

class S3Client {
 public:
  explicit S3Client(S3Settings settings);

  [[nodiscard]] const S3Settings& settings() const { return settings_; }

  /// The credentials requests are signed with now: the static ones, or those fetched from the
  /// settings' provider on first use and refreshed shortly before they expire (see
  /// CredentialCache in aws_credentials.hpp). Errors (kAccessDenied): none found, or the source
  /// failed; the message names the source and says what to do.
  [[nodiscard]] Result<S3Credentials> credentials() const;

  /// The whole object. `etag` receives its ETag when not null. Errors: kNotFound (no such key
  /// or bucket), kAccessDenied (refused credentials, signature or clock), kIo (the server kept
  /// failing or the transfer kept breaking after every retry); each names s3://bucket/key.
  Result<std::string> get(const S3Location& location, std::string* etag = nullptr) const;

  /// Bytes [offset, offset + length) (fewer at the end of the object).
  Result<std::string> get_range(const S3Location& location, std::uint64_t offset, std::uint64_t length) const;

  /// Size and ETag; nullopt when there is no such object.
  Result<std::optional<S3ObjectInfo>> head(const S3Location& location) const;

  /// Writes the object whole: one PUT, or a multipart upload above the settings' threshold,
  /// aborted on failure, so readers see the old object or the new one, never part of one.
  Status put(const S3Location& location, std::string_view body) const;

  /// Uploads a local file the same way, reading it one part at a time.
  Status put_file(const S3Location& location, const std::string& local_path) const;

  /// Every object whose key starts with `prefix`, in key order (ListObjectsV2, page after page).
  /// At most `limit`.
  Result<std::vector<S3ObjectInfo>> list(const std::string& bucket, const std::string& prefix,
                                         std::size_t limit = SIZE_MAX) const;

  /// Deletes the object (no error when it does not exist).
  Status remove(const S3Location& location) const;

 private:
  struct Request;
  struct Response;
  Status ensure_credentials(const std::string& what) const;
  Response perform(const Request& request) const;
  Response perform_with_retries(const Request& request) const;
  std::string url_for(const std::string& bucket, const std::string& key, const std::string& query) const;
  Error error_for(const Request& request, const Response& response) const;
  Status put_in_parts(const S3Location& location, std::uint64_t size,
                      const std::function<Result<std::string>(std::uint64_t, std::size_t)>& read_part) const;

  S3Settings settings_;
  std::shared_ptr<const CredentialCache> credentials_;
};

}  // namespace logoscope::storage
