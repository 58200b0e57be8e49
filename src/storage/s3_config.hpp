// storage/s3_config.hpp — where S3 requests go and who signs them, found the way AWS tools find it.
//
// Credentials, in order: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN); the
// profile (AWS_PROFILE, else "default") in the shared credentials file (AWS_SHARED_CREDENTIALS_FILE,
// else ~/.aws/credentials); the same profile in the config file (AWS_CONFIG_FILE, else
// ~/.aws/config, section "[profile NAME]" or "[default]").
// Region: AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`, else us-east-1.
// Endpoint: the --endpoint-url given to logoscope, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the
// profile's `endpoint_url` (also under its `s3 =` block), else AWS's regional endpoint.
// Addressing: LOGOSCOPE_S3_ADDRESSING_STYLE or the profile's `s3 = addressing_style` (path,
// virtual, auto). Auto: virtual-hosted on AWS for DNS-safe bucket names, path-style elsewhere.
// Retries: AWS_MAX_ATTEMPTS (default 5).
//
// Thread safety: pure functions of their arguments.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "logoscope/result.hpp"

namespace logoscope::storage {

enum class AddressingStyle { kAuto, kPath, kVirtual };

struct S3Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  ///< empty unless temporary credentials
  std::string source;         ///< where they were found, for messages ("AWS_ACCESS_KEY_ID", "~/.aws/credentials [prod]")
};

struct S3Settings {
  std::string endpoint;       ///< scheme://host[:port], no trailing slash
  bool custom_endpoint = false;  ///< false: AWS's own regional endpoint
  std::string region = "us-east-1";
  AddressingStyle addressing = AddressingStyle::kAuto;
  std::string profile = "default";
  int max_attempts = 5;              ///< tries per request, the first included
  double backoff_base_s = 0.2;       ///< first retry waits up to this (full jitter), doubling
  double backoff_cap_s = 5.0;
  double connect_timeout_s = 10.0;
  double stall_timeout_s = 30.0;     ///< a transfer that moves no byte for this long is retried
  std::size_t multipart_threshold = std::size_t{16} << 20;  ///< uploads above this go in parts
  std::size_t part_size = std::size_t{8} << 20;
  std::optional<S3Credentials> credentials;  ///< nullopt: none found (requests then fail, saying where we looked)
  std::string credentials_searched;          ///< the places looked in, for that message
};

/// Reads an environment variable; nullopt when unset or empty. Tests pass their own.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

/// The process environment.
EnvLookup process_environment();

/// Settings from the environment and the AWS files. `endpoint_override` (logoscope's
/// --endpoint-url) wins over every other endpoint source when not empty. Errors
/// (kInvalidValue, naming the variable or file and line): an endpoint that is not http(s)://,
/// a malformed AWS_MAX_ATTEMPTS or addressing style, an unreadable credentials file.
Result<S3Settings> resolve_s3_settings(const EnvLookup& env, const std::string& endpoint_override = "");

}  // namespace logoscope::storage
