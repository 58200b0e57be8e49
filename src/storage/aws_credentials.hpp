// storage/aws_credentials.hpp — the AWS credential chain behind resolve_s3_settings (internal to
// src/storage): the shared files, the sources that must be fetched (STS AssumeRole and
// AssumeRoleWithWebIdentity, the SSO portal, credential_process, the ECS container endpoint,
// EC2 IMDSv2), and the cache that keeps temporary credentials fresh for the S3 client.
//
// The order is the AWS CLI's: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; AWS_WEB_IDENTITY_TOKEN_FILE
// with AWS_ROLE_ARN; the profile (role_arn with source_profile / credential_source /
// web_identity_token_file, SSO, static keys in the credentials file, credential_process, static
// keys in the config file); AWS_CONTAINER_CREDENTIALS_{RELATIVE,FULL}_URI; the EC2 instance
// metadata service (only when nothing else is configured, and not with
// AWS_EC2_METADATA_DISABLED=true). Resolving reads files and the environment only; the network
// and credential_process are used when the first request needs credentials
// (CredentialProvider::fetch).
//
// Thread safety: the functions are pure functions of their arguments; providers and
// CredentialCache may be used from many threads at once.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "logoscope/result.hpp"
#include "storage/s3_config.hpp"

namespace logoscope::storage {

// ------------------------------------------------------------------ the shared files

/// An AWS INI file: section -> key -> value. A key with an empty value followed by indented
/// lines ("s3 =\n  addressing_style = path") stores those lines as "s3.addressing_style".
using IniSection = std::map<std::string, std::string>;
using IniFile = std::map<std::string, IniSection>;

/// nullopt when the file does not exist; kParse naming file:line for a malformed line.
Result<std::optional<IniFile>> read_ini(const std::string& path);

/// The value of `key` in `section` (nullptr allowed); nullopt when absent or empty.
std::optional<std::string> ini_value(const IniSection* section, const std::string& key);

/// ~/.aws/credentials and ~/.aws/config (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE), parsed.
struct AwsFiles {
  std::string credentials_path;
  std::string config_path;
  std::optional<IniFile> credentials;  ///< nullopt: no such file
  std::optional<IniFile> config;

  static Result<AwsFiles> read(const EnvLookup& env);
  /// "[NAME]" in the credentials file.
  [[nodiscard]] const IniSection* credentials_section(const std::string& profile) const;
  /// "[profile NAME]" in the config file ("[default]" or "[profile default]" for default).
  [[nodiscard]] const IniSection* config_section(const std::string& profile) const;
  /// "[sso-session NAME]" in the config file.
  [[nodiscard]] const IniSection* sso_session_section(const std::string& name) const;
};

// ------------------------------------------------------------------ the chain

/// What the chain found: static credentials, or a source to fetch them from, or neither.
struct CredentialChain {
  std::optional<S3Credentials> credentials;
  std::shared_ptr<const CredentialProvider> provider;
  std::string searched;  ///< the places looked in, for the "no credentials" message
};

/// Walks the chain (no network, no program run). `region` signs STS requests and names the
/// regional STS endpoint. Errors (kInvalidValue, naming the profile and file or the variable):
/// a profile whose credential settings cannot work (role_arn without a source, a
/// source_profile cycle, an SSO profile without sso_account_id, …), a malformed endpoint.
Result<CredentialChain> resolve_credential_chain(const EnvLookup& env, const AwsFiles& files,
                                                 const std::string& profile, const std::string& region);

/// Lower-case hex SHA-1 (the SSO token cache's file names).
std::string sha1_hex(std::string_view data);

// ------------------------------------------------------------------ the cache

/// The credentials an S3 client signs with. Static credentials are returned as they are;
/// fetched ones are fetched on first use and again shortly before they expire (5 minutes, or
/// half their lifetime when that is shorter). While a refresh fails, credentials that have not
/// expired yet are kept (with a warning); a failed fetch is remembered for 30 s, so that a
/// thousand reads do not each wait on an endpoint that is not there.
/// Thread safety: get() may be called from many threads; one of them fetches, the others wait.
class CredentialCache {
 public:
  using Clock = std::chrono::system_clock;
  explicit CredentialCache(const S3Settings& settings, std::function<Clock::time_point()> now = Clock::now);

  /// Errors (kAccessDenied): none configured (saying where we looked), or the source's error.
  [[nodiscard]] Result<S3Credentials> get() const;

 private:
  std::optional<S3Credentials> static_;
  std::shared_ptr<const CredentialProvider> provider_;
  std::string searched_;
  std::function<Clock::time_point()> now_;
  mutable std::mutex mutex_;
  mutable std::optional<S3Credentials> current_;
  mutable Clock::time_point fetched_at_;
  mutable std::optional<Error> failure_;
  mutable Clock::time_point failed_at_;
};

}  // namespace logoscope::storage
