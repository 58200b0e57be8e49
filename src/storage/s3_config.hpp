// storage/s3_config.hpp — where S3 requests go and who signs them, found the way AWS tools find it.
//
// Credentials, in the AWS CLI's order (the first source configured wins):
//   1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN).
//   2. Web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME), by STS
//      AssumeRoleWithWebIdentity (unsigned).
//   3. The profile (AWS_PROFILE, else "default") in the shared credentials file
//      (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials, "[NAME]") and the config file
//      (AWS_CONFIG_FILE, else ~/.aws/config, "[profile NAME]" or "[default]"), in this order:
//      - role_arn with source_profile (chains allowed, cycles refused) or credential_source
//        (Environment, Ec2InstanceMetadata, EcsContainer): STS AssumeRole signed with the source's
//        credentials (+ external_id, duration_seconds, role_session_name); with
//        web_identity_token_file instead: AssumeRoleWithWebIdentity. mfa_serial is refused
//        (logoscope cannot prompt for a code).
//      - AWS IAM Identity Center (SSO): sso_session (and its "[sso-session NAME]" section with
//        sso_start_url, sso_region) or the legacy sso_start_url + sso_region in the profile;
//        sso_account_id, sso_role_name. The login token comes from the cache `aws sso login`
//        writes (~/.aws/sso/cache/<sha1 of the session name, or of the start URL>.json); the
//        role's credentials from the SSO portal. logoscope does not refresh the login itself.
//      - static keys (aws_access_key_id, aws_secret_access_key, aws_session_token) in the
//        credentials file; credential_process (run by /bin/sh -c, JSON Version 1 on stdout);
//        static keys in the config file.
//   4. The ECS/EKS container endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on 169.254.170.2) or
//      AWS_CONTAINER_CREDENTIALS_FULL_URI (https, or http to a loopback address or the agent),
//      with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or AWS_CONTAINER_AUTHORIZATION_TOKEN as the
//      Authorization header.
//   5. EC2 instance metadata (IMDSv2: a session token first), only when nothing above is
//      configured; off with AWS_EC2_METADATA_DISABLED=true; AWS_EC2_METADATA_SERVICE_ENDPOINT
//      moves it. 1 s to connect, so a machine without it does not hang.
// Endpoints of the credential services: STS: AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, else
// https://sts.REGION.amazonaws.com; SSO portal: AWS_ENDPOINT_URL_SSO, AWS_ENDPOINT_URL, else
// https://portal.sso.SSO_REGION.amazonaws.com.
// Resolving reads the environment and files only: static keys never cause a network request.
// Sources 2-5 and credential_process are used when the first S3 request needs credentials,
// and again shortly before temporary credentials expire (a long-lived client, e.g. `serve`,
// keeps working); every failure is kAccessDenied with a message that names the source (profile
// and file, variable, endpoint URL), the cause, and what to do.
//
// Region: AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`, else us-east-1.
// Endpoint: the --endpoint-url given to logoscope, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the
// profile's `endpoint_url` (also under its `s3 =` block), else AWS's regional endpoint.
// Addressing: LOGOSCOPE_S3_ADDRESSING_STYLE or the profile's `s3 = addressing_style` (path,
// virtual, auto). Auto: virtual-hosted on AWS for DNS-safe bucket names, path-style elsewhere.
// Retries: AWS_MAX_ATTEMPTS (default 5).
//
// Thread safety: resolve_s3_settings is a pure function of its arguments; a CredentialProvider
// may be used from many threads at once.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
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
  /// When temporary credentials stop working; nullopt for long-term keys.
  std::optional<std::chrono::system_clock::time_point> expiration;
};

/// A source of credentials that must be fetched: STS (AssumeRole, AssumeRoleWithWebIdentity),
/// the SSO portal, a credential_process program, the ECS or EC2 metadata endpoint.
/// resolve_s3_settings only finds and checks its configuration; fetch() does the work.
class CredentialProvider {
 public:
  virtual ~CredentialProvider() = default;
  /// Fresh credentials (with their expiration when the source gives one). Errors
  /// (kAccessDenied): the message names the source (profile and file, environment variable,
  /// endpoint URL), the cause, and what to do. Thread safety: may run on many threads at once.
  [[nodiscard]] virtual Result<S3Credentials> fetch() const = 0;
  /// The source in words, e.g. "profile \"dev\" in /home/me/.aws/config (AWS IAM Identity Center)".
  [[nodiscard]] virtual std::string describe() const = 0;
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
  std::optional<S3Credentials> credentials;  ///< static ones; nullopt: to be fetched, or none found
  /// Set when credentials are to be fetched (then `credentials` is nullopt). Shared, immutable:
  /// settings are copied freely and every copy may fetch.
  std::shared_ptr<const CredentialProvider> credential_provider;
  std::string credentials_searched;          ///< the places looked in, for that message
};

/// Reads an environment variable; nullopt when unset or empty. Tests pass their own.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

/// The process environment.
EnvLookup process_environment();

/// Settings from the environment and the AWS files (no network request, no program run). `endpoint_override` (logoscope's
/// --endpoint-url) wins over every other endpoint source when not empty. Errors
/// (kInvalidValue, naming the variable or file and line): an endpoint that is not http(s)://,
/// a malformed AWS_MAX_ATTEMPTS or addressing style, an unreadable credentials file, a profile
/// whose credential settings cannot work (role_arn without a source, a source_profile cycle, an
/// SSO profile without sso_role_name, …).
Result<S3Settings> resolve_s3_settings(const EnvLookup& env, const std::string& endpoint_override = "");

/// The credentials to sign with now: `settings.credentials`, else fetched once from
/// `settings.credential_provider` (network or program; no caching — S3Client caches). Errors
/// (kAccessDenied): none configured (saying where we looked), or the source's failure.
Result<S3Credentials> fetch_credentials(const S3Settings& settings);

}  // namespace logoscope::storage
